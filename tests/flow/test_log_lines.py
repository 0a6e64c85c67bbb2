"""Every process-log line of a flow's steps names the flow, whole, so an operator can follow one customer."""

from __future__ import annotations

import json

from tests.flow.walk import Account, Customer


async def test_every_line_of_a_flows_requests_carries_its_flow_id(customer: Customer, taro: Account, log_lines) -> None:  # type: ignore[no-untyped-def]
    await customer.start()
    start = len(log_lines)
    await customer.enter_account(taro)
    await customer.enter_details("1999-01-01")  # wrong: B82
    records = [json.loads(line) for line in list(log_lines)[start:]]
    flow_ids = {record.get("flow_id") for record in records if record.get("event") in ("flow.attempt", "request")}
    assert len(flow_ids) == 1 and None not in flow_ids
    (flow_id,) = flow_ids
    assert len(flow_id) == 36 and "*" not in flow_id
    assert any(record.get("reason_code") == "B82" and record["flow_id"] == flow_id for record in records)
