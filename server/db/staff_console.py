"""Named queries the staff console needs that no other table module offers:
the password lockout counter, the staff list, and the apps linked to an account.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def reserve_password_attempt(
    conn: Conn, staff_id: str, now: datetime, limit: int, lock_until: datetime
) -> asyncpg.Record | None:
    """Count one sign-in attempt before the password is checked; the stored hash, or None.

    None: no such enabled staff member, or signing in is locked. The attempt is
    counted as a failure up front, in one statement, so parallel guesses queue on
    the row and no more than ``limit`` of them ever reach the password check; the
    one that reaches the limit locks until ``lock_until``. A lock that has run out
    starts the count again. ``password_accepted`` undoes the count.
    """
    return await conn.fetchrow(
        """UPDATE staff SET
               failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END,
               locked_until = CASE
                   WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $3::int THEN $4::timestamptz
                   ELSE NULL END
           WHERE staff_id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)
           RETURNING password_hash, failed_logins, locked_until""",
        staff_id, now, limit, lock_until,
    )


async def password_accepted(conn: Conn, staff_id: str) -> asyncpg.Record | None:
    """Forget the failures of a staff member who just proved their password; their row."""
    return await conn.fetchrow(
        """UPDATE staff SET failed_logins = 0, locked_until = NULL
           WHERE staff_id = $1 AND disabled_at IS NULL
           RETURNING staff_id, branch_code, role""",
        staff_id,
    )


async def list_staff(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT staff_id, branch_code, role, failed_logins, locked_until, created_at, disabled_at
           FROM staff ORDER BY disabled_at IS NOT NULL, branch_code, staff_id"""
    )


async def disable_staff(conn: Conn, staff_id: str, now: datetime) -> asyncpg.Record | None:
    """The staff member now disabled, or None if there is none enabled by that id."""
    return await conn.fetchrow(
        "UPDATE staff SET disabled_at = $2 WHERE staff_id = $1 AND disabled_at IS NULL RETURNING staff_id",
        staff_id, now,
    )


async def set_password_hash(conn: Conn, staff_id: str, password_hash: str) -> asyncpg.Record | None:
    """A new password for an enabled staff member, which also lifts a sign-in lock."""
    return await conn.fetchrow(
        """UPDATE staff SET password_hash = $2, failed_logins = 0, locked_until = NULL
           WHERE staff_id = $1 AND disabled_at IS NULL RETURNING staff_id""",
        staff_id, password_hash,
    )


async def linked_apps(conn: Conn, account_id: int, now: datetime, unused_since: datetime,
                      codes_issued_since: datetime) -> list[asyncpg.Record]:
    """The account's grants still in force: not revoked, not past their end, used since ``unused_since``,
    and collected by the app (its code exchanged, or issued since ``codes_issued_since`` and still good)."""
    return await conn.fetch(
        """SELECT g.id, g.client_id, c.name AS client_name, c.operator, g.scopes,
                  g.authenticated_at, g.last_used_at, g.expires_at
           FROM oauth_grant g JOIN oauth_client c ON c.client_id = g.client_id
           WHERE g.account_id = $1 AND g.revoked_at IS NULL AND g.expires_at > $2 AND g.last_used_at >= $3
             AND (g.exchanged_at IS NOT NULL OR g.authenticated_at > $4)
           ORDER BY g.authenticated_at DESC""",
        account_id, now, unused_since, codes_issued_since,
    )
