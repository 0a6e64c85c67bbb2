"""Signing keys: generated once in development, read from a file otherwise, rolled over without breaking tokens."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from joserfc.jwk import KeySet

from server.oauth.jwt_tokens import SigningKeys, generate_once, load_signing_keys, new_private_key, parse_key_file, write_key_file
from server.settings import ConfigError


def _generate_and_read_kid(path: str) -> str:
    generate_once(Path(path))
    return json.loads(Path(path).read_text())["keys"][0]["kid"]


def test_a_development_key_file_is_generated_once_even_by_several_processes_at_once(tmp_path):
    path = str(tmp_path / "signing-keys.json")
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        kids = list(pool.map(_generate_and_read_kid, [path] * 8))
    assert len(set(kids)) == 1
    assert (tmp_path / "signing-keys.json").stat().st_mode & 0o077 == 0


def test_development_settings_without_a_key_file_use_the_generated_one(settings, tmp_path):
    settings = replace(settings, var_dir=tmp_path)
    first = load_signing_keys(settings).keys.signer.kid
    assert load_signing_keys(settings).keys.signer.kid == first


def test_a_key_file_holding_a_public_key_only_is_refused(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [new_private_key().as_dict(private=False)]}))
    with pytest.raises(ConfigError, match="private EC P-256"):
        parse_key_file(path)


@pytest.mark.parametrize("content", ["not json", "{}", '{"keys": []}', '{"keys": [{"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}'])
def test_a_key_file_that_is_not_a_private_jwks_is_refused_with_its_path(tmp_path, content):
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=str(path)):
        parse_key_file(path)


def test_after_a_new_key_is_added_first_it_signs_and_tokens_of_the_old_key_still_verify(tmp_path):
    old, new = new_private_key(), new_private_key()
    path = tmp_path / "keys.json"
    write_key_file(path, KeySet([old]))
    token = SigningKeys(parse_key_file(path)).sign({"typ": "at+jwt"}, {"jti": "x"})
    write_key_file(path, KeySet([new, old]))
    rolled = SigningKeys(parse_key_file(path))
    assert rolled.signer.kid == new.kid
    assert rolled.verify(token) is not None
    assert rolled.verify(token[:-4] + "AAAA") is None
    assert [k["kid"] for k in rolled.public_jwks()["keys"]] == [new.kid, old.kid]


def test_a_key_file_broken_while_the_server_runs_leaves_it_signing_with_the_keys_that_worked(tmp_path, log_lines):
    from server.oauth.jwt_tokens import SigningKeyFile

    path = tmp_path / "keys.json"
    write_key_file(path, KeySet([new_private_key()]))
    keys = SigningKeyFile(path)
    token = keys.sign({"typ": "at+jwt"}, {"jti": "x"})
    path.write_text('{"keys": [')  # an operator's half-finished edit
    assert keys.verify("not.a.token") is None  # a failed check looks at the file again
    assert keys.verify(token) is not None and keys.sign({}, {"jti": "y"})
    assert any("signing_keys.unreadable" in line for line in log_lines)


def test_a_new_signing_key_id_never_reads_as_a_command_line_option() -> None:
    from server.oauth.jwt_tokens import new_private_key

    kids = {new_private_key().kid for _ in range(50)}
    assert len(kids) == 50 and all(kid.startswith("rk-") for kid in kids)
