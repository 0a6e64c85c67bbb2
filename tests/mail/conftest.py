"""A real SMTP server (aiosmtpd) that keeps what it receives, and helpers to wait on the outbox."""

from __future__ import annotations

import asyncio
import email
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every accepted message; refuses the addresses in ``refuse``."""

    refuse: set[str] = field(default_factory=set)
    received: list[Any] = field(default_factory=list)  # aiosmtpd envelopes
    sessions: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.005)  # a little latency, so that competing senders overlap
        self.received.append(envelope)
        self.sessions.append(session)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.original_content, policy=default) for e in self.received]  # type: ignore[misc]


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, **controller_options: Any) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **controller_options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on a free port, not yet started: ``.start()`` it (or leave it down)."""
    server = SmtpServer(free_port(), Mailbox())
    yield server
    server.stop()


def accept_login(user: str, password: str) -> Callable[..., AuthResult]:
    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (user.encode(), password.encode())
        return AuthResult(success=ok)

    return authenticator


def server_tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def eventually(condition: Callable[[], Any], within: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while not await _holds(condition):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _holds(condition: Callable[[], Any]) -> bool:
    result = condition()
    return bool(await result) if asyncio.iscoroutine(result) else bool(result)


async def a_full_pass(sender: Any) -> None:
    """Wake the sender and return once a whole pass over the outbox began after the wake."""
    before = sender.passes
    for more in (1, 2):  # the first pass to end may have begun before the wake; the second cannot
        sender.wake()
        assert await eventually(lambda: sender.passes >= before + more)
