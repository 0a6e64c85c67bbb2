"""`renkei locks show` and `renkei locks clear`: the lock state as JSON, and lifting it with a reason."""

from __future__ import annotations

import json

from server.clock import write_clock_offset
from tests.flow.walk import Customer, reason_of


async def test_locks_show_and_clear_lift_the_lock_log_who_and_why_and_let_the_customer_in(
    customer: Customer, taro, db, clock, renkei, tmp_path
):
    await customer.start()
    await customer.enter_account(taro)
    for _ in range(3):
        await customer.enter_details("1999-09-09")
    clock_file = tmp_path / "clock"
    write_clock_offset(clock_file, clock.now())
    env = {"RENKEI_CLOCK_FILE": str(clock_file)}

    shown = renkei("locks", "show", "001-1-1234567", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "identity": {"locked": True, "until": "2026-11-25T00:00:00+09:00", "failures": 3},
        "pin": {"locked": False, "until": None, "failures": 0},
    }
    cleared = renkei("locks", "clear", "001-1-1234567", "--reason", "ご本人と電話で確認済み", env=env)
    assert cleared.returncode == 0, cleared.stderr
    assert json.loads(cleared.stdout)["identity"] == {"locked": False, "until": None, "failures": 0}
    entry = await db.fetchrow("SELECT * FROM operation_log WHERE event = 'staff:lock:clear'")
    assert entry["staff_id"].startswith("cli:") and entry["detail"]["reason"] == "ご本人と電話で確認済み"
    assert entry["detail"]["kinds"] == ["identity"] and entry["account_masked"] == "001-1-***4567"

    await customer.start()
    await customer.enter_account(taro)
    response = await customer.enter_details(taro.birth_date)
    assert response.headers["location"] == "/flow/phone" and reason_of(customer.page) is None


def test_locks_commands_refuse_a_malformed_or_unknown_account_and_an_empty_reason(renkei, db):
    assert renkei("locks", "show", "001-1-123").returncode == 2
    unknown = renkei("locks", "show", "009-1-0000000")
    assert unknown.returncode == 1 and "no account 009-1-0000000" in unknown.stderr
    assert renkei("locks", "clear", "001-1-1234567", "--reason", "  ").returncode == 2
