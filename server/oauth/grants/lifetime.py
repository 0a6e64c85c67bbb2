"""How long a customer's approval lasts (contract §4): at most grant_max_days from
authentication, and it ends after grant_idle_days without use. Pure: times in, verdict out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from server.settings import PolicySettings


def grant_problem(grant: Mapping[str, Any], *, now: datetime, policy: PolicySettings) -> str | None:
    """Why the grant can no longer issue tokens, for the client; None while it can."""
    if grant["revoked_at"] is not None:
        return "the grant was revoked"
    if grant.get("account_status", "active") != "active":
        # Closed or moved (移管) in core banking, perhaps by an import that revoked nothing.
        return "the account can no longer be linked; the customer must authenticate again"
    if now >= grant["expires_at"]:
        return f"the grant has reached its {policy.grant_max_days}-day limit; the customer must authenticate again"
    if now >= grant["last_used_at"] + timedelta(days=policy.grant_idle_days):
        return f"the grant was unused for {policy.grant_idle_days} days; the customer must authenticate again"
    return None
