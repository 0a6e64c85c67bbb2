"""Tokens a key set has verified are remembered, and forgotten with the keys that signed them."""

from __future__ import annotations

from joserfc.jwk import KeySet

from server.oauth import jwt_tokens
from server.oauth.jwt_tokens import SigningKeyFile, SigningKeys, new_private_key, write_key_file


def test_a_token_verified_before_is_refused_once_its_key_is_retired_from_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(jwt_tokens, "CHECK_SECONDS", 0.0)  # look at the file at every use, not every 5 s
    old, new = new_private_key(), new_private_key()
    path = tmp_path / "keys.json"
    write_key_file(path, KeySet([old]))
    keys = SigningKeyFile(path)
    token = keys.sign({"typ": "at+jwt"}, {"jti": "x"})
    assert keys.verify(token) is not None and keys.verify(token) is not None  # the second time from memory
    write_key_file(path, KeySet([new]))
    assert keys.verify(token) is None


def test_remembering_a_genuine_token_never_lets_an_altered_copy_through():
    keys = SigningKeys(KeySet([new_private_key()]))
    token = keys.sign({"typ": "at+jwt"}, {"jti": "x", "scope": "accounts:read"})
    assert keys.verify(token) is not None
    header, payload, signature = token.split(".")
    assert keys.verify(f"{header}.{payload}.{signature[:-4]}AAAA") is None
    other = keys.sign({"typ": "at+jwt"}, {"jti": "x", "scope": "accounts:read transactions:read"})  # wider scope
    assert keys.verify(f"{header}.{other.split('.')[1]}.{signature}") is None


def test_a_key_set_remembers_a_bounded_number_of_tokens(monkeypatch):
    monkeypatch.setattr(jwt_tokens, "VERIFIED_TOKENS", 3)
    keys = SigningKeys(KeySet([new_private_key()]))
    tokens = [keys.sign({"typ": "at+jwt"}, {"jti": str(n)}) for n in range(5)]
    assert all(keys.verify(t) is not None for t in tokens)
    assert len(keys._verified) == 3 and all(keys.verify(t) is not None for t in tokens)


