"""A leaked copy of the database: the PINs cannot be guessed from it, and it holds no secret or token in clear.

A 4-digit PIN has 10,000 values, so an argon2 hash of the PIN alone falls to
10,000 guesses. Renkei hashes HMAC-SHA256(pepper, PIN) instead, with the pepper
(RENKEI_PIN_PEPPER) kept outside the database: without it, no guess verifies.
Client secrets, codes, refresh tokens and cookies are kept as digests only.
"""

from __future__ import annotations

import asyncpg
from passlib.hash import argon2

from server.hashing import verify_pin
from tests.flow.walk import Customer, create_account, redirect_query
from tests.oauth.factories import add_account, add_code, add_sandbox_app


async def _every_row_as_text(db: asyncpg.Pool) -> str:
    tables = [r["tablename"] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    rows = [await db.fetch(f'SELECT t::text AS row FROM "{table}" t') for table in tables]
    return "\n".join(r["row"] for table_rows in rows for r in table_rows)


async def test_a_leaked_pin_hash_verifies_none_of_the_ten_thousand_pins_without_the_pepper(db, settings):
    await create_account(db, settings, pin="2580")
    stolen = await db.fetchval("SELECT pin_hash FROM account")
    assert not [pin for pin in (f"{n:04d}" for n in range(10_000)) if argon2.verify(pin, stolen)]
    assert verify_pin(settings.secrets.pin_pepper, "2580", stolen)  # the server, holding the pepper, still can
    assert not verify_pin("a-guessed-pepper", "2580", stolen)


async def test_the_database_holds_no_pepper_key_secret_code_token_or_cookie_in_clear(customer: Customer, taro, db, settings, client, clock):
    await customer.start()
    cookie = customer.http.cookies["renkei_flow"]
    await customer.through_pin(taro)
    code_for_the_app = redirect_query(await customer.post("/flow/consent", {"decision": "approve"}))["code"]
    app = await add_sandbox_app(db, clock.now())
    issued = await add_code(db, app, account_id=await add_account(db, clock.now(), number="7654321"), now=clock.now())
    tokens = (await client.post("/token", auth=app.basic, data={
        "grant_type": "authorization_code", "code": issued.value, "redirect_uri": app.redirect_uri,
        "code_verifier": issued.verifier})).json()
    dump = await _every_row_as_text(db)
    secrets = {"PIN pepper": settings.secrets.pin_pepper, "session key": settings.secrets.session_key,
               "Twilio auth token": settings.ivr.twilio_auth_token, "client secret": app.secret, "flow cookie": cookie,
               "authorization code": code_for_the_app, "access token": tokens["access_token"],
               "refresh token": tokens["refresh_token"]}
    assert [name for name, value in secrets.items() if value in dump] == []
