"""What housekeeping may delete, and from when. Pure: settings and ``now`` in, cutoffs and verdicts out.

Each table's rule keeps every row the running system may still read:

- a revoked access token stays while it could still be presented (the revocation
  set loads revoked tokens not yet expired);
- a refresh token or a used authorization code stays while its grant lives (a
  rotated token or a used code presented again must revoke the grant), and for
  ``ended_grant_days`` after the grant was revoked or reached its end;
- an open phone check past its window still tells a late caller B85 for
  ``late_call_hours``; only then is it voided, and only then may its flow go;
- a flow stays while a call kept names one of its phone checks (ivr_call's key);
- failure counts and locks of today (and ``account_failure_days`` before) stay,
  as does any lock still in force;
- the operation log is never touched here: it is the bank's audit trail.

server/db/retention.py holds the same rules as SQL; the tests check both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from server.policy.locks import tokyo_day
from server.settings import PolicySettings, RetentionSettings, StaffSettings


class Table(StrEnum):
    """The tables housekeeping works on, in the order a round visits them."""

    DPOP_PROOF = "dpop_proof"  # single-use ids of DPoP proofs and client assertions
    ACCESS_TOKEN = "access_token"
    REFRESH_TOKEN = "refresh_token"
    AUTHORIZATION_CODE = "authorization_code"
    PAR_REQUEST = "par_request"
    PHONE_CHECK = "phone_check"  # voided, not deleted: it goes with its flow
    IVR_CALL = "ivr_call"  # before flows: a call keeps its phone check, and so its flow
    FLOW = "flow"
    ATTEMPT_THROTTLE = "attempt_throttle"
    STAFF_SESSION = "staff_session"
    EMAIL_OUTBOX = "email_outbox"
    ACCOUNT_FAILURE = "account_failure"


@dataclass(frozen=True)
class Cutoffs:
    """The instants (and the Tokyo day) before which each kind of row may go."""

    now: datetime
    access_token_expired: datetime
    grant_ended: datetime  # revoked or past its end before this: its refresh tokens and used codes may go ...
    issued_for_ended_grant: datetime  # ... once issued before this (an index bound: the grant surely ended by then)
    request_expired: datetime  # unused codes and pushed requests
    late_call: datetime  # open phone checks whose window closed before this are voided
    flow_seen: datetime
    ivr_call_received: datetime
    throttle_ended: datetime
    staff_session_seen: datetime
    outbox_created: datetime
    failure_day: date  # account_failure rows of Tokyo days before this


def cutoffs(retention: RetentionSettings, policy: PolicySettings, staff: StaffSettings, now: datetime) -> Cutoffs:
    def days(n: int) -> datetime:
        return now - timedelta(days=n)

    grant_ended = days(retention.ended_grant_days)
    late_call = now - timedelta(hours=retention.late_call_hours)
    return Cutoffs(
        now=now,
        access_token_expired=days(retention.access_token_days),
        grant_ended=grant_ended,
        issued_for_ended_grant=grant_ended - timedelta(days=policy.grant_max_days),
        request_expired=days(retention.expired_request_days),
        late_call=late_call,
        # A flow never goes before its phone checks stop answering late calls, nor while it could be resumed.
        flow_seen=min(days(retention.flow_days), late_call, now - timedelta(seconds=policy.flow_idle_seconds)),
        ivr_call_received=days(retention.ivr_call_days),
        throttle_ended=now - timedelta(hours=retention.attempt_throttle_hours),
        staff_session_seen=min(days(retention.staff_session_days), now - timedelta(seconds=staff.session_idle_seconds)),
        outbox_created=days(retention.email_outbox_days),
        failure_day=tokyo_day(now) - timedelta(days=retention.account_failure_days),
    )


Row = Mapping[str, Any]


def _grant_ended(row: Row, cut: Cutoffs) -> bool:
    """The row's grant was revoked, or reached its end, before ``grant_ended`` (expires_at is fixed at consent)."""
    ended = min(t for t in (row["grant_revoked_at"], row["grant_expires_at"]) if t is not None)
    return ended < cut.grant_ended


def _refresh_token(row: Row, cut: Cutoffs) -> bool:
    return row["issued_at"] < cut.issued_for_ended_grant and _grant_ended(row, cut)


def _authorization_code(row: Row, cut: Cutoffs) -> bool:
    if row["used_at"] is None:  # never exchanged: only "expired" could be said of it
        return row["expires_at"] < cut.request_expired
    return _refresh_token(row, cut)  # used: presented again it revokes the grant, so it lives as long


def _flow(row: Row, cut: Cutoffs) -> bool:
    last = max(t for t in (row["last_seen_at"], row["finished_at"]) if t is not None)
    kept_by_call = row["last_call_at"] is not None and row["last_call_at"] >= cut.ivr_call_received
    return last < cut.flow_seen and not kept_by_call


def _account_failure(row: Row, cut: Cutoffs) -> bool:
    lock_over = row["locked_until"] is None or row["locked_until"] <= cut.now
    return row["tokyo_day"] < cut.failure_day and lock_over


# Per table: may this row go (be voided, for phone_check)? Rows carry the table's columns, plus:
# refresh_token and authorization_code: grant_revoked_at, grant_expires_at; flow: last_call_at (the newest
# call naming one of its phone checks, or None);
# email_outbox: given_up (next_attempt_at is 'infinity').
VERDICTS: dict[Table, Callable[[Row, Cutoffs], bool]] = {
    Table.DPOP_PROOF: lambda r, c: r["forget_after"] < c.now,
    Table.ACCESS_TOKEN: lambda r, c: r["expires_at"] < c.access_token_expired,
    Table.REFRESH_TOKEN: _refresh_token,
    Table.AUTHORIZATION_CODE: _authorization_code,
    Table.PAR_REQUEST: lambda r, c: r["expires_at"] < c.request_expired,
    Table.PHONE_CHECK: lambda r, c: r["state"] == "open" and r["expires_at"] < c.late_call,
    Table.IVR_CALL: lambda r, c: r["received_at"] < c.ivr_call_received,
    Table.FLOW: _flow,
    Table.ATTEMPT_THROTTLE: lambda r, c: r["window_ends_at"] < c.throttle_ended,
    Table.STAFF_SESSION: lambda r, c: r["last_seen_at"] < c.staff_session_seen,
    Table.EMAIL_OUTBOX: lambda r, c: r["created_at"] < c.outbox_created and (r["sent_at"] is not None or r["given_up"]),
    Table.ACCOUNT_FAILURE: _account_failure,
}


def may_go(table: Table, row: Row, cut: Cutoffs) -> bool:
    return VERDICTS[table](row, cut)
