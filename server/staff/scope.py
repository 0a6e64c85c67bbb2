"""Which customer account a URL names, and whether this clerk may see it.

Branch clerks see their own branch's accounts only. Another branch's account
is answered exactly like one that does not exist (``None``), on every page and
API call, so a guessed URL or a changed form field learns nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import asyncpg

from server.db.accounts import find_account
from server.staff.permissions import StaffMember

_KEY = re.compile(r"^([0-9]{3})-([0-9])-([0-9]{7})$")


@dataclass(frozen=True)
class AccountKey:
    branch_code: str
    account_type: int
    account_number: str

    def __str__(self) -> str:
        return f"{self.branch_code}-{self.account_type}-{self.account_number}"


def parse_account_key(text: str) -> AccountKey | None:
    """``001-1-1234567`` (full-width digits folded to ASCII), or None."""
    match = _KEY.match(unicodedata.normalize("NFKC", text or "").strip())
    return AccountKey(match[1], int(match[2]), match[3]) if match else None


async def visible_account(conn: asyncpg.Connection | asyncpg.Pool, staff: StaffMember, key: AccountKey | str) -> asyncpg.Record | None:
    """The account if it exists and ``staff`` may see it; None otherwise, whichever the cause."""
    if isinstance(key, str):
        parsed = parse_account_key(key)
        if parsed is None:
            return None
        key = parsed
    if not staff.sees_branch(key.branch_code):
        return None
    return await find_account(conn, key.branch_code, key.account_type, key.account_number)
