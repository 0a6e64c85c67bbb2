"""The mail area: no routes; in every process, the outbox sender and its NOTIFY listener."""

from __future__ import annotations

from server.db import outbox
from server.db.listener import Listener
from server.logs import get_logger
from server.mail.sender import OutboxSender
from server.runtime import Runtime

log = get_logger(__name__)

routes: list = []


async def startup(runtime: Runtime) -> None:
    if not runtime.settings.mail.smtp_url:
        log.info("mail.sender_idle", reason="no SMTP server configured (SMTP_URL); notices wait in the outbox")
        return
    sender = OutboxSender(runtime.pool, runtime.clock, runtime.settings.mail)

    async def wake_on_connect() -> None:
        sender.wake()  # notices queued while the listener was away

    listener = Listener(runtime.database_url, outbox.CHANNEL, on_notify=lambda _payload: sender.wake(), on_connect=wake_on_connect)
    await listener.start()
    runtime.exit_stack.push_async_callback(listener.close)
    sender.start()
    runtime.exit_stack.push_async_callback(sender.stop)
    runtime.extras["mail_sender"] = sender
