"""PINs, passwords, client secrets and tokens: how each is kept.

- PIN: HMAC-SHA256 with a pepper held outside the database, then argon2id.
  A 4-digit PIN's argon2 hash alone falls to 10,000 guesses; without the
  pepper a leaked table gives nothing to guess against. Peppers have ids: each
  stored hash names the one it was made with, so a new pepper comes in as
  customers are re-imported while the old one still verifies the rest.
- Staff password: argon2id.
- Client secrets, tokens, cookies: SHA-256 digests (they are long random
  strings already; argon2 would cap /token at a few requests a second).

argon2 is slow on purpose, so it runs in a process pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import multiprocessing
import os
import secrets
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from passlib.hash import argon2

from server.config_sources import FIRST_PEPPER_ID
from server.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int
    time_cost: int
    parallelism: int


def _hasher(params: Argon2Params):  # type: ignore[no-untyped-def]
    return argon2.using(
        type="ID", memory_cost=params.memory_kib, rounds=params.time_cost, parallelism=params.parallelism
    )


def pepper_pin(pepper: str, pin: str) -> str:
    return hmac.new(pepper.encode(), pin.encode(), hashlib.sha256).hexdigest()


def hash_pin(pepper: str, params: Argon2Params, pin: str) -> str:
    return _hasher(params).hash(pepper_pin(pepper, pin))


def verify_pin(pepper: str, pin: str, pin_hash: str) -> bool:
    try:
        return argon2.verify(pepper_pin(pepper, pin), pin_hash)
    except ValueError:  # not an argon2 hash at all
        return False


def hash_password(params: Argon2Params, password: str) -> str:
    return _hasher(params).hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return argon2.verify(password, password_hash)
    except ValueError:
        return False


def token_digest(value: str) -> bytes:
    """SHA-256 of a random token (code, refresh token, cookie, request_uri)."""
    return hashlib.sha256(value.encode()).digest()


def secret_digest(key: str, secret: str) -> bytes:
    """Keyed digest of a client secret, compared with ``hmac.compare_digest``."""
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).digest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def _leave_with_parent(parent_pid: int) -> None:
    """In each worker: exit once the server that started it is gone, even if it was killed with SIGKILL
    (a worker blocked on its queue would otherwise wait for work forever)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="renkei-parent-watch", daemon=True).start()


def helpers_per_process(cores: int, server_processes: int) -> int:
    """argon2 helpers for each server process: the cores shared out, at least one each.

    Every server process has its own pool; with as many processes as cores, one
    helper each already keeps every core busy, and a pool per process the size
    of the machine would make processes times cores helpers (and their memory).
    """
    return max(1, cores // max(1, server_processes))


def _server_processes() -> int:
    """How many server processes share this machine: ``renkei serve --workers N`` says so in WEB_CONCURRENCY."""
    try:
        return int(os.environ.get("WEB_CONCURRENCY", "1"))
    except ValueError:
        return 1


def _timed(submitted_at: float, fn, *args):  # type: ignore[no-untyped-def]
    """In the helper process: how long the work waited for it (wall clock, one machine), and the work's result."""
    return max(0.0, time.time() - submitted_at), fn(*args)


Peppers = tuple[tuple[str, str], ...]  # (id, secret), the current first (settings.secrets.pin_peppers)


class SlowHashPool:
    """argon2 work off the event loop, on every core.

    Processes are spawned (not forked) so a worker never inherits the event
    loop or the database pool of the server.
    """

    def __init__(self, peppers: Peppers | str, params: Argon2Params, workers: int | None = None) -> None:
        self.peppers = dict(((FIRST_PEPPER_ID, peppers),) if isinstance(peppers, str) else peppers)
        self.pepper_id = next(iter(self.peppers))  # the current pepper: new hashes are made with it
        self.pepper = self.peppers[self.pepper_id]
        self.params = params
        self._executor = ProcessPoolExecutor(
            max_workers=workers or helpers_per_process(os.cpu_count() or 1, _server_processes()),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_leave_with_parent, initargs=(os.getpid(),),
        )

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        # Imported here, not at the top: the helper processes import this module and must not
        # write metric files of their own (they would count as server processes).
        from server.metrics import ARGON2_QUEUE_WAIT

        waited, result = await asyncio.get_running_loop().run_in_executor(self._executor, _timed, time.time(), fn, *args)
        ARGON2_QUEUE_WAIT.observe(waited)
        return result

    async def hash_pin(self, pin: str) -> str:
        return await self._run(hash_pin, self.pepper, self.params, pin)

    async def verify_pin(self, pin: str, pin_hash: str, pepper_id: str) -> bool:
        """Under the pepper the hash was made with; a hash whose pepper is no longer configured never matches."""
        pepper = self.peppers.get(pepper_id)
        if pepper is None:
            log.error("pin.pepper_missing", pepper_id=pepper_id)
            return False
        return await self._run(verify_pin, pepper, pin, pin_hash)

    async def hash_password(self, password: str) -> str:
        return await self._run(hash_password, self.params, password)

    async def verify_password(self, password: str, password_hash: str) -> bool:
        return await self._run(verify_password, password, password_hash)

    def map_hash_pins(self, pins: list[str], chunksize: int = 64) -> list[str]:
        """Synchronous bulk hashing for the CLI import."""
        from functools import partial

        return list(self._executor.map(partial(hash_pin, self.pepper, self.params), pins, chunksize=chunksize))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
