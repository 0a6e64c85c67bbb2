"""`renkei keys init` and `renkei keys list`: the first signing key in production, and what each key does."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import asyncpg

from server.oauth.jwt_tokens import SigningKeys, parse_key_file
from tests.cli.conftest import PRODUCTION, Renkei


async def test_production_creates_its_first_key_once_then_lists_and_rotates(renkei: Renkei, db: asyncpg.Pool, tmp_path: Path) -> None:
    keys_file = tmp_path / "etc" / "signing-keys.json"
    production = {**PRODUCTION, "RENKEI_SIGNING_KEYS_FILE": str(keys_file)}
    assert renkei("keys", "rotate", env=production).returncode == 1  # nothing to rotate yet
    made = renkei("keys", "init", "--operator", "yamamoto", env=production)
    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)["signing"]
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    again = renkei("keys", "init", env=production)
    assert again.returncode == 1 and "exists already" in again.stderr and json.loads(keys_file.read_text())["keys"][0]["kid"] == first

    rotated = json.loads(renkei("keys", "rotate", env=production).stdout)["signing"]
    listed = json.loads(renkei("keys", "list", "--json", env=production).stdout)
    assert [(k["kid"], k["alg"], k["use"]) for k in listed] == [(rotated, "ES256", "signing"), (first, "ES256", "published")]
    assert all(datetime.fromisoformat(k["created"]).utcoffset() is not None for k in listed)
    table = renkei("keys", "list", env=production).stdout.splitlines()
    assert table[0].split() == ["kid", "alg", "created", "use"] and table[1].endswith("signing")
    logged = await db.fetch("SELECT event, staff_id, detail FROM operation_log WHERE event LIKE 'keys:%' ORDER BY id")
    assert [(r["event"], r["staff_id"]) for r in logged][0] == ("keys:init", "cli:yamamoto")
    assert [r["event"] for r in logged] == ["keys:init", "keys:rotate"]


def test_the_time_a_key_was_made_is_not_published(renkei: Renkei, tmp_path: Path) -> None:
    keys_file = tmp_path / "signing-keys.json"
    renkei("keys", "init", env={"RENKEI_SIGNING_KEYS_FILE": str(keys_file)})
    private = json.loads(keys_file.read_text())["keys"][0]
    assert isinstance(private["iat"], int)
    published = SigningKeys(parse_key_file(keys_file)).public_jwks()["keys"][0]
    assert "iat" not in published and "d" not in published and published["kid"] == private["kid"]
