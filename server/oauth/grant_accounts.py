"""Which account a grant links, for the bank's resource servers at /introspect.

A token's ``sub`` is opaque on purpose (the app must not learn the account
number), so the bank API learns the account from introspection. A grant never
changes its account, so each process remembers the answer: after the first
introspection of a grant, no database round trip.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

import asyncpg

from server.db import tokens

CACHE_SIZE = 10_000


class GrantAccounts:
    def __init__(self) -> None:
        self._known: OrderedDict[str, str] = OrderedDict()

    def remembered(self, grant_id: str) -> str | None:
        """The account when this process has looked it up before (no connection needed)."""
        account = self._known.get(grant_id)
        if account is not None:
            self._known.move_to_end(grant_id)
        return account

    async def account_of(self, conn: asyncpg.Connection, grant_id: str) -> str | None:
        """``BBB-T-NNNNNNN``, or None for an unknown grant."""
        if grant_id in self._known:
            self._known.move_to_end(grant_id)
            return self._known[grant_id]
        row = await tokens.account_of_grant(conn, UUID(grant_id))
        if row is None:
            return None
        account = f"{row['branch_code']}-{row['account_type']}-{row['account_number']}"
        self._known[grant_id] = account
        if len(self._known) > CACHE_SIZE:
            self._known.popitem(last=False)
        return account
