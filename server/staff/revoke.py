"""Ending an app's link to an account (POST .../grants/{id}/revoke, page and API).

The token side's ``revoke_grant`` ends the grant and every token issued from it
and tells every process, so introspection refuses them at once. The grant must
belong to the account in the URL, which the clerk must be allowed to see: a
grant id copied from elsewhere answers 404 like one that does not exist.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.db import tokens
from server.logs import get_logger
from server.staff import account, audit, sessions
from server.staff.guard import page
from server.staff.permissions import Permission, StaffMember
from server.staff.scope import visible_account
from server.web.database import connection

log = get_logger(__name__)


def _grant_id(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def end_link(
    conn: asyncpg.Connection, request: Request, staff: StaffMember, found: asyncpg.Record, grant_text: str
) -> bool | None:
    """True: ended now; False: it had ended already; None: the account has no such grant."""
    grant_id = _grant_id(grant_text)
    grant = await tokens.grant_by_id(conn, grant_id) if grant_id else None
    if grant is None or grant["account_id"] != found["id"]:
        return None
    now = sessions.runtime_of(request).clock.now()
    async with conn.transaction():
        ended = await tokens.revoke_grant(conn, grant_id, now=now, reason=f"staff:{staff.staff_id}")
        if ended:
            await audit.record(conn, request, "staff:grant:revoke", staff_id=staff.staff_id, client_id=grant["client_id"],
                               detail={"grant": str(grant_id)}, **audit.account_fields(found))
    if ended:  # this process stops honouring the grant now, not when its NOTIFY comes back
        sessions.runtime_of(request).extras["revocations"].note(grant_id=grant_id)
    log.info("staff.grant.revoke", staff_id=staff.staff_id, account=audit.account_fields(found)["account_masked"], client_id=grant["client_id"], ended=ended)
    return ended


@page(Permission.GRANT_REVOKE)
async def revoke(request: Request, staff: StaffMember) -> Response:
    async with connection(sessions.runtime_of(request)) as conn:
        found = await visible_account(conn, staff, request.path_params["key"])
        ended = await end_link(conn, request, staff, found, request.path_params["grant_id"]) if found else None
    if ended is None:
        return account.not_found(request, staff)
    return RedirectResponse(f"/staff/accounts/{account.account_key(found)}?done=revoked", status_code=303)


routes = [Route("/staff/accounts/{key}/grants/{grant_id}/revoke", revoke, methods=["POST"])]
