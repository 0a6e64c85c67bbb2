"""Operation-log lines in a clerk's words: which screen or action, and what the reason code meant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from server.reasons import Reason
from server.staff.render import iso
from server.web.i18n import N_

# The most specific prefix wins: "staff:lock:clear" before "staff:".
_EVENTS: dict[str, str] = {
    "flow:start": N_("Authentication started from an app"),
    "flow:account": N_("Screen 1: account details"),
    "flow:customer": N_("Screen 2: birth date and name"),
    "flow:phone:call": N_("Screen 4: phone verification"),
    "flow:phone": N_("Screen 3: registered phone numbers"),
    "flow:pin": N_("Screen 5: cash card PIN"),
    "flow:consent": N_("Screen 6: approval of the link"),
    "flow:expired": N_("Authentication timed out"),
    "flow:closed": N_("Turned away: maintenance window"),
    "flow:error": N_("Turned away: system error"),
    "flow": N_("Authentication screens"),
    "ivr": N_("Call to the auth number"),
    "staff:lock:clear": N_("Lock lifted by staff"),
    "staff:lock:request": N_("Request to lift a lock (for a supervisor's approval)"),
    "staff:lock:approve": N_("Lift of a lock approved by a supervisor"),
    "staff:grant:revoke": N_("App link ended by staff"),
    "staff": N_("Staff action"),
    "oauth": N_("App link (tokens)"),
    "grant": N_("App link"),
    "accounts:move": N_("Account moved to another branch"),
}
_OUTCOMES = {"success": N_("Succeeded"), "failure": N_("Failed"), "info": N_("Recorded")}


def describe_event(event: str, _: Callable[[str], str]) -> str:
    parts = event.split(":")
    for size in range(len(parts), 0, -1):
        if (msgid := _EVENTS.get(":".join(parts[:size]))) is not None:
            return _(msgid)
    return event


def explain_reason(code: str | None, lang: str) -> str | None:
    """The reason code's meaning for staff (server.reasons), or None for no or unknown codes."""
    if not code or code not in Reason.__members__:
        return None
    return Reason(code).staff_explanation(lang)


def log_line(row: asyncpg.Record, lang: str, _: Callable[..., str]) -> dict[str, Any]:
    """One operation-log row as the console shows it (and the API returns it)."""
    detail = row["detail"] or {}
    return {
        "at": iso(row["at"]),
        "event": row["event"],
        "what": describe_event(row["event"], _),
        "outcome": row["outcome"],
        "outcome_text": _(_OUTCOMES.get(row["outcome"], row["outcome"])),
        "reason_code": row["reason_code"],
        "reason": explain_reason(row["reason_code"], lang),
        "client_id": row["client_id"],
        "staff_id": row["staff_id"],
        "name_kana": row["name_kana"],
        # What staff wrote themselves (an unlock's reason) is the only free text shown; a system
        # error's reference number (its request id) lets the help desk find the server's log line.
        "note": detail.get("reason") if row["event"].startswith("staff:") else _reference(detail, _),
    }


def _reference(detail: dict[str, Any], _: Callable[..., str]) -> str | None:
    request_id = detail.get("request_id")
    return _("Reference number: %(number)s", number=request_id) if request_id else None
