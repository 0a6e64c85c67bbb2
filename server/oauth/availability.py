"""The bank's maintenance windows at the token side: no new tokens while the service is closed.

The screens answer S01; /par and /token answer ``temporarily_unavailable``
(400, RFC 6749 §5.2 extension use of the §4.1.2.1 code) with ``Retry-After``.
Introspection and revocation stay open: resource servers and apps must always be
able to check and end tokens.
"""

from __future__ import annotations

from datetime import datetime

from server.oauth.errors import TemporarilyUnavailable
from server.runtime import Runtime


def refuse_during_maintenance(runtime: Runtime, now: datetime) -> None:
    window = runtime.extras["maintenance"].window_at(now)
    if window is not None:
        raise TemporarilyUnavailable(
            "the service is closed for maintenance until " + window.ends_at.isoformat(timespec="minutes"),
            retry_after_seconds=int((window.ends_at - now).total_seconds()),
        )
