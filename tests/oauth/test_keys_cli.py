"""`renkei keys rotate` / `retire`: rolling the signing keys while servers run."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from joserfc.jwk import KeySet

from server.oauth.jwt_tokens import new_private_key, write_key_file
from tests.cli.conftest import cheap_config, renkei  # noqa: F401 - the real `renkei` command, as fixtures
from tests.oauth.factories import add_account, add_resource_server, add_sandbox_app
from tests.oauth.test_introspect import introspect, issue
from tests.oauth.test_token_code import claims_of


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "signing-keys.json"
    write_key_file(path, KeySet([new_private_key()]))
    return path


async def test_a_rotated_key_signs_in_new_processes_and_running_ones_accept_its_tokens_without_a_restart(
    start_server, settings, db, clock, renkei, keys_file  # noqa: F811
):
    app, rs = await add_sandbox_app(db, clock.now()), await add_resource_server(db, clock.now())
    account_id = await add_account(db, clock.now())
    keyed = replace(settings, public_url="https://renkei.example.jp",
                    secrets=replace(settings.secrets, signing_keys_file=keys_file))
    running = await start_server(keyed)
    async with httpx.AsyncClient(base_url=running.url) as before:
        old_token = (await issue(before, db, clock, app, account_id))["access_token"]
        done = renkei("keys", "rotate", env={"RENKEI_SIGNING_KEYS_FILE": str(keys_file)})
        assert done.returncode == 0, done.stderr
        rotated = json.loads(done.stdout)
        assert rotated["published"][1] == claims_of(old_token)[0]["kid"]
        started_after = await start_server(keyed)
        async with httpx.AsyncClient(base_url=started_after.url) as after:
            new_token = (await issue(after, db, clock, app, account_id))["access_token"]
        assert claims_of(new_token)[0]["kid"] == rotated["signing"]
        assert (await introspect(before, rs, new_token))["active"] is True  # the running server re-read the file
        assert (await introspect(before, rs, old_token))["active"] is True
        assert [k["kid"] for k in (await before.get("/jwks")).json()["keys"]] == rotated["published"]


def test_retiring_keeps_the_signing_key_and_refuses_to_retire_it(renkei, keys_file):  # noqa: F811
    environment = {"RENKEI_SIGNING_KEYS_FILE": str(keys_file)}
    first = json.loads(renkei("keys", "rotate", env=environment).stdout)
    old_kid = first["published"][1]
    refused = renkei("keys", "retire", first["signing"], env=environment)
    assert refused.returncode == 1 and "signs access tokens" in refused.stderr
    assert "no key" in renkei("keys", "retire", "not-a-kid", env=environment).stderr
    retired = json.loads(renkei("keys", "retire", old_kid, env=environment).stdout)
    assert retired == {"signing": first["signing"], "published": [first["signing"]]}
    assert [k["kid"] for k in json.loads(keys_file.read_text())["keys"]] == [first["signing"]]
