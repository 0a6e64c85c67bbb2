"""Sends the outbox to SMTP in the background, in every process, each row once.

Claiming: a row is leased for ``LEASE`` in one statement (``FOR UPDATE SKIP LOCKED``,
see server/db/outbox.py), then sent with no lock or transaction held, so a slow
SMTP server never holds a database connection or blocks other processes. A
process that dies mid-send leaves the row to be sent again when the lease ends
(at least once, never lost); the Message-ID is the row's, so a repeat is
recognisable as the same notice.

Failures back off (30 s, 60 s, ... up to an hour) for about a day, then the row
is given up and an error logged. A recipient refused for good (5xx) is given up
at once. Server trouble (connection, TLS, login) ends the pass: the other rows
would only fail the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib
import asyncpg

from server.clock import Clock
from server.db import outbox
from server.logs import get_logger, mask_text
from server.metrics import EMAILS
from server.settings import MailSettings

log = get_logger(__name__)

LEASE = timedelta(minutes=10)  # far longer than one send may take (SMTP_TIMEOUT)
SMTP_TIMEOUT = 30.0
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)


def retry_at(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failures (30 s × 2^(attempts-1), at most an hour); None: give up."""
    delay = min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)
    return None if now + delay > created_at + GIVE_UP_AFTER else now + delay


@dataclass(frozen=True)
class SmtpServer:
    """Where settings.mail.smtp_url points: smtp:// (STARTTLS when offered) or smtps:// (TLS at once)."""

    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        implicit_tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit_tls,
        )

    @property
    def start_tls(self) -> bool | None:
        """True: required; None: when offered. A password never crosses a network in clear."""
        if self.implicit_tls:
            return False
        return True if self.username and not _is_loopback(self.hostname) else None


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(hostname).is_loopback
    return False


def build_message(row: asyncpg.Record, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "renkei.invalid"
    message["Message-ID"] = f"<outbox-{row['id']}.{int(row['created_at'].timestamp())}@{domain}>"
    message.set_content(row["body"], charset="utf-8")
    return message


class _ServerTrouble(Exception):
    """The SMTP server, not this message, is the problem: stop the pass."""


def _permanently_refused(error: Exception) -> bool:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(e.code >= 500 for e in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused) and error.code >= 500


class OutboxSender:
    """The background loop of one process: wake on NOTIFY (or every ``poll_seconds``), send what is due."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, mail: MailSettings, *, poll_seconds: float = 3.0) -> None:
        assert mail.smtp_url, "no SMTP server configured: the outbox waits"
        self.pool, self.clock, self.mail = pool, clock, mail
        self.smtp = SmtpServer.from_url(mail.smtp_url)
        self.poll_seconds = poll_seconds
        self.passes = 0  # completed passes over the outbox (tests wait on it)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail:sender")

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let the message in flight finish (so it is marked sent), then stop."""
        self._stopping = True
        self.wake()
        if self._task:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, grace_seconds)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.send_due()
            except Exception as error:  # the database hiccuped (or worse): the loop must live on
                log.error("mail.pass_failed", error=type(error).__name__)
            self.passes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def send_due(self) -> int:
        """Send every row due now, one claim at a time; the number sent."""
        sent = 0
        while not self._stopping:
            now = self.clock.now()
            row = await outbox.claim_next_due(self.pool, now, now + LEASE)
            if row is None:
                break
            try:
                sent += await self._send_one(row)
            except _ServerTrouble:
                break
        return sent

    async def _send_one(self, row: asyncpg.Record) -> int:
        try:
            await self._deliver(row)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as error:
            await self._failed(row, error)
            if not _permanently_refused(error):
                raise _ServerTrouble from error
            return 0
        await outbox.mark_sent(self.pool, row["id"], self.clock.now())
        EMAILS.labels(result="sent").inc()
        log.info("mail.sent", outbox_id=row["id"], attempts=row["attempts"] + 1)
        return 1

    async def _deliver(self, row: asyncpg.Record) -> None:
        message = build_message(row, self.mail.sender, self.clock.now())
        await aiosmtplib.send(
            message,
            sender=parseaddr(self.mail.sender)[1],
            recipients=[row["to_address"]],
            hostname=self.smtp.hostname,
            port=self.smtp.port,
            username=self.smtp.username,
            password=self.smtp.password,
            use_tls=self.smtp.implicit_tls,
            start_tls=self.smtp.start_tls,
            tls_context=ssl.create_default_context(),
            timeout=SMTP_TIMEOUT,
        )

    async def _failed(self, row: asyncpg.Record, error: Exception) -> None:
        now = self.clock.now()
        # SMTP replies often quote the recipient: masked before it is stored or logged.
        reason = mask_text(f"{type(error).__name__}: {error}")
        attempts = row["attempts"] + 1
        again = None if _permanently_refused(error) else retry_at(attempts, row["created_at"], now)
        await outbox.mark_failed(self.pool, row["id"], reason, again)
        EMAILS.labels(result="gave_up" if again is None else "retry").inc()
        if again is None:
            log.error("mail.gave_up", outbox_id=row["id"], attempts=attempts, error=reason)
        else:
            log.warning("mail.retry_later", outbox_id=row["id"], attempts=attempts, retry_at=again.isoformat(), error=reason)
