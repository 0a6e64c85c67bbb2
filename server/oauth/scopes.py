"""What each scope lets an app do, in the customer's words (screen ⑥)."""

from __future__ import annotations

from server.web.i18n import N_

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "accounts:read": N_("See your account information and balance"),
    "transactions:read": N_("See your deposits and withdrawals (入出金明細)"),
}


def describe(scope: str, gettext) -> str:  # type: ignore[no-untyped-def]
    """The customer-facing description of ``scope``; an unknown scope is shown as it is."""
    msgid = SCOPE_DESCRIPTIONS.get(scope)
    return gettext(msgid) if msgid else scope
