"""The operation log's search filters as a clerk types them (page, CSV URL, CLI): read, checked, scoped.

Pure. A filter left empty means anything. A branch clerk's search is always
limited to their own branch, whatever the form says.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

from server.flow.stages import STAGES
from server.policy.stats import BadPeriod, Period, read_period
from server.reasons import Reason

SCREENS = ("authorize", *(stage.name for stage in STAGES))
OUTCOMES = ("success", "failure", "info")
REASON_CODES = tuple(reason.value for reason in Reason)
LOG_MAX_DAYS = 366  # the export is for auditors: a year at a time
_BRANCH = re.compile(r"^[0-9]{3}$")
_ACCOUNT = re.compile(r"^([0-9]{3})-([0-9])-([0-9]{7})$")
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
FIELDS = ("from", "to", "branch", "account", "app", "screen", "result", "reason")


class BadFilter(ValueError):
    """A filter that cannot be used; the message names it."""


@dataclass(frozen=True)
class LogFilters:
    period: Period
    branch: str | None = None
    account: tuple[str, int, str] | None = None  # branch code, type, number
    app: str | None = None
    screen: str | None = None
    result: str | None = None
    reason: str | None = None

    def as_audit(self) -> dict[str, str]:
        """The filters as the audit line records them (the account masked, as everywhere in the log)."""
        values = {k: v for k, v in asdict(self).items() if v is not None and k not in ("period", "account")}
        if self.account:
            values["account"] = f"{self.account[0]}-{self.account[1]}-***{self.account[2][-4:]}"
        return {"from": self.period.first.isoformat(), "to": self.period.last.isoformat(), **values}


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = unicodedata.normalize("NFKC", params.get(name) or "").strip()
    return value or None


def _one_of(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is not None and value not in allowed:
        raise BadFilter(f"{name} must be one of {', '.join(allowed)}")
    return value


def _account(value: str | None) -> tuple[str, int, str] | None:
    if value is None:
        return None
    match = _ACCOUNT.match(value)
    if not match:
        raise BadFilter("account must be written 001-1-1234567")
    return match[1], int(match[2]), match[3]


def read_filters(params: Mapping[str, str], today: date, branch_scope: str | None) -> LogFilters:
    """The filters of ``params``; ``branch_scope`` (a branch clerk's branch) overrides any branch asked for."""
    try:
        period = read_period(_text(params, "from"), _text(params, "to"), today, max_days=LOG_MAX_DAYS)
    except BadPeriod as bad:
        raise BadFilter(str(bad)) from None
    branch = _text(params, "branch")
    if branch is not None and not _BRANCH.match(branch):
        raise BadFilter("branch must be 3 digits")
    app = _text(params, "app")
    if app is not None and not _CLIENT_ID.match(app):
        raise BadFilter("app must be a client_id")
    return LogFilters(
        period=period, branch=branch_scope or branch, account=_account(_text(params, "account")), app=app,
        screen=_one_of(_text(params, "screen"), SCREENS, "screen"), result=_one_of(_text(params, "result"), OUTCOMES, "result"),
        reason=_one_of((_text(params, "reason") or "").upper() or None, REASON_CODES, "reason"),
    )
