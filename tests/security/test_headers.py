"""Security headers on every route, in one table: the customer screens, their error and reason pages
(S01, S02, S03, 404s, /authorize errors), the staff console, the token side, the APIs and the assets.

- screens: a strict CSP (no framing, no inline script), X-Frame-Options DENY, Referrer-Policy
  no-referrer, nosniff, Cache-Control no-store (clickjacking, referrer and cache leaks);
- token responses and private JSON (tokens, introspection, staff API, health): no-store, nosniff;
- everything else: nosniff;
- HSTS on every response when the public URL is https, on none when it is not.

A route added to the app without a row here fails the table.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx
from starlette.routing import Mount, Route

from ivr.simulate import simulate_call
from server.clock import TOKYO
from tests.conftest import build_test_settings
from tests.flow.walk import Customer, authorize_params, create_account, create_client
from tests.oauth.factories import add_account, add_code, add_resource_server, add_sandbox_app
from tests.staff.conftest import Console

SCREEN, PRIVATE, PUBLIC = "screen", "private", "public"
CSP = re.compile(r"^default-src 'none';.* frame-ancestors 'none'; base-uri 'none'$")
HSTS = "max-age=31536000; includeSubDomains"
INSIDE_DAILY_WINDOW = datetime(2026, 11, 24, 4, 2, tzinfo=TOKYO)


def problems_with(kind: str, headers: httpx.Headers) -> list[str]:
    wanted: dict[str, str | re.Pattern[str]] = {"x-content-type-options": "nosniff"}
    if kind in (SCREEN, PRIVATE):
        wanted["cache-control"] = "no-store"
    if kind == SCREEN:
        wanted |= {"content-security-policy": CSP, "x-frame-options": "DENY", "referrer-policy": "no-referrer"}
    found = []
    for name, value in wanted.items():
        have = headers.get(name, "")
        if not (value.match(have) if isinstance(value, re.Pattern) else have == value):
            found.append(f"{name}: {have!r}")
    return found


@dataclass
class Tour:
    """Requests made in order; each row names the route template it reaches and what kind of answer it is."""

    http: httpx.AsyncClient
    rows: list[tuple[str, str, str, httpx.Response]] = field(default_factory=list)

    async def see(self, route: str, kind: str, request: Callable[[], Awaitable[httpx.Response]], status: int) -> httpx.Response:
        response = await request()
        assert response.status_code == status, (route, response.status_code, response.text[:300])
        self.rows.append((f"{response.request.method} {response.request.url.path} → {status}", route, kind, response))
        return response


async def _customer_screens(tour: Tour, customer: Customer, taro) -> None:  # type: ignore[no-untyped-def]
    http = customer.http
    await tour.see("/flow/pin", SCREEN, lambda: http.get("/flow/pin"), 400)  # a screen without a flow
    await tour.see("/authorize", SCREEN, lambda: http.get("/authorize", params={"client_id": "nobody"}), 400)
    await tour.see("/authorize", SCREEN, lambda: http.get("/authorize", params=authorize_params(response_type="token")), 302)
    await tour.see("/authorize", SCREEN, customer.start, 302)
    await tour.see("/flow/account", SCREEN, lambda: http.get("/flow/account"), 200)
    await tour.see("/flow/account", SCREEN, lambda: http.post("/flow/account", content=b"x", headers={"content-type": "text/plain"}), 400)
    await tour.see("/flow/account", SCREEN, lambda: customer.enter_account(taro, account_number="7000001"), 400)
    await tour.see("/flow/account", SCREEN, lambda: customer.enter_account(taro), 303)
    await tour.see("/flow/customer", SCREEN, lambda: customer.enter_details(taro.birth_date), 303)
    await tour.see("/flow/phone", SCREEN, lambda: customer.post("/flow/phone"), 303)
    await tour.see("/flow/phone/call", SCREEN, lambda: http.get("/flow/phone/call"), 200)
    async with http.stream("GET", "/flow/phone/events") as events:
        tour.rows.append(("GET /flow/phone/events → 200", "/flow/phone/events", SCREEN, events))
    await tour.see("/flow/phone/call/new", SCREEN, lambda: customer.post("/flow/phone/call/new"), 303)  # not expired: back to ④
    await tour.see("/flow/phone/simulate", SCREEN, lambda: customer.post("/flow/phone/simulate"), 303)
    await tour.see("/flow/phone/call", SCREEN, lambda: customer.post("/flow/phone/call"), 303)
    await tour.see("/flow/pin", SCREEN, lambda: customer.post("/flow/pin", {"pin": "9999"}), 400)  # B87
    await tour.see("/flow/pin", SCREEN, lambda: customer.post("/flow/pin", {"pin": taro.pin}), 303)
    await tour.see("/flow/consent", SCREEN, lambda: customer.post("/flow/consent", {"decision": "approve"}), 303)
    await tour.see("/flow/consent", SCREEN, lambda: http.get("/flow/consent"), 410)
    await tour.see("/flow/leave", SCREEN, lambda: http.post("/flow/leave", data={"then": "redirect"}, headers={"Origin": customer.settings.public_url}), 410)  # approved: nothing to tell
    await tour.see("/flow/{unknown}", SCREEN, lambda: http.get("/flow/no-such-screen"), 404)
    await tour.see("/static", PUBLIC, lambda: http.get("/static/renkei.css"), 200)
    await tour.see("/", SCREEN, lambda: http.get("/"), 200)  # the development front page


async def _busy_and_closed(tour: Tour, busy_server, clock, account) -> None:  # type: ignore[no-untyped-def]
    """S02 (a server whose throttle allows one wrong answer: the tour's are counted already) and S01 (a maintenance window)."""
    async with httpx.AsyncClient(base_url=busy_server.url) as http:
        other = Customer(http, busy_server.runtime.settings)
        await other.start()
        await tour.see("/flow/account", SCREEN, lambda: other.enter_account(account), 503)
        assert 'data-reason-code="S02"' in other.page
        clock.set(INSIDE_DAILY_WINDOW)
        s01 = await tour.see("/authorize", SCREEN, lambda: http.get("/authorize", params=authorize_params()), 503)
        assert 'data-reason-code="S01"' in s01.text


async def _staff_console(tour: Tour, console: Console) -> None:
    http = console.http
    await tour.see("/staff", SCREEN, lambda: http.get("/staff"), 303)
    await tour.see("/staff/accounts", SCREEN, lambda: http.get("/staff/accounts"), 200)
    await tour.see("/staff/accounts/{key}", SCREEN, lambda: http.get("/staff/accounts/001-1-1234567"), 200)
    await tour.see("/staff/accounts/{key}", SCREEN, lambda: http.get("/staff/accounts/999-1-0000000"), 404)
    await tour.see("/staff/accounts/{key}/unlock", SCREEN, lambda: console.post_form("/staff/accounts/001-1-1234567/unlock", {}), 422)
    await tour.see("/staff/accounts/{key}/grants/{grant_id}/revoke", SCREEN,
                   lambda: console.post_form("/staff/accounts/001-1-1234567/grants/nothing/revoke", {}), 404)
    await tour.see("/staff/locks", SCREEN, lambda: http.get("/staff/locks"), 200)
    await tour.see("/staff/approvals", SCREEN, lambda: http.get("/staff/approvals"), 200)
    await tour.see("/staff/approvals/{request_id:int}/approve", SCREEN, lambda: console.post_form("/staff/approvals/1/approve", {}), 422)
    await tour.see("/staff/maintenance", SCREEN, lambda: http.get("/staff/maintenance"), 200)
    await tour.see("/staff/maintenance", SCREEN, lambda: console.post_form("/staff/maintenance", {}), 422)
    await tour.see("/staff/maintenance/{window_id:int}/cancel", SCREEN, lambda: console.post_form("/staff/maintenance/1/cancel", {}), 303)
    await tour.see("/staff/members", SCREEN, lambda: http.get("/staff/members"), 200)
    await tour.see("/staff/members", SCREEN, lambda: console.post_form("/staff/members", {}), 422)
    await tour.see("/staff/members/{member}/disable", SCREEN, lambda: console.post_form("/staff/members/nobody/disable", {}), 303)
    await tour.see("/staff/members/{member}/password", SCREEN, lambda: console.post_form("/staff/members/nobody/password", {}), 422)
    await tour.see("/staff/dashboard", SCREEN, lambda: http.get("/staff/dashboard"), 200)
    await tour.see("/staff/dashboard", SCREEN, lambda: http.get("/staff/dashboard?from=2026-02-30"), 400)
    await tour.see("/staff/log", SCREEN, lambda: http.get("/staff/log"), 200)
    await tour.see("/staff/log", SCREEN, lambda: http.get("/staff/log?screen=nowhere"), 400)
    await tour.see("/staff/{unknown}", SCREEN, lambda: http.get("/staff/no-such-page"), 404)
    await tour.see("/staff/assets/staff.css", PUBLIC, lambda: http.get("/staff/assets/staff.css"), 200)
    await _staff_api(tour, console)
    await tour.see("/staff/logout", SCREEN, lambda: console.post_form("/staff/logout", {}), 303)
    await tour.see("/staff/login", SCREEN, lambda: http.get("/staff/login"), 200)
    await tour.see("/staff/login", SCREEN, lambda: http.post("/staff/login", data={"staff_id": "x", "password": "y"}), 403)


async def _staff_api(tour: Tour, console: Console) -> None:
    get, post = console.http.get, console.post_json
    key = "/staff/api/accounts/001-1-1234567"
    await tour.see("/staff/api/session", PRIVATE, lambda: get("/staff/api/session"), 200)
    await tour.see("/staff/api/accounts", PRIVATE, lambda: get("/staff/api/accounts", params={"kana": "ヤマダ"}), 200)
    await tour.see("/staff/api/locks", PRIVATE, lambda: get("/staff/api/locks"), 200)
    await tour.see("/staff/api/stats", PRIVATE, lambda: get("/staff/api/stats"), 200)
    await tour.see("/staff/api/stats", PRIVATE, lambda: get("/staff/api/stats?from=x"), 400)
    await tour.see("/staff/api/log.csv", PRIVATE, lambda: get("/staff/api/log.csv"), 200)
    await tour.see("/staff/api/log.csv", PRIVATE, lambda: get("/staff/api/log.csv?reason=B99"), 400)
    await tour.see("/staff/api/accounts/{key}/lock", PRIVATE, lambda: get(f"{key}/lock"), 200)
    await tour.see("/staff/api/accounts/{key}/log", PRIVATE, lambda: get(f"{key}/log"), 200)
    await tour.see("/staff/api/accounts/{key}/grants", PRIVATE, lambda: get(f"{key}/grants"), 200)
    await tour.see("/staff/api/accounts/{key}/lock/clear", PRIVATE, lambda: post(f"{key}/lock/clear", {"kind": "pin"}), 400)
    await tour.see("/staff/api/accounts/{key}/grants/{grant_id}/revoke", PRIVATE, lambda: post(f"{key}/grants/x/revoke", {}), 404)
    await tour.see("/staff/api/maintenance-windows", PRIVATE, lambda: get("/staff/api/maintenance-windows"), 200)
    await tour.see("/staff/api/maintenance-windows", PRIVATE, lambda: post("/staff/api/maintenance-windows", {}), 400)
    await tour.see("/staff/api/maintenance-windows/{window_id:int}/cancel", PRIVATE,
                   lambda: post("/staff/api/maintenance-windows/1/cancel", {}), 404)
    async with httpx.AsyncClient(base_url=str(console.http.base_url)) as signed_out:
        await tour.see("/staff/api/accounts/{key}/lock", PRIVATE, lambda: signed_out.get(f"{key}/lock"), 401)


async def _token_side(tour: Tour, http: httpx.AsyncClient, db, clock, settings) -> None:  # type: ignore[no-untyped-def]
    app = await add_sandbox_app(db, clock.now())
    resource_server = await add_resource_server(db, clock.now())
    code = await add_code(db, app, account_id=await add_account(db, clock.now(), number="7654321"), now=clock.now())
    exchange = {"grant_type": "authorization_code", "code": code.value, "redirect_uri": app.redirect_uri,
                "code_verifier": code.verifier}
    tokens = (await tour.see("/token", PRIVATE, lambda: http.post("/token", data=exchange, auth=app.basic), 200)).json()
    await tour.see("/token", PRIVATE, lambda: http.post("/token", data=exchange, auth=app.basic), 400)
    await tour.see("/token", PRIVATE, lambda: http.post("/token", data=exchange), 401)
    par = {"response_type": "code", "redirect_uri": app.redirect_uri, "code_challenge": "a" * 43, "code_challenge_method": "S256"}
    await tour.see("/par", PRIVATE, lambda: http.post("/par", data=par, auth=app.basic), 201)
    await tour.see("/introspect", PRIVATE, lambda: http.post("/introspect", data={"token": tokens["access_token"]},
                                                                  auth=resource_server.basic), 200)
    await tour.see("/revoke", PRIVATE, lambda: http.post("/revoke", data={"token": tokens["refresh_token"]}, auth=app.basic), 200)
    await tour.see("/.well-known/oauth-authorization-server", PUBLIC, lambda: http.get("/.well-known/oauth-authorization-server"), 200)
    await tour.see("/jwks", PUBLIC, lambda: http.get("/jwks"), 200)
    await tour.see("/openapi.json", PUBLIC, lambda: http.get("/openapi.json"), 200)
    await tour.see("/healthz", PRIVATE, lambda: http.get("/healthz"), 200)
    await tour.see("/readyz", PRIVATE, lambda: http.get("/readyz"), 200)
    await tour.see("/metrics", PRIVATE, lambda: http.get("/metrics"), 200)
    await tour.see("/ivr/voice", PUBLIC, lambda: http.post("/ivr/voice", data={"CallSid": "CA1"}), 403)
    ivr = settings.ivr
    await tour.see("/ivr/voice", PRIVATE, lambda: simulate_call(settings.public_url, ivr.twilio_auth_token, "+819012345678",
                                                                ivr.auth_numbers[0]), 200)
    await tour.see("/ivr/status", PUBLIC, lambda: http.post("/ivr/status", data={"CallSid": "CA1"}), 403)
    await tour.see("/{unknown}", PUBLIC, lambda: http.get("/no-such-api"), 404)


async def _system_error(tour: Tour, server, customer: Customer) -> None:  # type: ignore[no-untyped-def]
    """S03 and server_error: the database pool is gone, through nothing the visitor did (last, it breaks the server)."""
    await customer.start()
    await server.runtime.pool.close()
    s03 = await tour.see("/flow/account", SCREEN, lambda: customer.http.get("/flow/account"), 500)
    assert 'data-reason-code="S03"' in s03.text
    await tour.see("/token", PRIVATE, lambda: customer.http.post("/token", data={"grant_type": "refresh_token"}), 500)


def _app_routes(server) -> set[str]:  # type: ignore[no-untyped-def]
    return {route.path for route in server.app.routes if isinstance(route, (Route, Mount))}


async def test_every_route_answers_with_the_security_headers_its_kind_needs(start_server, database_url, db, clock, add_staff):
    settings = build_test_settings(database_url)
    server = await start_server(settings)
    busy_server = await start_server(replace(settings, throttle=replace(settings.throttle, ip_failures=1)))
    await create_client(db)
    taro = await create_account(db, server.runtime.settings)
    await add_staff("hq-tour", "000", "hq")
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http, \
            httpx.AsyncClient(base_url=server.url, timeout=20) as staff_http:
        tour = Tour(http)
        customer = Customer(http, server.runtime.settings)
        await _customer_screens(tour, customer, taro)
        await _staff_console(tour, await Console(staff_http, "hq-tour").open())
        await _token_side(tour, http, db, clock, server.runtime.settings)
        await _busy_and_closed(tour, busy_server, clock, taro)
        clock.set(datetime(2026, 11, 24, 10, 30, tzinfo=TOKYO))
        await _system_error(tour, server, customer)
    failures = [f"{name}: {problem}" for name, _, kind, response in tour.rows for problem in problems_with(kind, response.headers)]
    assert not failures, "\n".join(failures)
    assert not [name for name, _, _, response in tour.rows if "strict-transport-security" in response.headers]
    assert _app_routes(server) <= {route for _, route, _, _ in tour.rows}, "a route has no row in the table"


async def test_with_an_https_public_url_every_kind_of_answer_carries_hsts(start_server, database_url):
    server = await start_server(build_test_settings(database_url, RENKEI_PUBLIC_URL="https://renkei.example.jp"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        answers = [
            await http.get("/authorize", params={"client_id": "nobody"}),
            await http.get("/flow/account"),
            await http.get("/staff/login"),
            await http.get("/staff/api/session"),
            await http.post("/token", data={"grant_type": "refresh_token"}),
            await http.get("/.well-known/oauth-authorization-server"),
            await http.get("/healthz"),
            await http.get("/static/renkei.css"),
            await http.post("/ivr/voice", data={}),
            await http.get("/no-such-api"),
        ]
    assert [a.request.url.path for a in answers if a.headers.get("strict-transport-security") != HSTS] == []
