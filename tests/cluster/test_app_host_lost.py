"""An app host loses power while a customer is in the middle of linking."""

from __future__ import annotations

import asyncio

import pytest

from tests.cluster.customers import browser, wait_screen_event
from tests.cluster.rehearsal import Cluster, people

pytestmark = pytest.mark.slow


async def test_a_customer_between_screens_goes_on_when_the_host_that_served_them_loses_power(cluster: Cluster):
    """The customer is on screen ④ waiting for their call when the app host that served their last
    request loses power. The wait screen reconnects through the balancer, the call is answered by the
    other host, the wake-up reaches the customer from it, and they finish linking: the app gets its tokens."""
    (taro,) = people("301", 1)
    await cluster.enrol([taro])
    async with cluster.client() as http:
        customer = browser(cluster, http)
        await customer.to_call_screen(taro)
        waiting = asyncio.create_task(wait_screen_event(http))  # the page's EventSource, on one host or the other
        lost = customer.served_by[-1]
        (other,) = set(cluster.names("app")) - {lost}

        await cluster.run("stop", lost)
        pages_before = len(customer.served_by)
        try:
            await customer.call_in(taro.phone)
            event, from_host = await asyncio.wait_for(waiting, 40)
            assert (event, from_host) == ("matched", other)

            await customer.post("/flow/phone/call")
            tokens = await customer.approve_from_pin(taro)
        finally:
            await cluster.run("start", lost)
    assert tokens["access_token"] and tokens["refresh_token"]
    assert set(customer.served_by[pages_before:]) == {other}
