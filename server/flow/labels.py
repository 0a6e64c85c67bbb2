"""How accounts and numbers are shown on the screens (masked where the contract says so)."""

from __future__ import annotations

import asyncpg

from server.policy import phone_numbers
from server.web.i18n import N_

ACCOUNT_TYPE_NAMES = {1: N_("Ordinary"), 4: N_("Savings")}


def account_type_name(account_type: int) -> str:
    return ACCOUNT_TYPE_NAMES.get(account_type, str(account_type))


def masked_account_label(account: asyncpg.Record, gettext) -> str:  # type: ignore[no-untyped-def]
    """001 普通 ***4567: the customer recognises it; a shoulder-surfer learns little."""
    name = gettext(account_type_name(account["account_type"]))
    return f"{account['branch_code']} {name} ***{account['account_number'][-4:]}"


def masked_phones(phones: list[str]) -> list[str]:
    return [phone_numbers.mask(phone) for phone in phones]


def dialling_form(auth_number: str) -> str:
    """+815000000001 → 050-0000-0001: what the customer dials from a Japanese phone."""
    try:
        return phone_numbers.format_domestic(auth_number)
    except phone_numbers.InvalidPhoneNumber:
        return auth_number
