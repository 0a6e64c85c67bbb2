"""What must never appear in a log line, as precise patterns, and a scan of every line the tests logged.

tests/conftest.py runs ``find_leaks`` over every formatted line of the session
(LOG_TEE) when the session finishes and fails the run on any hit. The report
names the line with each hit replaced by its kind, so the report leaks nothing.

The patterns are written against the JSON lines of server.logs: the timestamp,
request ids (32 hex digits), UUIDs and masked forms (090-****-5678,
+81******5678, 001-1-***4567, ***@***) must not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The demo data's PINs (contract §9) and the ones the tests type.
TEST_PINS = ("1234", "4321", "1111", "2580", "0000", "0001", "0002", "9999", "9876")
DEMO_SECRETS = (
    "demo-secret", "demo-password",
    "dev-pin-pepper-not-secret", "dev-session-key-not-secret", "dev-twilio-auth-token-not-secret",
)
_TOKEN_KEYS = r"token|code|secret|cookie|request_uri|assertion|password|verifier|session"

PATTERNS: dict[str, re.Pattern[str]] = {
    "phone number (E.164)": re.compile(r"(?<![\w+*])\+[1-9]\d{9,14}(?!\d)"),
    "phone number (domestic)": re.compile(
        r"(?<![\w.+*-])0\d{1,4}-\d{1,4}-\d{4}(?![\w-])|(?<![\w.+*-])0[5789]0\d{8}(?![\w-])"
    ),
    "account number": re.compile(r"(?<![\w-])\d{3}-\d-\d{7}(?!\d)"),
    # A calendar date standing alone, not the date of a timestamp (…T10:00 or … 10:00).
    "date (birth date?)": re.compile(r"(?<![\w-])(?:19|20)\d\d-[01]\d-[0-3]\d(?![\dT:]| \d\d:)"),
    "e-mail address": re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    "demo secret": re.compile("|".join(re.escape(secret) for secret in DEMO_SECRETS)),
    "JWT": re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*"),
    "token value": re.compile(
        rf"(?i)(?:{_TOKEN_KEYS})[\"']?\s*[:=]\s*[\"']?(?:urn:ietf:params:oauth:request_uri:)?[A-Za-z0-9_~+/-]{{20,}}"
    ),
    "PIN": re.compile(rf"(?i)pin\w*[\"']?\s*[:=]\s*[\"']?(?:{'|'.join(TEST_PINS)})(?!\d)"),
}


@dataclass(frozen=True)
class Leak:
    kind: str
    line_number: int
    masked_line: str

    def __str__(self) -> str:
        return f"log line {self.line_number}: {self.kind}: {self.masked_line[:300]}"


def masked(line: str) -> str:
    """The line with every hit replaced by <its kind>: safe to print in a report."""
    for kind, pattern in PATTERNS.items():
        line = pattern.sub(f"<{kind}>", line)
    return line


def leaks_in(line: str) -> list[str]:
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(line)]


def find_leaks(lines: list[str]) -> list[Leak]:
    found = []
    for number, line in enumerate(lines, start=1):
        for kind in leaks_in(line):
            found.append(Leak(kind, number, masked(line)))
    return found
