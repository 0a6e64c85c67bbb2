"""A scripted morning at the bank, through a real server over HTTP with signed webhooks, and its expected figures.

Five customers open the app's link between 10:00 and 10:30 (Tokyo) on 2026-11-24:

- Taro (branch 001) links in 3 minutes; Jiro (002) in 5.
- Hanako (001) types a wrong birth date once (B82), then calls 130 s after her
  number was shown: a late call; screen ④ offers her a new number, and she leaves.
- Saburo (002) types a wrong PIN three times: B87, B87, then the PIN lock (B88).
- A fifth customer opens /authorize and leaves before screen ①.

Beside them, a stranger rings an auth number from an unregistered phone and
someone rings with the number withheld.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from ivr.simulate import simulate_call
from server.clock import FrozenClock
from server.hashing import token_digest
from tests.flow.walk import (APP_NAME, CLIENT_ID, REDIRECT_URI, Account, Customer, create_account, create_client, pkce_pair,
                             redirect_query)
from tests.staff.conftest import add_staff, open_console  # noqa: F401

MORNING = date(2026, 11, 24)
STRANGER, WITHHELD = "+817033334444", "anonymous"
WRONG_BIRTH_DATE, WRONG_PIN = "1999-01-01", "9999"
APP_SECRET = "morning-app-secret"


@dataclass(frozen=True)
class Morning:
    taro: Account
    jiro: Account
    hanako: Account
    saburo: Account


def zeros(*codes: str) -> dict[str, int]:
    return dict.fromkeys(codes, 0)


REASONS = zeros(*(f"B8{n}" for n in range(1, 10)), "S01", "S02", "S03")

# What /staff/api/stats must say of that morning, for head office and for a clerk of branch 001.
HEAD_OFFICE = {
    "started": 5, "approved": 2, "stages": {"1": 4, "2": 4, "3": 4, "4": 3, "5": 2, "6": 2},
    "reasons": {**REASONS, "B82": 1, "B87": 2, "B88": 1}, "locks": {"identity": 0, "pin": 1},
    "calls": {"matched": 3, "late": 1, "unregistered": 1, "withheld": 1},
    "apps": [{"client_id": CLIENT_ID, "name": APP_NAME, "started": 5, "approved": 2, "live_links": 2}],
    "duration_seconds": {"median": 240.0, "p90": 288.0},
}
BRANCH_001 = {
    "started": 2, "approved": 1, "stages": {"1": 2, "2": 2, "3": 2, "4": 1, "5": 1, "6": 1},
    "reasons": {**REASONS, "B82": 1}, "locks": {"identity": 0, "pin": 0},
    "calls": {"matched": 1, "late": 1, "unregistered": 0, "withheld": 0},  # Hanako's late call is her flow's
    "apps": [{"client_id": CLIENT_ID, "name": APP_NAME, "started": 2, "approved": 1, "live_links": 1}],
    "duration_seconds": {"median": 180.0, "p90": 180.0},
}


@pytest.fixture
async def browsers(server) -> AsyncIterator:  # type: ignore[no-untyped-def]
    """``await browser()``: a new customer's browser (its own cookie jar)."""
    opened: list[httpx.AsyncClient] = []

    async def new() -> Customer:
        http = httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=20)
        opened.append(http)
        return Customer(http, server.runtime.settings)

    yield new
    for http in opened:
        await http.aclose()


async def _links_in(customer: Customer, account: Account, clock: FrozenClock, *, before: int, after: int) -> None:
    """The customer links in ``before`` + ``after`` minutes, and the app collects its tokens at once."""
    verifier, challenge = pkce_pair()
    await customer.start(code_challenge=challenge)
    clock.advance(minutes=before)
    await customer.through_pin(account)
    clock.advance(minutes=after)
    response = await customer.post("/flow/consent", {"decision": "approve"})
    assert response.status_code in (302, 303), response.text[:300]
    await collect_tokens(customer.http, redirect_query(response)["code"], verifier)


async def collect_tokens(http: httpx.AsyncClient, code: str, verifier: str) -> httpx.Response:
    """What the app's server does with the code it was sent back with."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    response = await http.post("/token", data=form, auth=(CLIENT_ID, APP_SECRET))
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
async def morning(server, db, clock: FrozenClock, browsers) -> Morning:  # type: ignore[no-untyped-def]
    settings = server.runtime.settings
    await create_client(db)
    await db.execute("UPDATE oauth_client SET secret_digest = $2 WHERE client_id = $1", CLIENT_ID, token_digest(APP_SECRET))
    taro = await create_account(db, settings)
    jiro = await create_account(db, settings, branch_code="002", account_number="7654321", phones=("+819011112222",))
    hanako = await create_account(db, settings, account_number="2345678", phones=("+819033334444",))
    saburo = await create_account(db, settings, branch_code="002", account_number="3456789", phones=("+819055556666",))

    await _links_in(await browsers(), taro, clock, before=1, after=2)
    await _links_in(await browsers(), jiro, clock, before=2, after=3)

    late = await browsers()
    await late.start()
    await late.enter_account(hanako)
    await late.enter_details(WRONG_BIRTH_DATE)
    await late.enter_details(hanako.birth_date)
    await late.post("/flow/phone")
    clock.advance(seconds=130)
    assert (await late.call_in(hanako.phones[0])).status_code == 200  # answered, too late to match
    await late.post("/flow/phone/call")

    locked = await browsers()
    await locked.start()
    await locked.through_phone(saburo)
    for _ in range(3):
        await locked.post("/flow/pin", {"pin": WRONG_PIN})

    await (await browsers()).start()
    auth_number = settings.ivr.auth_numbers[0]
    for caller in (STRANGER, WITHHELD):
        answered = await simulate_call(settings.public_url, settings.ivr.twilio_auth_token, caller, auth_number)
        assert answered.status_code == 200
    return Morning(taro, jiro, hanako, saburo)


async def generate_lines(db, day: date, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` screen-① failure lines spread over ``day`` (Tokyo), half of branch 001's accounts, half of 002's."""
    await db.execute(
        """INSERT INTO operation_log (at, event, outcome, reason_code, account_masked, name_kana, client_id, ip, detail)
           SELECT ($1::date::timestamp AT TIME ZONE 'Asia/Tokyo') + n * (interval '86399 seconds' / $2),
                  'flow:account:failure', 'failure', 'B81',
                  CASE WHEN n % 2 = 0 THEN '001' ELSE '002' END || '-1-***' || lpad((n % 10000)::text, 4, '0'),
                  'カナ ジドウ', 'generated-app', '192.0.2.1', jsonb_build_object('n', n)
             FROM generate_series(1, $2) AS n""",
        day, count,
    )
