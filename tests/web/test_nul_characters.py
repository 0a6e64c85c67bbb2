"""A NUL character, which PostgreSQL text cannot hold, is refused at the door with a 400, never a 500."""

from __future__ import annotations

import base64

import pytest

from server.web.nul_characters import basic_credentials_hold_nul, holds_nul
from tests.flow.walk import Customer, authorize_params, csrf_of
from tests.oauth.factories import add_sandbox_app
from tests.staff.conftest import add_staff, open_console  # noqa: F401  (fixtures)

NUL_REQUESTS = [
    ("a client_id at /authorize (was a 500)", "GET", "/authorize", {"params": authorize_params(client_id="app\x00")}),
    ("a state at /authorize (was a 500)", "GET", "/authorize", {"params": authorize_params(state="st\x00")}),
    ("Basic credentials at /token (was a 500)", "POST", "/token",
     {"data": {"grant_type": "refresh_token", "refresh_token": "x"}, "auth": ("app\x00", "secret")}),
    ("a form field at /par", "POST", "/par", {"data": {"state": "\x00"}}),
    ("the staff sign-in form", "POST", "/staff/login", {"data": {"staff_id": "a\x00", "password": "x", "csrf_token": "x"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), [r[1:] for r in NUL_REQUESTS], ids=[r[0] for r in NUL_REQUESTS])
async def test_a_nul_character_anywhere_is_refused_with_a_400(client, app_client, method, path, kwargs):
    response = await client.request(method, path, **kwargs)
    assert response.status_code == 400
    if path.startswith(("/authorize", "/staff/")):
        assert "text/html" in response.headers["content-type"]
    else:
        assert response.json()["error"] == "invalid_request"


async def test_a_customer_screen_refuses_a_nul_next_to_its_field_and_counts_nothing(customer: Customer, taro, db):
    await customer.start()
    await customer.enter_account(taro)
    response = await customer.http.post("/flow/customer", data={
        "csrf_token": csrf_of(customer.page), "birth_date": "1980-04-02\x00", "name_kana": "ヤマダ", "email": "t@example.jp"})
    assert response.status_code == 400 and 'id="birth_date-error"' in response.text
    assert await db.fetchval("SELECT count(*) FROM account_failure") == 0


@pytest.mark.parametrize("action", ["disable", "password"])
async def test_a_staff_id_holding_a_nul_in_the_url_changes_nothing_and_is_no_error(open_console, action):
    console = await open_console("hq-admin", branch_code="000", role="hq")
    response = await console.post_form(f"/staff/members/a%00b/{action}", {"password": "a long enough password"})
    assert response.status_code == 303 and response.headers["location"].endswith("done=unchanged")


async def test_the_text_percent_zero_zero_is_not_a_nul_and_goes_through(client, db, clock):
    app = await add_sandbox_app(db, clock.now())
    response = await client.post("/token", data={"grant_type": "refresh_token", "refresh_token": "%00"}, auth=app.basic)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(("encoded", "nul"), [
    (b"a=%00", True), (b"a=b%00c", True), (b"a=\x00", True), (b"a=%2500", False), (b"a=%0", False), (b"", False),
])
def test_holds_nul(encoded: bytes, nul: bool) -> None:
    assert holds_nul(encoded) is nul


def test_basic_credentials_are_looked_into_only_when_they_decode() -> None:
    assert basic_credentials_hold_nul(b"Basic " + base64.b64encode(b"app%00:secret"))
    assert not basic_credentials_hold_nul(b"Basic " + base64.b64encode(b"app:secret"))
    assert not basic_credentials_hold_nul(b"Basic not-base64!")
    assert not basic_credentials_hold_nul(b"Bearer " + base64.b64encode(b"\x00"))
