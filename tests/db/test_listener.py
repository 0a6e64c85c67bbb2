"""One LISTEN connection per process: every channel on it, every subscriber caught up after it is lost,
and one subscriber's failure costs the others nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from server.db import clients, maintenance_windows, outbox, phone_checks, tokens
from server.db.listener import APPLICATION_NAME, Listener
from tests.mail.test_sender import with_smtp

EVERY_CHANNEL = sorted([clients.CHANGES_CHANNEL, maintenance_windows.CHANNEL, outbox.CHANNEL, phone_checks.CHANNEL,
                        tokens.REVOCATION_CHANNEL])
# Any connection of ours that could LISTEN: the hub's name, and the per-channel names used before it.
LISTENING = "application_name LIKE 'renkei-listen%' AND datname = current_database()"


class Subscriber:
    """Records what it hears and how often it caught up; can be told to fail."""

    def __init__(self, *, raises_on_notice: bool = False) -> None:
        self.heard: list[str] = []
        self.caught_up = 0
        self.refusals = 0  # the next catch-ups that fail, as a database hiccup would
        self.raises_on_notice = raises_on_notice

    def on_notify(self, payload: str) -> None:
        self.heard.append(payload)
        if self.raises_on_notice:
            raise RuntimeError("a subscriber's bug")

    async def on_connect(self) -> None:
        if self.refusals:
            self.refusals -= 1
            raise ConnectionError("database hiccup")
        self.caught_up += 1


@pytest.fixture
async def hub(database_url: str, db: asyncpg.Pool) -> AsyncIterator[Listener]:
    hub = Listener(database_url)
    yield hub
    await hub.close()


async def subscribe(hub: Listener, channel: str, subscriber: Subscriber):  # type: ignore[no-untyped-def]
    return await hub.subscribe(channel, on_notify=subscriber.on_notify, on_connect=subscriber.on_connect)


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)


async def listening_connections(db: asyncpg.Pool) -> int:
    return await db.fetchval(f"SELECT count(*) FROM pg_stat_activity WHERE {LISTENING}")


async def drop_listening_connection(db: asyncpg.Pool) -> int:
    return await db.fetchval(f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {LISTENING}")


async def test_a_server_process_listens_on_every_channel_over_one_connection(start_server, settings, db):
    server = await start_server(with_smtp(settings, "smtp://127.0.0.1:2525"))  # so the mail outbox listens too
    assert await listening_connections(db) == 1
    assert await server.runtime.listener.listening_channels() == EVERY_CHANNEL
    await start_server(settings)
    assert await listening_connections(db) == 2  # one per process


async def test_after_the_connection_is_terminated_every_subscriber_catches_up_and_hears_again(hub, db):
    first, second, other = Subscriber(), Subscriber(), Subscriber()
    await subscribe(hub, "renkei_test_a", first)
    await hub.start()
    await subscribe(hub, "renkei_test_a", second)  # after start: joins the live connection, caught up at once
    await subscribe(hub, "renkei_test_b", other)
    assert [s.caught_up for s in (first, second, other)] == [1, 1, 1]
    assert await drop_listening_connection(db) == 1
    await until(lambda: hub.connections == 2)
    assert [s.caught_up for s in (first, second, other)] == [2, 2, 2]
    assert await listening_connections(db) == 1
    await db.execute("SELECT pg_notify('renkei_test_a', 'after'), pg_notify('renkei_test_b', 'again')")
    await until(lambda: first.heard and second.heard and other.heard)
    assert (first.heard, second.heard, other.heard) == (["after"], ["after"], ["again"])


async def test_a_subscriber_that_fails_stops_neither_the_hub_nor_the_others(hub, db, log_lines):
    good, broken, other = Subscriber(), Subscriber(raises_on_notice=True), Subscriber()
    for channel, subscriber in (("renkei_test_a", broken), ("renkei_test_a", good), ("renkei_test_b", other)):
        await subscribe(hub, channel, subscriber)
    await hub.start()
    broken.refusals = 2  # its next reload fails twice
    assert await drop_listening_connection(db) == 1
    await until(lambda: hub.connections == 2)
    assert (good.caught_up, broken.caught_up, other.caught_up) == (2, 1, 2)
    await db.execute("SELECT pg_notify('renkei_test_a', 'one'), pg_notify('renkei_test_a', 'two')")
    await db.execute("SELECT pg_notify('renkei_test_b', 'three')")
    await until(lambda: len(good.heard) == 2 and other.heard)
    assert (good.heard, broken.heard, other.heard) == (["one", "two"], ["one", "two"], ["three"])
    await until(lambda: broken.caught_up == 2)  # retried with back-off until its reload succeeded
    assert hub.connections == 2  # without dropping the others' connection
    logged = "\n".join(log_lines)
    assert "listener.subscriber_failed" in logged and "listener.catch_up_failed" in logged


async def test_a_closed_subscription_hears_nothing_more_and_a_closed_hub_holds_no_connection(hub, db):
    staying, leaving, alone = Subscriber(), Subscriber(), Subscriber()
    await hub.start()
    subscriptions = [await subscribe(hub, channel, s) for channel, s in
                     (("renkei_test_a", staying), ("renkei_test_a", leaving), ("renkei_test_b", alone))]
    assert await hub.listening_channels() == ["renkei_test_a", "renkei_test_b"]
    await subscriptions[1].close()
    await subscriptions[2].close()
    assert await hub.listening_channels() == ["renkei_test_a"]  # still wanted by the one staying
    await db.execute("SELECT pg_notify('renkei_test_a', 'hello'), pg_notify('renkei_test_b', 'anyone?')")
    await until(lambda: staying.heard)
    await asyncio.sleep(0.1)
    assert (staying.heard, leaving.heard, alone.heard) == (["hello"], [], [])
    await hub.close()
    async with asyncio.timeout(5):  # the backend goes a moment after its socket
        while await listening_connections(db):
            await asyncio.sleep(0.02)


async def test_a_subscriber_joining_while_the_hub_reconnects_is_caught_up_by_the_reconnect(hub, db):
    await hub.start()
    assert await drop_listening_connection(db) == 1
    await until(lambda: not hub.listening)
    late = Subscriber()
    await subscribe(hub, "renkei_test_a", late)  # returns once the reconnect has caught it up
    assert late.caught_up == 1 and hub.listening
    await db.execute("SELECT pg_notify('renkei_test_a', 'welcome')")
    await until(lambda: late.heard == ["welcome"])


async def test_start_gives_up_when_the_database_cannot_be_reached():
    hub = Listener("postgresql://renkei@127.0.0.1:1/renkei")
    with pytest.raises(TimeoutError):
        await hub.start(timeout=0.3)
    assert hub.connections == 0
