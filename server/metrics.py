"""Prometheus metrics: the counters other modules increment, and ``GET /metrics``.

Increment with labels in the bank's words, e.g.
``FLOW_STEPS.labels(step="pin", outcome="failure", reason="B87").inc()``.
Never put personal data in a label (no account, phone or e-mail): labels are
small fixed vocabularies.

Who may read /metrics: with ``RENKEI_METRICS_TOKEN`` set, whoever sends it as a
Bearer token; without it, only clients on this machine (127.0.0.1, ::1) that
did not come through a proxy. Behind a reverse proxy on the same machine that
adds no X-Forwarded-For, every client looks local: set the token there.

With several worker processes (``renkei serve --workers N``) the counters of all
of them are added up (prometheus_client's multiprocess mode, see
``shared_between_workers``); otherwise one process's figures would be served at
random.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, generate_latest, multiprocess
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.runtime import Runtime

_MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

FLOW_STEPS = Counter(
    "renkei_flow_steps_total", "Customer flow attempts by screen, outcome and reason code", ["step", "outcome", "reason"]
)
IVR_CALLS = Counter("renkei_ivr_calls_total", "Calls to the auth numbers by outcome", ["outcome"])
TOKENS_ISSUED = Counter("renkei_tokens_issued_total", "Tokens issued at /token by grant type", ["grant_type"])
EMAILS = Counter("renkei_emails_total", "Completion notice sending attempts by result (sent, retry, gave_up)", ["result"])
HTTP_REQUESTS = Counter("renkei_http_requests_total", "HTTP requests answered, by status class (2xx...)", ["status"])
INTROSPECTIONS = Counter("renkei_introspections_total", "Introspections answered, from memory or by the full endpoint",
                         ["answered"])
DATABASE_UNREACHABLE = Counter("renkei_database_unreachable_total", "Requests refused because PostgreSQL could not be reached")
RETENTION_ROWS = Counter(
    "renkei_retention_rows_total", "Rows the retention job deleted, by table (phone_check: open checks voided)", ["table"]
)
RETENTION_ROUNDS = Counter(
    "renkei_retention_rounds_total", "Retention rounds by result (done, skipped: another process was at it, failed)",
    ["result"],
)
HTTP_IN_FLIGHT = Gauge("renkei_http_requests_in_flight", "HTTP requests in progress", multiprocess_mode="livesum")

# Forwarding headers mean a proxy stands between: the peer address says nothing of the client.
_FORWARDING_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


class InFlightMiddleware:
    """Counts requests in progress and answered (pure ASGI, so streams are not buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_counting)
        finally:
            HTTP_IN_FLIGHT.dec()
            HTTP_REQUESTS.labels(status=f"{status // 100}xx").inc()


def _from_this_machine(request: Request) -> bool:
    if request.client is None or any(name in _FORWARDING_HEADERS for name, _ in request.scope["headers"]):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def exposition() -> bytes:
    """Every metric in the Prometheus text format; all workers' when they share a directory."""
    if os.environ.get(_MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


async def metrics(request: Request) -> Response:
    token = request.app.state.runtime.settings.metrics_token
    headers = {"Cache-Control": "no-store"}
    if token and not _bearer_matches(request, token):
        return PlainTextResponse("a Bearer token is required\n", 401, headers={**headers, "WWW-Authenticate": "Bearer"})
    if not token and not _from_this_machine(request):
        return PlainTextResponse("metrics are served to this machine only (see RENKEI_METRICS_TOKEN)\n", 403, headers=headers)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST, headers=headers)


routes = [Route("/metrics", metrics)]


async def startup(runtime: Runtime) -> None:
    if os.environ.get(_MULTIPROCESS_DIR):
        # This worker's live gauges stop counting when it stops.
        runtime.exit_stack.callback(multiprocess.mark_process_dead, os.getpid())


@contextmanager
def shared_between_workers(workers: int) -> Iterator[None]:
    """For ``renkei serve``: give several workers one fresh metrics directory, removed afterwards.

    Must wrap the start of the workers (they read the variable when they import
    prometheus_client). An operator's own PROMETHEUS_MULTIPROC_DIR is left alone.
    """
    if workers == 1 or os.environ.get(_MULTIPROCESS_DIR):
        yield
        return
    directory = tempfile.mkdtemp(prefix="renkei-metrics-")
    os.environ[_MULTIPROCESS_DIR] = directory
    try:
        yield
    finally:
        os.environ.pop(_MULTIPROCESS_DIR, None)
        shutil.rmtree(directory, ignore_errors=True)
