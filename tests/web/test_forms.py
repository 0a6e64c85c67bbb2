"""Bodies no screen of ours could have sent get a clear page, never a 500."""

from __future__ import annotations

import pytest

from tests.flow.walk import Customer, csrf_of


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"branch_code=001&branch_code=002", "application/x-www-form-urlencoded"),
        (b"x=" + b"1" * 20_000, "application/x-www-form-urlencoded"),
        (b"branch_code=%FF%FE", "application/x-www-form-urlencoded"),
        (b'{"branch_code": "001"}', "application/json"),
        (b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--", "multipart/form-data; boundary=x"),
        (b"&".join(b"f%d=1" % i for i in range(40)), "application/x-www-form-urlencoded"),
    ],
    ids=["repeated field", "too large", "not utf-8", "json", "multipart", "too many fields"],
)
async def test_a_malformed_form_gets_a_clear_400_page(customer: Customer, body, content_type):
    await customer.start()
    response = await customer.http.post("/flow/account", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "お手続きを受け付けできませんでした" in response.text


async def test_a_form_with_the_csrf_token_of_another_flow_is_refused(customer: Customer, taro, server):
    await customer.start()
    mine = csrf_of(customer.page)
    await customer.start()  # a second flow in the same browser replaces the cookie
    response = await customer.post("/flow/account", taro.form, csrf=mine)
    assert response.status_code == 403
