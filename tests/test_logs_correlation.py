"""Log lines an operator can correlate: identifiers and counts survive the masks, times carry their offset,
and the level comes from the configuration."""

from __future__ import annotations

import json
import logging
import re

import pytest

from server.logs import get_logger, level_number, mask_text
from server.settings import ConfigError, load_settings

FLOW_ID = "3f2a9c1e-0466-4b1c-8d9e-000000001758"
REQUEST_ID = "9f1c2d3e4a5b6c7d8e9f000000012345"
CALL_SID = "CA" + "0123456789" * 3 + "ab"


@pytest.mark.parametrize("text", [
    pytest.param(f"flow_id={FLOW_ID}", id="a flow id whose last group is all digits"),
    pytest.param(f"request {REQUEST_ID} done", id="a request id"),
    pytest.param(f"call {CALL_SID}", id="a Twilio CallSid"),
    pytest.param(f"/flow/{FLOW_ID}/done?x=1", id="an id inside a path"),
])  # fmt: skip
def test_identifiers_are_never_cut(text: str) -> None:
    assert mask_text(text) == text


def test_personal_data_beside_an_identifier_is_still_masked() -> None:
    masked = mask_text(f"flow {FLOW_ID} caller +819012345678 account 001-1-1234567 born 1980-04-01")
    assert FLOW_ID in masked and "9012345678" not in masked and "1234567" not in masked and "1980-04-01" not in masked


def test_counts_and_ids_survive_a_whole_line(log_lines: list[str]) -> None:
    get_logger("test").info("retention.round", access_tokens=1200, refresh_tokens=3, dpop_proofs=0, deleted_rows=15000,
                            flow_id=FLOW_ID, call_sid=CALL_SID, pin="1234", birth_date="1980-04-01", note=f"in {FLOW_ID}")
    record = json.loads(next(line for line in log_lines if '"retention.round"' in line))
    assert (record["access_tokens"], record["refresh_tokens"], record["dpop_proofs"], record["deleted_rows"]) == (1200, 3, 0, 15000)
    assert record["flow_id"] == FLOW_ID and record["call_sid"] == CALL_SID and record["note"] == f"in {FLOW_ID}"
    assert record["pin"] == "[redacted]" and record["birth_date"] == "[redacted]"


def test_a_pin_given_as_a_number_is_still_redacted(log_lines: list[str]) -> None:
    get_logger("test").info("odd.line", pin=1234, new_pin=4321, **{"pass": 9876})
    record = json.loads(next(line for line in log_lines if '"odd.line"' in line))
    assert record["pin"] == record["new_pin"] == record["pass"] == "[redacted]"


def test_timestamps_are_iso_8601_in_tokyo_with_their_offset(log_lines: list[str]) -> None:
    get_logger("test").info("stamped")
    record = json.loads(next(line for line in log_lines if '"stamped"' in line))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00", record["timestamp"])


@pytest.mark.parametrize(("value", "level"), [("debug", logging.DEBUG), ("warning", logging.WARNING), ("error", logging.ERROR)])
def test_the_log_level_comes_from_the_configuration(value: str, level: int) -> None:
    settings = load_settings(environ={"RENKEI_LOG_LEVEL": value})
    assert settings.log_level == value and level_number(settings.log_level) == level


def test_an_unknown_log_level_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="log_level"):
        load_settings(environ={"RENKEI_LOG_LEVEL": "verbose"})


def test_the_shipped_configuration_logs_at_info() -> None:
    assert load_settings(environ={}).log_level == "info"
