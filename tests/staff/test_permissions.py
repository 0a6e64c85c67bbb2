"""Every console view declares its permission, and roles get exactly what they should."""

from __future__ import annotations

import pytest

import server.staff.routes
from server.staff.permissions import ROLE_PERMISSIONS, Permission, Role, StaffMember

# The only console URLs anyone may reach without a session.
OPEN_TO_ALL = {"/staff", "/staff/assets/staff.css", "/staff/login", "/staff/logout"}


def test_every_console_view_but_sign_in_declares_the_permission_it_needs():
    for route in server.staff.routes.routes:
        if route.path in OPEN_TO_ALL:
            continue
        assert isinstance(getattr(route.endpoint, "permission", None), Permission), route.path


def test_branch_clerks_may_not_touch_the_calendar_staff_or_apps_registry():
    branch = ROLE_PERMISSIONS[Role.BRANCH]
    assert Permission.ACCOUNT_LOCK_CLEAR in branch and Permission.GRANT_REVOKE in branch
    assert not {Permission.MAINTENANCE_WRITE, Permission.STAFF_READ, Permission.STAFF_WRITE, Permission.CLIENT_WRITE} & branch
    assert ROLE_PERMISSIONS[Role.HQ] == frozenset(Permission)


@pytest.mark.parametrize(
    ("role", "own", "other", "sees_other"),
    [
        (Role.BRANCH, "001", "002", False),
        (Role.HQ, "000", "002", True),
    ],
    ids=["a branch clerk sees only their own branch", "head office sees every branch"],
)
def test_branch_scope(role, own, other, sees_other):
    member = StaffMember("someone", own, role)
    assert member.sees_branch(own) and member.sees_branch(other) is sees_other


HQ_ONLY = [
    ("POST", "/staff/maintenance"),
    ("POST", "/staff/maintenance/1/cancel"),
    ("GET", "/staff/members"),
    ("POST", "/staff/members"),
    ("POST", "/staff/members/hq-admin/disable"),
    ("POST", "/staff/members/hq-admin/password"),
    ("POST", "/staff/api/maintenance-windows"),
    ("POST", "/staff/api/maintenance-windows/1/cancel"),
]


async def test_a_branch_clerk_gets_403_from_every_head_office_view(open_console):
    clerk = await open_console("branch001")
    for method, url in HQ_ONLY:
        if method == "GET":
            response = await clerk.http.get(url)
        elif url.startswith("/staff/api/"):
            response = await clerk.post_json(url, {})
        else:
            response = await clerk.post_form(url, {})
        assert response.status_code == 403, url


def test_a_supervisor_is_a_branch_member_who_may_also_approve_unlocks():
    supervisor = ROLE_PERMISSIONS[Role.SUPERVISOR]
    assert supervisor == ROLE_PERMISSIONS[Role.BRANCH] | {Permission.ACCOUNT_LOCK_APPROVE}
    assert Permission.ACCOUNT_LOCK_APPROVE not in ROLE_PERMISSIONS[Role.BRANCH]
    member = StaffMember("branch001-sv", "001", Role.SUPERVISOR)
    assert member.sees_branch("001") and not member.sees_branch("002") and member.branch_scope == "001"
    assert StaffMember("hq-admin", "000", Role.HQ).branch_scope is None
