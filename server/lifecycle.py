"""How a server process leaves: drain on SIGTERM, then uvicorn lets what is in flight finish.

On the first SIGTERM (what systemd, a container runtime or any supervisor sends)
the process starts draining at once: /readyz answers 503, new event streams of
the waiting screen ④ are refused, open ones are told to reconnect (through the
load balancer, to another process) and closed. It keeps listening for
``[server] drain_seconds`` so that a balancer checking /readyz sees it leave, then
uvicorn stops listening and gives requests in flight the rest of
``[server] shutdown_grace_seconds``. Ctrl-C (SIGINT) drains the same way but stops
listening at once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from server.logs import get_logger
from server.settings import ServerSettings

log = get_logger(__name__)


class Lifecycle:
    """Per process: whether it is draining, and who must hear when it starts."""

    def __init__(self) -> None:
        self.draining = False
        self._on_drain: list[Callable[[], None]] = []

    def on_drain(self, callback: Callable[[], None]) -> None:
        self._on_drain.append(callback)

    def begin_drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        log.info("server.draining")
        for callback in self._on_drain:
            callback()


def drain_on_signals(lifecycle: Lifecycle, server: ServerSettings) -> Callable[[], None]:
    """Put draining in front of the signal handlers in place (uvicorn's); returns what puts them back.

    Python runs signal handlers on the main thread between two bytecodes, so the
    handler only schedules: the drain on the event loop, and uvicorn's own
    handler (which stops listening) after ``drain_seconds`` for a first SIGTERM.
    """
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    signalled: list[int] = []

    def on_signal(sig: int, frame: object) -> None:
        delay = server.drain_seconds if sig == signal.SIGTERM and not signalled else 0.0
        signalled.append(sig)
        loop.call_soon_threadsafe(lifecycle.begin_drain)
        handler = previous[sig]
        if callable(handler):
            loop.call_soon_threadsafe(loop.call_later, delay, handler, sig, None)

    for sig in previous:
        signal.signal(sig, on_signal)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
