"""Log lines never carry personal data, whatever the key is called."""

from __future__ import annotations

import json

import pytest

from server.logs import get_logger, mask_text


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        pytest.param("caller +819012345678 matched", "9012345678", "5678", id="an e164 phone keeps its last four digits"),
        pytest.param("registered 090-1234-5678", "1234-5678", "5678", id="a domestic mobile is masked"),
        pytest.param("landline 052-451-0000", "451-0000", "0000", id="a landline is masked"),
        pytest.param("account 001-1-1234567 locked", "1234567", "001-1-***4567", id="a full account number keeps branch type and last four"),
        pytest.param("born 1980-04-01", "1980-04-01", "born", id="a bare date is hidden"),
        pytest.param("born 19800401", "19800401", "born", id="a compact date is hidden"),
        pytest.param("mail taro@example.jp", "taro@example.jp", "mail", id="an e-mail address is hidden"),
        pytest.param("at 2026-11-24T10:00:00+09:00", "", "2026-11-24T10:00:00+09:00", id="a timestamp is kept"),
    ],
)
def test_mask_text(text: str, hidden: str, kept: str) -> None:
    masked = mask_text(text)
    if hidden:
        assert hidden not in masked
    assert kept in masked


def test_secret_keys_are_redacted_whatever_their_spelling(log_lines: list[str]) -> None:
    get_logger("test").info(
        "attempt", pin="1234", new_PIN="4321", birth_date="1980-04-01", customerBirthday="1975-12-31",
        password="demo-password", client_secret="demo-secret", refresh_token="abc", email="a@b.jp",
        note="from 090-5555-6666 for 011-1-1111111",
    )
    line = next(line for line in log_lines if '"attempt"' in line)
    for secret in ("1234", "4321", "1980", "1975", "demo-password", "demo-secret", '"abc"', "a@b.jp", "5555-6666", "1111111"):
        assert secret not in line
    record = json.loads(line)
    assert record["pin"] == "[redacted]" and record["note"].endswith("011-1-***1111")
    assert "request_id" not in record or record["request_id"]
