"""What a running server process holds: settings, clock, pool, slow-hash pool, the LISTEN hub.

Built once in the app's lifespan and reached by handlers as
``request.app.state.runtime``; nothing here is per-request.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from server.clock import Clock
from server.db.listener import Listener
from server.db.pool import Pool
from server.hashing import Argon2Params, SlowHashPool
from server.lifecycle import Lifecycle
from server.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    pool: Pool
    slow_hash: SlowHashPool
    # Components that later modules attach (signing keys, revocation set, wake-up hub...).
    extras: dict[str, Any] = field(default_factory=dict)
    exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    # For the dedicated LISTEN connection, which must not hold one of the pool's.
    database_url: str = ""
    # Draining after SIGTERM (server.lifecycle): /readyz, admission control and the event streams read it.
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # The process's one LISTEN connection; every area subscribes its channel. Started in the app's lifespan.
    listener: Listener = field(init=False)

    def __post_init__(self) -> None:
        self.listener = Listener(self.database_url)


def argon2_params(settings: Settings) -> Argon2Params:
    a = settings.argon2
    return Argon2Params(memory_kib=a.memory_kib, time_cost=a.time_cost, parallelism=a.parallelism)
