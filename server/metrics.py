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
import importlib.metadata
import ipaddress
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import time
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import metrics_live

if TYPE_CHECKING:  # the database layer imports this module: no import of the runtime at run time
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
# From a 1 ms introspection answered from memory to a PIN check's argon2 (~0.5 s) and beyond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)
HTTP_DURATION = Histogram(
    "renkei_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method",
    ["route", "method"], buckets=LATENCY_BUCKETS,
)
ARGON2_QUEUE_WAIT = Histogram(
    "renkei_argon2_queue_wait_seconds", "Time a PIN or password check waited for a free argon2 helper process",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DB_POOL_WAIT = Histogram(
    "renkei_db_pool_wait_seconds", "Time a request waited for a database connection from the pool",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0),
)
DB_POOL_TIMEOUTS = Counter("renkei_db_pool_timeouts_total", "Requests that got no database connection in time (S02 busy)")
DB_POOL_IN_USE = Gauge("renkei_db_pool_connections_in_use", "Database connections a request holds now",
                       multiprocess_mode="livesum")
DB_POOL_MAX = Gauge("renkei_db_pool_connections_max", "The pools' largest size (pool_max per process)",
                    multiprocess_mode="livesum")
LISTEN_CONNECTED = Gauge(
    "renkei_listen_connected", "1 while the process's LISTEN connection is up (the lowest of all processes)",
    multiprocess_mode="livemin",
)
LISTEN_RECONNECTS = Counter("renkei_listen_connects_total", "Times a LISTEN connection was (re)established")
LOCKS_SET = Counter("renkei_locks_set_total", "Identity (B83) and PIN (B88) locks engaged, by reason code", ["reason"])
WEBHOOK_SIGNATURE_FAILURES = Counter(
    "renkei_webhook_signature_failures_total", "Twilio webhooks refused for a missing or wrong signature, by path", ["path"],
)


def _version() -> str:
    try:
        return importlib.metadata.version("renkei")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


BUILD_INFO = Gauge("renkei_build_info", "Renkei's version and Python's, always 1", ["version", "python"],
                   multiprocess_mode="max")

BUILD_INFO.labels(version=_version(), python=platform.python_version()).set(1)
# Methods a label may name; anything else a client invents is "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Forwarding headers mean a proxy stands between: the peer address says nothing of the client.
_FORWARDING_HEADERS = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


def route_template(scope: Scope) -> str:
    """The matched route's path as written (/staff/api/accounts/{key}/lock): a small fixed set of label values."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def method_label(method: str) -> str:
    return method if method in _METHODS else "other"


class InFlightMiddleware:
    """Counts requests in progress and answered, and times them (pure ASGI, so streams are not buffered)."""

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
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_counting)
        finally:
            HTTP_IN_FLIGHT.dec()
            HTTP_REQUESTS.labels(status=f"{status // 100}xx").inc()
            HTTP_DURATION.labels(route=route_template(scope), method=method_label(scope["method"])).observe(time.perf_counter() - started)


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
    if directory := os.environ.get(_MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + metrics_live.exposition_of(metrics_live.worker_process_figures(directory))
    return generate_latest(REGISTRY)


async def database_exposition(runtime: Runtime) -> bytes:
    timeout = runtime.settings.database.acquire_timeout_seconds
    return metrics_live.exposition_of(await metrics_live.database_figures(runtime.pool, runtime.clock.now(), timeout))


async def metrics(request: Request) -> Response:
    token = request.app.state.runtime.settings.metrics_token
    headers = {"Cache-Control": "no-store"}
    if token and not _bearer_matches(request, token):
        return PlainTextResponse("a Bearer token is required\n", 401, headers={**headers, "WWW-Authenticate": "Bearer"})
    if not token and not _from_this_machine(request):
        return PlainTextResponse("metrics are served to this machine only (see RENKEI_METRICS_TOKEN)\n", 403, headers=headers)
    body = exposition() + await database_exposition(request.app.state.runtime)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=headers)


routes = [Route("/metrics", metrics)]


async def startup(runtime: Runtime) -> None:
    DB_POOL_MAX.set(runtime.settings.database.pool_max)
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
