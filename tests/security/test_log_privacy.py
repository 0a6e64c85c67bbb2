"""The log-privacy check that every test run ends with (tests/conftest.py): it finds what it must and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from server.logs import mask_text
from server.settings import PROJECT_ROOT
from tests.log_privacy import find_leaks, leaks_in, masked


def _line(**fields: object) -> str:
    base = {"event": "flow.attempt", "request_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "level": "info", "timestamp": "2026-11-24T10:00:00.123456+09:00"}
    return json.dumps({**base, **fields}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("phone number (E.164)", _line(caller="+819012345678")),
        ("phone number (domestic)", _line(detail="called from 090-1234-5678")),
        ("phone number (domestic)", _line(detail="from 09012345678")),
        ("account number", _line(account="001-1-1234567")),
        ("date (birth date?)", _line(detail="born 1980-04-01")),
        ("e-mail address", _line(detail="notice to taro@example.jp")),
        ("demo secret", _line(detail="basic demo-fintech:demo-secret")),
        ("demo secret", _line(detail="pepper dev-pin-pepper-not-secret")),
        ("JWT", _line(detail="Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")),
        ("token value", _line(detail="refresh_token=Qx7b3W0f9kLmN2pR5sT8vY1zA4cE6gH")),
        ("token value", _line(code="Qx7b3W0f9kLmN2pR5sT8vY1zA4cE6gH")),
        ("token value", _line(detail="request_uri: urn:ietf:params:oauth:request_uri:Qx7b3W0f9kLmN2pR5sT8vY1zA4")),
        ("PIN", _line(detail="form {'pin': '1234'}")),
        ("PIN", _line(detail="pin=2580")),
    ],
)
def test_the_check_finds_each_kind_of_personal_data_or_secret(kind: str, line: str) -> None:
    assert kind in leaks_in(line)
    assert kind in masked(line)  # the report names the kind, not the value


@pytest.mark.parametrize(
    "line",
    [
        _line(),
        _line(account="001-1-***4567", caller="+81******5678", phone="090-****-5678", email="***@***"),
        _line(grant_id="3f2c8a1e-9b7d-4c6a-8e5f-1a2b3c4d5e6f", jti="b3c4d5e6f7a8b9c0d1e2f3a4"),
        _line(until="2026-11-25T00:00:00+09:00", window="2026-12-13 07:00"),
        _line(reason_code="B87", ms=12.5, status=200, path="/flow/pin"),
        _line(code_challenge_method="S256", client_id="demo-fintech", pin="[redacted]"),
        _line(auth_number_display="050-****-0001", detail={"phone_check_id": 12345678}),
    ],
    ids=["plain line", "masked forms", "ids", "timestamps", "figures", "redacted and public names", "masked numbers"],
)
def test_the_check_passes_timestamps_ids_and_masked_forms(line: str) -> None:
    assert leaks_in(line) == []


def test_what_the_logging_pipeline_masks_is_no_longer_a_leak() -> None:
    raw = "caller +819012345678 account 001-1-1234567 born 1980-04-01 mail taro@example.jp home 052-451-0000"
    assert leaks_in(raw)
    assert leaks_in(mask_text(raw)) == []


def test_a_leak_is_reported_by_line_number_without_its_value() -> None:
    lines = [_line(), _line(caller="+819012345678")]
    (leak,) = find_leaks(lines)
    assert leak.line_number == 2 and leak.kind == "phone number (E.164)"
    assert "9012345678" not in str(leak)


LEAKY_TEST = '''
from server.logs import get_logger

def test_that_logs_a_code_under_a_key_nobody_thought_to_redact():
    get_logger("leaky").info("app.redirect", code="Qx7b3W0f9kLmN2pR5sT8vY1zA4cE6gH")
'''


def test_a_test_run_that_logs_a_token_fails_and_the_report_names_the_line_but_not_the_token(tmp_path) -> None:
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403  (the hooks under test)\n")
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "asyncio_mode=auto", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 passed" in run.stdout and "log privacy" in run.stdout and "token value" in run.stdout
    assert "Qx7b3W0f9kLmN2pR5sT8vY1zA4cE6gH" not in run.stdout + run.stderr
