"""Fuzzing the HTML side: any form posted to any screen, any query to /authorize and the console's search.

Each request reaches the handler (a live flow behind its cookie, the right CSRF
token, a signed-in clerk) with fields and values hypothesis makes up. Whatever
arrives, the answer is a page below 500. Examples are bounded and derandomized.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.conftest import build_test_settings
from tests.flow.walk import REDIRECT_URI, Customer, authorize_params, create_account, create_client, csrf_of
from tests.staff.conftest import Console

EXAMPLES = int(os.environ.get("RENKEI_FUZZ_EXAMPLES", "40"))  # per form; more by hand explores further
VALUES = st.one_of(st.text(max_size=300), st.sampled_from(["", "approve", "deny", "1", "4", "001", "1234567", "1980-04-01",
                                                         "ヤマダ タロウ", "a@b.jp", "1234", "identity", "pin", "hq", "branch"]))
NAMES = st.sampled_from(["branch_code", "account_type", "account_number", "birth_date", "name_kana", "email", "pin", "decision",
                         "kind", "reason", "starts_at", "ends_at", "staff_id", "password", "role", "lang"]) | st.text(max_size=20)
FORMS = st.dictionaries(NAMES, VALUES, max_size=8)


@dataclass(frozen=True)
class Target:
    path: str
    cookies: dict[str, str]
    csrf: str


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _post_forms(base_url: str, target: Target, check) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=base_url, cookies=target.cookies, timeout=20) as http:
        @FUZZ
        @given(form=FORMS, lang=st.none() | st.text(max_size=5))
        def post_form(form: dict[str, str], lang: str | None) -> None:
            params = {"lang": lang} if lang is not None else {}
            check(http.post(target.path, data={"csrf_token": target.csrf, **form}, params=params))

        post_form()


def _authorize_queries(base_url: str, check) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=base_url, timeout=20) as http:
        @FUZZ
        @given(query=st.dictionaries(st.sampled_from(list(authorize_params())) | NAMES, VALUES, max_size=10),
               registered=st.booleans())
        @example(query={"client_id": "Ü\x00«"}, registered=True)  # found by a longer run: was a 500
        @example(query={"state": "\x00"}, registered=True)
        def authorize(query: dict[str, str], registered: bool) -> None:
            base = authorize_params() if registered else {}
            check(http.get("/authorize", params={**base, **query}))

        authorize()


def _console_reads(base_url: str, staff: Target, check) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=base_url, cookies=staff.cookies, timeout=20) as http:
        @FUZZ
        @given(query=st.dictionaries(NAMES, VALUES, max_size=4), key=VALUES)
        def console_reads(query: dict[str, str], key: str) -> None:
            check(http.get("/staff/accounts", params=query))
            check(http.get(f"/staff/accounts/{quote(key, safe='') or '-'}"))

        console_reads()


def _fuzz(base_url: str, targets: list[Target], staff: Target) -> list[str]:
    problems: list[str] = []

    def check(response: httpx.Response) -> None:
        if response.status_code >= 500 or "text/html" not in response.headers.get("content-type", "text/html"):
            problems.append(f"{response.request.method} {response.request.url} → {response.status_code}")

    for target in [*targets, staff]:
        _post_forms(base_url, target, check)
    _authorize_queries(base_url, check)
    _console_reads(base_url, staff, check)
    return problems


async def _customer_at(server, account, stage: str) -> tuple[Customer, httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(base_url=server.url, timeout=20)
    customer = Customer(http, server.runtime.settings)
    await customer.start()
    if stage != "account":
        await {"customer": customer.enter_account, "pin": customer.through_phone, "consent": customer.through_pin}[stage](account)
    return customer, http


async def test_no_form_posted_to_any_screen_and_no_authorize_query_gets_a_server_error(start_server, database_url, db, add_staff):
    base = build_test_settings(database_url)
    server = await start_server(replace(base, throttle=replace(base.throttle, ip_failures=100_000, client_failures=100_000)))
    await create_client(db)
    targets, clients = [], []
    for n, (stage, path) in enumerate([("account", "/flow/account"), ("customer", "/flow/customer"), ("pin", "/flow/pin"),
                                       ("consent", "/flow/consent")]):
        account = await create_account(db, server.runtime.settings, account_number=f"{1000000 + n:07d}")
        customer, http = await _customer_at(server, account, stage)
        clients.append(http)
        targets.append(Target(path, {"renkei_flow": http.cookies["renkei_flow"]}, csrf_of(customer.page)))
    await add_staff("hq-fuzz", "000", "hq")
    staff_http = httpx.AsyncClient(base_url=server.url)
    clients.append(staff_http)
    console = await Console(staff_http, "hq-fuzz").open()
    staff = Target("/staff/maintenance", {"renkei_staff": staff_http.cookies["renkei_staff"]}, console.csrf)
    try:
        problems = await asyncio.to_thread(_fuzz, server.url, targets, staff)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    assert problems == []
