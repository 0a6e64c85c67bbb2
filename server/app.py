"""create_app(settings): routes, middleware, exception handlers, and the process's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

import ivr.routes
import server.flow.routes
import server.front_page
import server.mail.routes
import server.maintenance
import server.metrics
import server.oauth.routes
import server.openapi
import server.staff.routes
from server import health, lifecycle
from server.clock import Clock, clock_for
from server.db.pool import database_url, pool_for
from server.hashing import SlowHashPool
from server.logs import get_logger
from server.oauth.introspection_shortcut import IntrospectionShortcut
from server.request_context import RequestContextMiddleware
from server.runtime import Runtime, argon2_params
from server.settings import Settings
from server.web import errors, middleware

log = get_logger(__name__)

# Each area of the server: its routes, and optionally `async def startup(runtime)`
# for background work (listeners, senders) that lives as long as the process.
AREAS = (server.maintenance, server.oauth.routes, server.flow.routes, ivr.routes, server.staff.routes, server.mail.routes,
         server.metrics, server.openapi, server.front_page)


def create_app(settings: Settings, *, clock: Clock | None = None, slow_hash_workers: int | None = None,
               drain_on_signals: bool = False) -> Starlette:
    """``drain_on_signals``: SIGTERM drains first (server.lifecycle); for the process that runs the server."""
    clock = clock or clock_for(settings.clock_file)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with database_url(settings) as url:
            pool = await pool_for(settings.database, url, min_size=settings.database.pool_min, max_size=settings.database.pool_max,
                                  statement_cache_size=settings.database.statement_cache_size)
            slow_hash = SlowHashPool(settings.secrets.pin_peppers, argon2_params(settings), slow_hash_workers)
            # The listener holds a session (LISTEN): straight to PostgreSQL when a pooler stands between.
            runtime = Runtime(settings=settings, clock=clock, pool=pool, slow_hash=slow_hash,
                              database_url=settings.database.direct_url or url)
            app.state.runtime = runtime
            try:
                async with runtime.exit_stack:
                    await runtime.listener.start()  # first, so each area's subscription returns caught up
                    runtime.exit_stack.push_async_callback(runtime.listener.close)
                    for area in AREAS:
                        if hasattr(area, "startup"):
                            await area.startup(runtime)
                    if drain_on_signals:
                        runtime.exit_stack.callback(lifecycle.drain_on_signals(runtime.lifecycle, settings.server))
                    log.info("server.ready", env=settings.env, public_url=settings.public_url)
                    yield
            finally:
                await pool.close()
                slow_hash.close()

    routes = [*health.routes]
    for area in AREAS:
        routes.extend(area.routes)
    return Starlette(
        routes=routes,
        middleware=[Middleware(IntrospectionShortcut),  # outermost: its answers need none of the others
                    Middleware(RequestContextMiddleware), Middleware(server.metrics.InFlightMiddleware), *middleware.middleware],
        exception_handlers=errors.exception_handlers,
        lifespan=lifespan,
    )
