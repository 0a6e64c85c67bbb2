"""`renkei accounts move OLD NEW` (contract §6), run as the operator runs it, against a running server."""

from __future__ import annotations

import json

from tests.cli.conftest import cheap_config, renkei  # noqa: F401 - the real `renkei` command, as fixtures
from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, introspect_soon, issue


async def test_moving_an_account_marks_it_moved_and_its_tokens_are_inactive_at_once(client, db, clock, renkei, log_lines):  # noqa: F811
    app = await add_sandbox_app(db, clock.now())
    rs = await add_resource_server(db, clock.now())
    old = await add_account(db, clock.now(), number="1111111", branch="011")
    await add_account(db, clock.now(), number="2222222", branch="022")
    body = await issue(client, db, clock, app, old)
    assert (await introspect(client, rs, body["access_token"]))["active"] is True

    done = renkei("accounts", "move", "011-1-1111111", "022-1-2222222")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"moved": "011-1-1111111", "to": "022-1-2222222", "grants_revoked": 1}
    assert await introspect_soon(client, rs, body["access_token"]) == {"active": False}
    refresh = await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=app.basic)
    assert refresh.json()["error"] == "invalid_grant"
    account = await db.fetchrow("SELECT status, moved_to FROM account WHERE id = $1", old)
    assert (account["status"], account["moved_to"]) == ("moved", "022-1-2222222")
    entry = await db.fetchrow("SELECT account_masked, detail FROM operation_log WHERE event = 'staff:account:move'")
    assert entry["account_masked"] == "011-1-***1111" and entry["detail"]["grants_revoked"] == 1
    assert "1111111" not in "\n".join(log_lines)


async def test_moving_to_an_account_that_does_not_exist_changes_nothing(db, clock, renkei):  # noqa: F811
    old = await add_account(db, clock.now(), number="1111111", branch="011")
    done = renkei("accounts", "move", "011-1-1111111", "022-1-2222222")
    assert done.returncode != 0 and "no account 022-1-2222222" in done.stderr
    assert await db.fetchval("SELECT status FROM account WHERE id = $1", old) == "active"


def test_an_account_written_another_way_is_refused_with_the_expected_shape(renkei):  # noqa: F811
    done = renkei("accounts", "move", "0111111111", "022-1-2222222")
    assert done.returncode == 2 and "BRANCH-TYPE-NUMBER" in done.stderr
