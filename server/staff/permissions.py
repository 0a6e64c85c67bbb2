"""What each kind of staff member may do, checked on the server for every page and API call.

Permissions are a string enum (``"account:lock:clear"``); roles map to sets of
them; every view declares the one it needs. Branch scoping is a second rule on
top: a branch clerk sees the accounts of their own branch only, and any other
account answers exactly as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    ACCOUNT_READ = "account:read"
    ACCOUNT_LOCK_READ = "account:lock:read"
    ACCOUNT_LOCK_CLEAR = "account:lock:clear"
    GRANT_READ = "grant:read"
    GRANT_REVOKE = "grant:revoke"
    MAINTENANCE_READ = "maintenance:read"
    MAINTENANCE_WRITE = "maintenance:write"
    STAFF_READ = "staff:read"
    STAFF_WRITE = "staff:write"
    CLIENT_WRITE = "client:write"
    # 役席承認: approve another member's request to lift a lock ([staff] unlock_approval).
    ACCOUNT_LOCK_APPROVE = "account:lock:approve"
    STATS_READ = "stats:read"  # the dashboard and /staff/api/stats, in the member's branch scope
    OPLOG_READ = "oplog:read"  # the operation log search and its CSV export, in the member's branch scope


class Role(StrEnum):
    BRANCH = "branch"  # 営業店: their own branch's customers
    HQ = "hq"  # 本部事務部: every branch, the calendar, the staff list
    SUPERVISOR = "supervisor"  # 役席: a branch member who also approves unlock requests


_BRANCH_PERMISSIONS = frozenset(
    {
        Permission.ACCOUNT_READ,
        Permission.ACCOUNT_LOCK_READ,
        Permission.ACCOUNT_LOCK_CLEAR,
        Permission.GRANT_READ,
        Permission.GRANT_REVOKE,
        # A clerk on the phone may tell a customer when the service reopens.
        Permission.MAINTENANCE_READ,
        Permission.STATS_READ,
        Permission.OPLOG_READ,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BRANCH: _BRANCH_PERMISSIONS,
    Role.HQ: frozenset(Permission),
    Role.SUPERVISOR: _BRANCH_PERMISSIONS | {Permission.ACCOUNT_LOCK_APPROVE},
}

# Roles that see every branch's accounts.
_ALL_BRANCHES = frozenset({Role.HQ})


@dataclass(frozen=True)
class StaffMember:
    """The signed-in staff member, as the console's rules need them."""

    staff_id: str
    branch_code: str
    role: Role

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_branch(self, branch_code: str) -> bool:
        return self.role in _ALL_BRANCHES or branch_code == self.branch_code

    @property
    def branch_scope(self) -> str | None:
        """The one branch whose accounts this member sees, or None for every branch."""
        return None if self.role in _ALL_BRANCHES else self.branch_code
