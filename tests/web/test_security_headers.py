"""Every screen: strict CSP, no framing, no referrer, no sniffing, no caching; HSTS on https."""

from __future__ import annotations

import httpx

from tests.conftest import build_test_settings
from tests.flow.walk import Customer, authorize_params

STRICT_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _assert_screen_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == STRICT_CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_every_screen_and_error_page_carries_the_security_headers(customer: Customer, taro):
    started = await customer.start()
    _assert_screen_headers(started)
    _assert_screen_headers(await customer.http.get("/flow/account"))
    _assert_screen_headers(await customer.enter_account(taro, account_number="0000000"))
    _assert_screen_headers(await customer.http.get("/flow/no-such-screen"))
    _assert_screen_headers(await customer.http.get("/authorize", params={"client_id": "nobody"}))
    assert "strict-transport-security" not in started.headers


async def test_the_consent_screen_lets_its_form_go_to_the_apps_origin_only(customer: Customer, taro):
    await customer.start()
    await customer.through_pin(taro)
    response = await customer.http.get("/flow/consent")
    assert "form-action 'self' http://127.0.0.1:8080;" in response.headers["content-security-policy"]


async def test_an_https_public_url_brings_hsts_and_a_secure_flow_cookie(start_server, database_url, app_client):
    settings = build_test_settings(database_url, RENKEI_PUBLIC_URL="https://renkei.example.jp")
    server = await start_server(settings)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/authorize", params=authorize_params())
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in response.headers["set-cookie"]


async def test_static_files_are_ours_and_load_under_the_csp(client):
    css = await client.get("/static/renkei.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    script = await client.get("/static/call.js")
    assert script.status_code == 200 and "EventSource" in script.text
