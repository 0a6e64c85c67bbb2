"""Which requests are screens (answered with HTML pages) and which are APIs (JSON)."""

from __future__ import annotations

SCREEN_PREFIXES = ("/flow/", "/staff/")
SCREEN_PATHS = frozenset({"/authorize", "/flow", "/staff"})
# Under /staff, the console's JSON API keeps JSON errors.
API_PREFIXES = ("/staff/api/",)
# Never turned away by admission control or the maintenance gate: probes and assets.
ALWAYS_OPEN_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/")


def is_screen(path: str) -> bool:
    if path.startswith(API_PREFIXES):
        return False
    return path in SCREEN_PATHS or path.startswith(SCREEN_PREFIXES)


# アプリに戻る: the way back to the app stays open while the screens are closed.
AUTHORIZE_PATH = "/authorize"
LEAVE_PATH = "/flow/leave"


def is_customer_flow(path: str) -> bool:
    """/authorize and the screens ① to ⑥: what a maintenance window closes."""
    return path == AUTHORIZE_PATH or path == "/flow" or (path.startswith("/flow/") and path != LEAVE_PATH)


def always_open(path: str) -> bool:
    return path.startswith(ALWAYS_OPEN_PREFIXES)


def is_event_stream(path: str) -> bool:
    """The wait screen's server-sent events: long-lived and nearly idle."""
    return path == "/flow/phone/events"
