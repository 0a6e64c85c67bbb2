"""Horizontal guessing: one birth date or PIN tried on many accounts, which no account's own lock sees.

Failures are counted across all accounts per IP address and per app, in
PostgreSQL (every server process shares the count), in slices of a tenth of
the window; past a limit in the window ending now the screens answer S02 with
Retry-After until the oldest failures stop counting, and nothing is checked.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import asyncpg
import httpx
import pytest

from server.db import throttles
from server.policy.throttles import Rule, Scope, counted_from, decide, slice_at
from server.retention import run_round
from tests.conftest import build_test_settings
from tests.flow.walk import Account, Customer, create_account, create_client, csrf_of, reason_of

WRONG_BIRTH_DATE = "1970-01-01"


async def _server(start_server, database_url: str, *, ip: int = 1000, client: int = 1000, pool_max: int = 10):  # type: ignore[no-untyped-def]
    settings = build_test_settings(database_url)
    settings = replace(settings, throttle=replace(settings.throttle, ip_failures=ip, client_failures=client),
                       database=replace(settings.database, pool_max=pool_max, acquire_timeout_seconds=30))
    return await start_server(settings)


async def _accounts(db: asyncpg.Pool, settings, count: int) -> list[Account]:  # type: ignore[no-untyped-def]
    return [await create_account(db, settings, account_number=f"{1000000 + n:07d}") for n in range(count)]


async def _at_screen_two(server, account: Account, ip: str) -> Customer:  # type: ignore[no-untyped-def]
    """A browser from ``ip`` (as a proxy on this machine reports it) on screen ② of ``account``."""
    http = httpx.AsyncClient(base_url=server.url, headers={"X-Forwarded-For": ip}, timeout=30)
    customer = Customer(http, server.runtime.settings)
    await customer.start()
    await customer.enter_account(account)
    return customer


async def test_one_birth_date_tried_on_many_accounts_from_one_address_is_stopped_at_the_limit(start_server, database_url, db, log_lines):
    server = await _server(start_server, database_url, ip=3)
    await create_client(db)
    accounts = await _accounts(db, server.runtime.settings, 4)
    for account in accounts[:3]:
        customer = await _at_screen_two(server, account, "203.0.113.7")
        response = await customer.enter_details(WRONG_BIRTH_DATE)
        assert (response.status_code, reason_of(customer.page)) == (400, "B82")
        await customer.http.aclose()
    # The window is full: the fourth account is not even looked up.
    async with httpx.AsyncClient(base_url=server.url, headers={"X-Forwarded-For": "203.0.113.7"}) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        refused = await customer.enter_account(accounts[3])
    assert refused.status_code == 503 and reason_of(customer.page) == "S02"
    # The clock stands at 10:00:00: the failures' minute slice counts until a whole window after it ended.
    assert refused.headers["retry-after"] == "660"
    assert await db.fetchval("SELECT sum(failures) FROM account_failure WHERE kind = 'identity'") == 3
    refused = [json.loads(line) for line in log_lines if '"throttle.refused"' in line]
    assert refused and (refused[0]["scope"], refused[0]["failures"], refused[0]["retry_after"]) == ("ip", 3, 660)
    assert await db.fetchval("SELECT detail->>'throttle' FROM operation_log WHERE reason_code = 'S02'") == "ip"


async def test_another_address_is_not_held_up_and_the_first_may_go_on_when_the_window_ends(start_server, database_url, db, clock):
    server = await _server(start_server, database_url, ip=1)
    await create_client(db)
    first, second = await _accounts(db, server.runtime.settings, 2)
    guesser = await _at_screen_two(server, first, "203.0.113.7")
    await guesser.enter_details(WRONG_BIRTH_DATE)
    assert reason_of(guesser.page) == "B82"
    await guesser.enter_details(WRONG_BIRTH_DATE)
    assert reason_of(guesser.page) == "S02"
    neighbour = await _at_screen_two(server, second, "198.51.100.20")
    await neighbour.enter_details(second.birth_date)
    assert 'action="/flow/phone"' in neighbour.page
    clock.advance(seconds=659)
    await guesser.start()
    await guesser.enter_account(first)
    assert reason_of(guesser.page) == "S02"  # a window after the failure, its slice still counts
    clock.advance(seconds=1)
    await guesser.start()
    await guesser.enter_account(first)
    await guesser.enter_details(first.birth_date)
    assert 'action="/flow/phone"' in guesser.page
    await guesser.http.aclose()
    await neighbour.http.aclose()


async def test_guesses_through_one_app_from_many_addresses_are_stopped_at_the_apps_limit(start_server, database_url, db):
    server = await _server(start_server, database_url, client=2)
    await create_client(db)
    accounts = await _accounts(db, server.runtime.settings, 3)
    reasons = []
    for n, account in enumerate(accounts):
        customer = await _at_screen_two(server, account, f"192.0.2.{n + 1}")
        if reason_of(customer.page) is None:
            await customer.enter_details(WRONG_BIRTH_DATE)
        reasons.append(reason_of(customer.page))
        await customer.http.aclose()
    assert reasons == ["B82", "B82", "S02"]  # the third stopped on screen ① already


async def test_account_numbers_that_do_not_exist_count_so_probing_for_accounts_is_limited(start_server, database_url, db):
    server = await _server(start_server, database_url, ip=2)
    await create_client(db)
    (taro,) = await _accounts(db, server.runtime.settings, 1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        for number in ("7000001", "7000002"):
            await customer.enter_account(taro, account_number=number)
            assert reason_of(customer.page) == "B81"
        await customer.enter_account(taro)  # the right one, but the window is full
        assert reason_of(customer.page) == "S02"


async def test_right_answers_do_not_count_towards_the_limit(start_server, database_url, db):
    server = await _server(start_server, database_url, ip=1)
    await create_client(db)
    accounts = await _accounts(db, server.runtime.settings, 3)
    for account in accounts:  # three customers behind one address, all right
        customer = await _at_screen_two(server, account, "203.0.113.7")
        await customer.enter_details(account.birth_date)
        assert 'action="/flow/phone"' in customer.page
        await customer.http.aclose()
    assert await db.fetchval("SELECT failures FROM attempt_throttle WHERE scope = 'ip'") == 0


async def test_wrong_pins_count_towards_the_same_limit(start_server, database_url, db):
    server = await _server(start_server, database_url, ip=1)
    await create_client(db)
    (taro,) = await _accounts(db, server.runtime.settings, 1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.through_phone(taro)
        await customer.post("/flow/pin", {"pin": "9999"})
        assert reason_of(customer.page) == "B87"
        response = await customer.post("/flow/pin", {"pin": taro.pin})
        assert response.status_code == 503 and reason_of(customer.page) == "S02"
    assert await db.fetchval("SELECT failures FROM account_failure WHERE kind = 'pin'") == 1


async def test_thirty_parallel_guesses_on_thirty_accounts_on_two_servers_check_exactly_the_limit(start_server, database_url, db):
    """Race: the places are taken before the check, by one atomic statement in the shared database."""
    servers = [await _server(start_server, database_url, ip=5, pool_max=20) for _ in range(2)]
    await create_client(db)
    accounts = await _accounts(db, servers[0].runtime.settings, 30)
    customers = [await _at_screen_two(servers[n % 2], account, "203.0.113.7") for n, account in enumerate(accounts)]
    forms = [{"csrf_token": csrf_of(c.page), "birth_date": WRONG_BIRTH_DATE, "name_kana": "ヤマダ タロウ", "email": "t@example.jp"}
             for c in customers]
    answers = await asyncio.gather(*(c.http.post("/flow/customer", data=f) for c, f in zip(customers, forms)))
    assert Counter(reason_of(a.text) for a in answers) == {"B82": 5, "S02": 25}
    assert await db.fetchval("SELECT sum(failures) FROM account_failure") == 5
    await asyncio.gather(*(c.http.aclose() for c in customers))


IP_RULE = Rule(Scope.IP, limit=7, window_seconds=600)


async def _take(conn, now) -> int | None:  # type: ignore[no-untyped-def]
    current = slice_at(now, IP_RULE)
    return await throttles.take_place(conn, "ip", "203.0.113.7", starts_at=current.starts_at, ends_at=current.ends_at,
                                      counted_from=counted_from(now, IP_RULE), limit=IP_RULE.limit)


async def test_fifty_places_taken_at_once_on_fifty_connections_fill_the_window_exactly(db, database_url, clock):
    """Race: with failures already in older slices, fifty connections take the rest of the window at once."""
    await _take(db, clock.now() - timedelta(minutes=9, seconds=30))
    await _take(db, clock.now() - timedelta(minutes=5))
    connections = [await asyncpg.connect(database_url) for _ in range(50)]
    try:
        taken = await asyncio.gather(*(_take(conn, clock.now()) for conn in connections))
    finally:
        await asyncio.gather(*(conn.close() for conn in connections))
    assert sorted(t for t in taken if t is not None) == list(range(3, 8))
    failures = await throttles.failures_by_slice(db, "ip", "203.0.113.7", counted_from=counted_from(clock.now(), IP_RULE))
    assert sum(failures.values()) == 7 and not decide(IP_RULE, clock.now(), failures).allowed


# (description, minutes from now of the failures already counted, allowed now)
SLICE_ROWS = [
    ("a full window at the end of the previous fixed window still counts at the start of the next",
     [-0.5] * 7, False),
    ("failures more than a window and a slice ago are forgotten", [-11] * 7, True),
    ("the oldest slice counted is the one a window ago", [-10] * 7, False),
    ("one under the limit across the slices: one more is counted", [-9, -7, -5, -3, -1, 0], True),
]


@pytest.mark.parametrize(("minutes", "allowed"), [r[1:] for r in SLICE_ROWS], ids=[r[0] for r in SLICE_ROWS])
async def test_the_database_counts_exactly_the_slices_the_policy_counts(db, clock, minutes: list[float], allowed: bool):
    for m in minutes:
        assert await _take(db, clock.now() + timedelta(minutes=m)) is not None
    failures = await throttles.failures_by_slice(db, "ip", "203.0.113.7", counted_from=counted_from(clock.now(), IP_RULE))
    assert decide(IP_RULE, clock.now(), failures).allowed is allowed
    assert (await _take(db, clock.now()) is not None) is allowed


async def test_housekeeping_keeps_every_slice_still_counted(settings, database_url, db, clock):
    """Retention deletes a slice attempt_throttle_hours after it ended: long after it stops counting."""
    for _ in range(IP_RULE.limit):
        await _take(db, clock.now())
    conn = await asyncpg.connect(database_url)
    try:
        clock.advance(seconds=IP_RULE.window_seconds + IP_RULE.slice_seconds - 1)
        await run_round(conn, settings, clock.now())
        assert await _take(db, clock.now()) is None  # still counted, so still there
        clock.advance(hours=settings.retention.attempt_throttle_hours, seconds=IP_RULE.slice_seconds)
        await run_round(conn, settings, clock.now())
    finally:
        await conn.close()
    assert await db.fetchval("SELECT count(*) FROM attempt_throttle") == 0


@pytest.mark.parametrize("scope", ["ip", "client"])
def test_the_shipped_limits_are_those_security_md_names(settings, scope: str) -> None:
    limits = {"ip": (settings.throttle.ip_failures, settings.throttle.ip_window_seconds),
              "client": (settings.throttle.client_failures, settings.throttle.client_window_seconds)}
    assert limits[scope] == {"ip": (20, 600), "client": (60, 60)}[scope]
