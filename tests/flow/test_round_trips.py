"""What one complete authorization costs the database, step by step.

A flow is walked as a browser and Twilio walk it (the benchmark's walker)
against a server whose every database message passes through a counting relay.
Round trips are most of a step's server CPU, so a step that starts costing more
shows here first.
"""

from __future__ import annotations

from collections import defaultdict

import httpx

from scripts.bench_suite.flows import STEPS, App, Walker
from tests.flow.walk import Customer, create_account, create_client, reason_of
from tests.oauth.factories import add_sandbox_app
from tests.oauth.test_client_cache import counted_server  # noqa: F401  (fixture)

# Round trips per step of a flow where everything goes right, the second time a
# process serves one (its statements prepared, its app remembered). Every screen
# reads its flow, app, account, lock state and phone check, and marks the flow
# seen, in one statement (a screen shown costs only that); a passed screen moves
# the flow on and logs it in one more. ① ② ⑤ take and give back two throttle
# places (4); ② ⑤ check in a transaction (BEGIN, the account's row lock, the lock
# check, COMMIT); ③ opens a phone check in one (BEGIN, the flow's count of numbers drawn, advisory locks, older
# checks voided, busy numbers, insert, COMMIT); ⑥ approves in one (BEGIN, flow
# lock, grant, code, notice, the flow's end with its log line, COMMIT).
EXPECTED = {
    "authorize": 3,
    "① show": 1, "① post": 7,
    "② show": 1, "② post": 10,
    "③ show": 1, "③ post": 9,
    "④ show": 1, "call (webhook)": 7, "④ post": 2,
    "⑤ show": 1, "⑤ post (argon2)": 10,
    "⑥ show": 1, "⑥ post": 8,
    "token (code)": 7,
}


async def test_each_step_of_a_flow_costs_the_round_trips_it_did_when_last_measured(counted_server, db, clock, settings):  # type: ignore[no-untyped-def]
    server, relay = counted_server
    app = await add_sandbox_app(db, clock.now())
    account = await create_account(db, settings)
    walked = {"branch_code": account.branch_code, "account_type": str(account.account_type),
              "account_number": account.account_number, "birth_date": account.birth_date,
              "phone": account.phones[0], "pin": account.pin}
    costs: dict[str, list[int]] = defaultdict(list)
    mark = [relay.counts.round_trips]

    def on_step(step: str, _seconds: float) -> None:
        costs[step].append(relay.counts.round_trips - mark[0])
        mark[0] = relay.counts.round_trips

    async with httpx.AsyncClient(timeout=20) as http:
        walker = Walker(http, server.url, server.runtime.settings.public_url, settings.ivr.twilio_auth_token,
                        App(app.client_id, app.secret, app.redirect_uri, "accounts:read transactions:read"), on_step=on_step)
        for _ in range(3):
            await walker.walk(walked)
            mark[0] = relay.counts.round_trips
    steady = {step: costs[step][1:] for step in STEPS}
    assert steady == {step: [EXPECTED[step]] * 2 for step in STEPS}


async def test_a_wrong_birth_date_costs_nine_round_trips(counted_server, db, settings):  # type: ignore[no-untyped-def]
    """The flow and its account (1), two throttle places (2), the attempt's transaction (5: BEGIN, the account's
    row lock, the lock check, the failure counted, COMMIT) and the log line (1); the places are kept."""
    server, relay = counted_server
    await create_client(db)
    taro = await create_account(db, settings)
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False, timeout=20) as http:
        customer = Customer(http, server.runtime.settings)
        await customer.start()
        await customer.enter_account(taro)
        await customer.enter_details("1999-01-01")  # the statements of a failure are prepared from here
        before = relay.counts.round_trips
        await customer.enter_details("1999-01-02")
        assert reason_of(customer.page) == "B82"
        assert relay.counts.round_trips - before == 9
