"""S03 for an unexpected error: a page with a reference number, the error in the log, no stack trace."""

from __future__ import annotations

import json

from tests.flow.walk import Customer


async def test_an_unexpected_error_shows_s03_and_logs_it_with_the_request_id(customer: Customer, server, log_lines):
    await customer.start()
    await server.runtime.pool.close()  # the database is gone: nothing a customer did
    response = await customer.http.get("/flow/account")
    assert response.status_code == 500
    assert 'data-reason-code="S03"' in response.text
    assert "調整のため連絡ができなくなりました" in response.text
    assert "Traceback" not in response.text and "asyncpg" not in response.text
    request_id = response.headers["x-request-id"]
    assert request_id in response.text
    errors = [json.loads(line) for line in log_lines if '"unexpected_error"' in line]
    assert any(e.get("request_id") == request_id for e in errors)


async def test_an_unknown_screen_gets_a_page_and_an_unknown_api_path_stays_plain(client):
    screen = await client.get("/flow/nothing-here")
    assert screen.status_code == 404 and "text/html" in screen.headers["content-type"]
    api = await client.get("/nothing-here")
    assert api.status_code == 404 and "text/html" not in api.headers["content-type"]


async def test_a_screen_without_a_flow_says_to_start_from_the_app(client):
    response = await client.get("/flow/pin")
    assert response.status_code == 400
    assert "アプリから操作してください" in response.text
