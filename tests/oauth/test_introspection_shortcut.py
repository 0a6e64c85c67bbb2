"""/introspect answered from memory (server.oauth.introspection_shortcut): the same answer
as the full endpoint, revocation and expiry seen at once, and anything unusual left to
the full endpoint."""

from __future__ import annotations

import httpx
import pytest

from server.db import tokens as token_queries
from tests.oauth.test_introspect import introspect, introspect_soon, issue, parties  # noqa: F401  (fixture)
from tests.test_metrics import samples

FROM_MEMORY = ("renkei_introspections_total", (("answered", "memory"),))
BY_ENDPOINT = ("renkei_introspections_total", (("answered", "endpoint"),))


async def counts(http: httpx.AsyncClient) -> tuple[float, float]:
    page = samples((await http.get("/metrics")).text)
    return page.get(FROM_MEMORY, 0.0), page.get(BY_ENDPOINT, 0.0)


async def remembered_token(http: httpx.AsyncClient, db, clock, app, rs, account_id) -> str:  # type: ignore[no-untyped-def]
    """An access token whose answer this process remembers: the full endpoint verified it, the shortcut then answered."""
    token = (await issue(http, db, clock, app, account_id))["access_token"]
    memory_before, _ = await counts(http)
    for _ in range(2):
        assert (await introspect(http, rs, token))["active"] is True
    assert (await counts(http))[0] == memory_before + 1
    return token


async def test_the_answer_from_memory_is_the_full_endpoints_answer_header_for_header(client, db, clock, parties):
    app, rs, account_id = parties
    token = (await issue(client, db, clock, app, account_id))["access_token"]
    memory_before, endpoint_before = await counts(client)
    first = await client.post("/introspect", data={"token": token}, auth=rs.basic)
    second = await client.post("/introspect", data={"token": token}, auth=rs.basic)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content and second.json()["active"] is True
    assert {k: v for k, v in second.headers.items() if k != "x-request-id"} == \
        {k: v for k, v in first.headers.items() if k != "x-request-id"}
    assert len(second.headers["x-request-id"]) == 32 != first.headers["x-request-id"]
    assert await counts(client) == (memory_before + 1, endpoint_before + 1)


async def test_a_resource_servers_request_id_is_echoed_from_memory_too(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    response = await client.post("/introspect", data={"token": token}, auth=rs.basic, headers={"X-Request-Id": "bank-api-7f3a9c01"})
    assert response.headers["x-request-id"] == "bank-api-7f3a9c01"


async def test_a_remembered_token_turns_inactive_the_moment_it_is_revoked(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    assert (await client.post("/revoke", data={"token": token}, auth=app.basic)).status_code == 200
    assert await introspect(client, rs, token) == {"active": False}


async def test_a_remembered_token_turns_inactive_when_its_grant_is_revoked_by_the_bank(server, client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    grant_id = await db.fetchval("SELECT grant_id FROM access_token")
    async with db.acquire() as conn:  # as the staff console does: another connection, the NOTIFY tells this process
        await token_queries.revoke_grant(conn, grant_id, now=clock.now(), reason="staff")
    assert await introspect_soon(client, rs, token) == {"active": False}


async def test_a_remembered_token_turns_inactive_when_it_expires(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    clock.advance(seconds=599)
    assert (await introspect(client, rs, token))["active"] is True
    clock.advance(seconds=1)
    assert await introspect(client, rs, token) == {"active": False}


async def test_a_wrong_secret_is_refused_even_for_a_remembered_token(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    response = await client.post("/introspect", data={"token": token}, auth=(rs.client_id, "not-the-secret"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_an_app_is_refused_even_for_a_token_remembered_for_a_resource_server(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    response = await client.post("/introspect", data={"token": token}, auth=app.basic)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("token={t}&token={t}", 400, "invalid_request"),
        ("token={t}&client_id=someone-else", 401, "invalid_client"),
        ("token={t}%00", 400, "invalid_request"),
        ("token={t}&client_secret=x", 400, "invalid_request"),  # RFC 6749 §2.3: one method per request
    ],
    ids=["the token twice", "another client_id in the form", "a NUL after the token", "a second authentication method"],
)
async def test_an_unusual_form_is_answered_by_the_full_endpoint_as_before(client, db, clock, parties, body, status, error):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    response = await client.post("/introspect", content=body.format(t=token), auth=rs.basic,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == status and response.json()["error"] == error


async def test_a_percent_encoded_token_and_a_type_hint_still_get_the_active_answer(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)
    encoded = token.replace(".", "%2E")
    for body in (f"token={encoded}", f"token_type_hint=access_token&token={token}"):
        response = await client.post("/introspect", content=body, auth=rs.basic,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200 and response.json()["active"] is True


async def test_a_body_sent_in_pieces_reaches_the_full_endpoint_whole(client, db, clock, parties):
    app, rs, account_id = parties
    token = await remembered_token(client, db, clock, app, rs, account_id)

    async def pieces():  # type: ignore[no-untyped-def]
        body = f"token={token}".encode()
        for start in range(0, len(body), 100):
            yield body[start:start + 100]

    response = await client.post("/introspect", content=pieces(), auth=rs.basic,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json()["active"] is True
