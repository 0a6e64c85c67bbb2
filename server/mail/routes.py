"""The mail area: no routes; in every process, the outbox sender and its subscription to the outbox's NOTIFYs."""

from __future__ import annotations

from server.db import outbox
from server.logs import get_logger
from server.mail.sender import OutboxSender
from server.runtime import Runtime

log = get_logger(__name__)

routes: list = []


async def startup(runtime: Runtime) -> None:
    if not runtime.settings.mail.enabled:
        log.info("mail.sender_off", reason="[mail] enabled = false: no completion notices are sent")
        return
    if not runtime.settings.mail.smtp_url:
        log.info("mail.sender_idle", reason="no SMTP server configured (SMTP_URL); notices wait in the outbox")
        return
    sender = OutboxSender(runtime.pool, runtime.clock, runtime.settings.mail)

    async def wake_on_connect() -> None:
        sender.wake()  # notices queued while the listener was away

    subscription = await runtime.listener.subscribe(
        outbox.CHANNEL, on_notify=lambda _payload: sender.wake(), on_connect=wake_on_connect
    )
    runtime.exit_stack.push_async_callback(subscription.close)
    sender.start()
    runtime.exit_stack.push_async_callback(sender.stop)
    runtime.extras["mail_sender"] = sender
