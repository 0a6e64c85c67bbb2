"""DPoP (RFC 9449) at /token for a FAPI 2.0 app: bound codes, bound tokens, and every way a proof fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.oauth.dpop import check_proof, dpop_nonce
from server.oauth.errors import InvalidDpopProof
from tests.oauth.factories import REDIRECT_URI, add_account, add_code, add_fapi2_app, assertion_form, dpop_proof, new_key
from tests.oauth.test_token_code import claims_of


@pytest.fixture
async def fapi2(db, clock):
    app = await add_fapi2_app(db, clock.now())
    account_id = await add_account(db, clock.now())
    return app, account_id, new_key()


async def post_token(client, server, clock, app, form, *, proof: str | None):
    body = {**form, **assertion_form(app, audience=server.url, now=clock.now())}
    return await client.post("/token", data=body, headers={"DPoP": proof} if proof else {})


def code_form(code):
    return {"grant_type": "authorization_code", "code": code.value, "redirect_uri": REDIRECT_URI, "code_verifier": code.verifier}


async def test_a_fapi2_app_gets_dpop_bound_tokens_and_a_refresh_token_that_does_not_rotate(client, server, db, clock, fapi2):
    app, account_id, key = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now(), dpop_jkt=key.thumbprint())
    response = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", server.url + "/token", clock.now()))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "DPoP" and response.headers["dpop-nonce"]
    assert claims_of(body["access_token"])[1]["cnf"] == {"jkt": key.thumbprint()}
    for _ in range(2):  # the same refresh token, twice: no rotation
        clock.advance(seconds=1)
        refreshed = await post_token(client, server, clock, app, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                                     proof=dpop_proof(key, "POST", server.url + "/token", clock.now()))
        assert refreshed.status_code == 200, refreshed.text
        assert "refresh_token" not in refreshed.json() and refreshed.json()["token_type"] == "DPoP"


async def test_a_fapi2_refresh_with_a_proof_from_another_key_is_refused(client, server, db, clock, fapi2):
    app, account_id, key = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    body = (await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", server.url + "/token", clock.now()))).json()
    refreshed = await post_token(client, server, clock, app, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                                 proof=dpop_proof(new_key(), "POST", server.url + "/token", clock.now()))
    assert refreshed.json()["error"] == "invalid_grant" and "another DPoP key" in refreshed.json()["error_description"]


async def test_a_fapi2_app_without_a_dpop_proof_is_refused(client, server, db, clock, fapi2):
    app, account_id, _ = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await post_token(client, server, clock, app, code_form(code), proof=None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"


async def test_a_code_bound_to_one_key_is_refused_with_a_proof_from_another(client, server, db, clock, fapi2):
    app, account_id, key = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now(), dpop_jkt=key.thumbprint())
    response = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(new_key(), "POST", server.url + "/token", clock.now()))
    assert response.json()["error"] == "invalid_grant" and "another DPoP key" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("make", "hint"),
    [
        (lambda key, url, now: dpop_proof(key, "GET", url, now), "htm"),
        (lambda key, url, now: dpop_proof(key, "POST", url.replace("/token", "/par"), now), "htu"),
        (lambda key, url, now: dpop_proof(key, "POST", "https://other.example/token", now), "htu"),
        (lambda key, url, now: dpop_proof(key, "POST", url, now - timedelta(seconds=11)), "iat"),
        (lambda key, url, now: dpop_proof(key, "POST", url, now + timedelta(seconds=11)), "iat"),
        (lambda key, url, now: dpop_proof(key, "POST", url, now, typ="JWT"), "typ"),
        (lambda key, url, now: dpop_proof(key, "POST", url, now, jwk=key.as_dict(private=True)), "jwk"),
        (lambda key, url, now: dpop_proof(key, "POST", url, now, jwk=new_key().as_dict(private=False)), "signature"),
        (lambda key, url, now: "not.a.proof", "not a signed JWT"),
    ],
    ids=["the wrong method", "another path", "another host", "an iat 11 s old", "an iat 11 s ahead", "the wrong typ",
         "a private key in the header", "a jwk that did not sign it", "garbage"],
)
async def test_a_dpop_proof_is_refused_for(client, server, db, clock, fapi2, make, hint):
    app, account_id, key = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    response = await post_token(client, server, clock, app, code_form(code), proof=make(key, server.url + "/token", clock.now()))
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"
    assert hint in response.json()["error_description"]


async def test_a_replayed_dpop_proof_is_refused(client, server, db, clock, fapi2):
    app, account_id, key = fapi2
    proof = dpop_proof(key, "POST", server.url + "/token", clock.now())
    first = await add_code(db, app, account_id=account_id, now=clock.now())
    second = await add_code(db, app, account_id=account_id, now=clock.now())
    assert (await post_token(client, server, clock, app, code_form(first), proof=proof)).status_code == 200
    replay = await post_token(client, server, clock, app, code_form(second), proof=proof)
    assert replay.json()["error"] == "invalid_dpop_proof" and "already used" in replay.json()["error_description"]


async def test_a_proof_with_a_stale_nonce_is_answered_with_a_fresh_one_which_then_works(client, server, db, clock, fapi2):
    app, account_id, key = fapi2
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    url, session_key = server.url + "/token", server.runtime.settings.secrets.session_key
    stale = dpop_nonce(session_key, clock.now() - timedelta(minutes=15))
    refused = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", url, clock.now(), nonce=stale))
    assert refused.status_code == 400 and refused.json()["error"] == "use_dpop_nonce"
    nonce = refused.headers["dpop-nonce"]
    accepted = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", url, clock.now(), nonce=nonce))
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(("skew_seconds", "accepted"), [(-240, True), (240, True), (-400, False)],
                         ids=["four minutes slow", "four minutes fast", "nearly seven minutes slow"])
async def test_a_phone_whose_clock_drifts_is_accepted_with_a_fresh_server_nonce(client, server, db, clock, fapi2,
                                                                                skew_seconds, accepted):
    """RFC 9449 §11.1: a nonce we issued vouches for freshness, so iat may be up to 5 minutes off with one."""
    app, account_id, key = fapi2
    url, session_key = server.url + "/token", server.runtime.settings.secrets.session_key
    phone_time = clock.now() + timedelta(seconds=skew_seconds)
    code = await add_code(db, app, account_id=account_id, now=clock.now())
    without = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", url, phone_time))
    assert without.status_code == 400 and "iat" in without.json()["error_description"]
    nonce = dpop_nonce(session_key, clock.now())
    answer = await post_token(client, server, clock, app, code_form(code), proof=dpop_proof(key, "POST", url, phone_time, nonce=nonce))
    assert (answer.status_code == 200) is accepted, answer.text


def test_a_proof_for_a_resource_request_must_carry_the_hash_of_the_access_token(clock):
    key, url = new_key(), "https://renkei.example.jp/api/balance"
    good = dpop_proof(key, "GET", url, clock.now(), access_token="the-token")
    assert check_proof(good, method="GET", url=url + "?month=11", now=clock.now(), access_token="the-token").jkt == key.thumbprint()
    for proof in (dpop_proof(key, "GET", url, clock.now(), access_token="another-token"), dpop_proof(key, "GET", url, clock.now())):
        with pytest.raises(InvalidDpopProof, match="ath"):
            check_proof(proof, method="GET", url=url, now=clock.now(), access_token="the-token")


@pytest.mark.parametrize("alg", ["ES256", "PS256", "EdDSA"])
def test_proofs_signed_with_each_fapi2_algorithm_are_accepted(clock, alg):
    import warnings

    from joserfc.errors import SecurityWarning
    from joserfc.jwk import OKPKey, RSAKey

    key = {"ES256": new_key, "PS256": lambda: RSAKey.generate_key(2048, private=True),
           "EdDSA": lambda: OKPKey.generate_key("Ed25519", private=True)}[alg]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc prefers "Ed25519" to "EdDSA" (RFC 9864)
        proof = dpop_proof(key, "POST", "https://renkei.example.jp/token", clock.now(), alg=alg)
    assert check_proof(proof, method="POST", url="https://renkei.example.jp/token", now=clock.now()).jkt == key.thumbprint()


def test_a_proof_signed_with_rs256_is_refused(clock):
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, private=True)
    proof = dpop_proof(key, "POST", "https://renkei.example.jp/token", clock.now(), alg="RS256")
    with pytest.raises(InvalidDpopProof, match="alg"):
        check_proof(proof, method="POST", url="https://renkei.example.jp/token", now=clock.now())


@pytest.mark.parametrize("weak", ["RSA 1024", "Ed448"])
def test_a_proof_made_with_a_key_weaker_than_fapi2_allows_is_refused(clock, weak):
    import warnings

    from joserfc.errors import SecurityWarning
    from joserfc.jwk import OKPKey, RSAKey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc warns about both keys: that is the point
        key, alg = (RSAKey.generate_key(1024, private=True), "PS256") if weak == "RSA 1024" else (OKPKey.generate_key("Ed448", private=True), "EdDSA")
        proof = dpop_proof(key, "POST", "https://renkei.example.jp/token", clock.now(), alg=alg)
    with pytest.raises(InvalidDpopProof, match="weaker than FAPI 2.0 allows"):
        check_proof(proof, method="POST", url="https://renkei.example.jp/token", now=clock.now())


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), "1764000000", True], ids=["NaN", "Infinity", "a string", "a boolean"])
def test_a_proof_whose_iat_is_not_a_time_is_refused_not_a_crash(clock, iat):
    from joserfc import jwt

    key = new_key()
    claims = {"jti": "j" * 16, "htm": "POST", "htu": "https://renkei.example.jp/token", "iat": iat}
    proof = jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}, claims, key)
    with pytest.raises(InvalidDpopProof, match="iat"):
        check_proof(proof, method="POST", url="https://renkei.example.jp/token", now=clock.now())
