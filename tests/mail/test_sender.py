"""The outbox sender against a real SMTP server: delivery, back-off, giving up, two processes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from server.clock import FrozenClock
from server.mail import notice
from server.mail.sender import GIVE_UP_AFTER, retry_at
from server.settings import Settings
from tests.mail.conftest import SmtpServer, a_full_pass, eventually

ADDRESS = "taro.yamada@example.jp"


def emails_counted(result: str) -> float:
    return REGISTRY.get_sample_value("renkei_emails_total", {"result": result}) or 0.0


def with_smtp(settings: Settings, url: str) -> Settings:
    return settings.with_changes(mail=replace(settings.mail, smtp_url=url))


async def queue_notice(pool, clock: FrozenClock, settings: Settings, to: str = ADDRESS, app: str = "家計簿アプリ") -> None:  # type: ignore[no-untyped-def]
    async with pool.acquire() as conn, conn.transaction():
        await notice.enqueue_completion_notice(
            conn, to_address=to, app_name=app, completed_at=clock.now(), lang="ja", bank=settings.bank
        )


async def outbox(db) -> list[dict]:  # type: ignore[no-untyped-def]
    return [dict(r) for r in await db.fetch("SELECT * FROM email_outbox ORDER BY id")]


async def all_sent(db) -> bool:  # type: ignore[no-untyped-def]
    return await db.fetchval("SELECT bool_and(sent_at IS NOT NULL) FROM email_outbox") is True


async def test_a_queued_notice_is_delivered_promptly_readable_in_japanese(
    start_server, settings: Settings, smtp_server: SmtpServer, db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.start()
    server = await start_server(with_smtp(settings, smtp_server.url))
    sent_before = emails_counted("sent")
    await queue_notice(db, clock, settings)
    # Well inside the 3 s poll: the NOTIFY woke the sender.
    assert await eventually(lambda: all_sent(db), within=1.5)
    [message] = smtp_server.mailbox.messages
    assert message["Subject"] == "【レンケイ信用組合】API連携認証完了のお知らせ"
    assert message["To"] == ADDRESS and message["From"] == settings.mail.sender
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "アプリ名：家計簿アプリ" in body and "2026年11月24日 10:00" in body and "052-451-3128" in body
    assert smtp_server.mailbox.received[0].rcpt_tos == [ADDRESS]
    [row] = await outbox(db)
    assert row["sent_at"] == clock.now() and row["attempts"] == 0
    assert server.runtime.extras["mail_sender"].passes >= 1
    assert emails_counted("sent") == sent_before + 1


async def test_with_smtp_down_the_attempt_is_counted_and_retried_after_the_back_off_exactly_once(
    start_server, settings: Settings, smtp_server: SmtpServer, db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(with_smtp(settings, smtp_server.url))  # nothing listens there yet
    sender = server.runtime.extras["mail_sender"]
    queued_at = clock.now()
    await queue_notice(db, clock, settings)
    assert await eventually(lambda: db.fetchval("SELECT attempts = 1 FROM email_outbox"))
    [row] = await outbox(db)
    assert row["next_attempt_at"] == queued_at + timedelta(seconds=30) and row["sent_at"] is None
    assert row["last_error"].startswith("SMTPConnectError")

    smtp_server.start()
    await a_full_pass(sender)
    assert smtp_server.mailbox.received == [], "not before next_attempt_at"

    clock.advance(seconds=31)
    sender.wake()
    assert await eventually(lambda: all_sent(db))
    await a_full_pass(sender)
    assert len(smtp_server.mailbox.received) == 1
    [row] = await outbox(db)
    assert row["attempts"] == 1 and row["sent_at"] == queued_at + timedelta(seconds=31)


async def test_after_a_day_of_failures_the_notice_is_given_up_and_an_error_logged(
    start_server, settings: Settings, smtp_server: SmtpServer, db, clock: FrozenClock, log_lines: list[str]
) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(with_smtp(settings, smtp_server.url))
    queued_at, retries_before, given_up_before = clock.now(), emails_counted("retry"), emails_counted("gave_up")
    await queue_notice(db, clock, settings)
    assert await eventually(lambda: db.fetchval("SELECT attempts = 1 FROM email_outbox"))
    clock.set(queued_at + GIVE_UP_AFTER - timedelta(seconds=10))
    server.runtime.extras["mail_sender"].wake()
    assert await eventually(lambda: db.fetchval("SELECT attempts = 2 FROM email_outbox"))
    [row] = await outbox(db)
    assert row["sent_at"] is None and row["next_attempt_at"] == datetime.max.replace(tzinfo=row["next_attempt_at"].tzinfo)
    gave_up = [json.loads(line) for line in log_lines if "mail.gave_up" in line]
    assert [(g["level"], g["outbox_id"], g["attempts"]) for g in gave_up] == [("error", row["id"], 2)]
    assert (emails_counted("retry"), emails_counted("gave_up")) == (retries_before + 1, given_up_before + 1)


async def test_a_recipient_refused_for_good_is_given_up_at_once_and_the_next_notice_still_goes(
    start_server, settings: Settings, smtp_server: SmtpServer, db, clock: FrozenClock, log_lines: list[str]
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.mailbox.refuse.add(ADDRESS)
    smtp_server.start()
    await start_server(with_smtp(settings, smtp_server.url))
    await queue_notice(db, clock, settings)
    await queue_notice(db, clock, settings, to="hanako@example.jp")
    assert await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM email_outbox WHERE attempts > 0 OR sent_at IS NOT NULL"))
    refused, delivered = await outbox(db)
    assert refused["attempts"] == 1 and refused["sent_at"] is None and "550" in refused["last_error"]
    assert delivered["sent_at"] is not None and smtp_server.mailbox.received[0].rcpt_tos == ["hanako@example.jp"]
    # The SMTP reply quoted the address: neither the stored error nor any log line repeats it.
    assert "taro" not in refused["last_error"]
    assert log_lines and not [line for line in log_lines if "taro" in line or "hanako" in line]


async def test_two_server_processes_never_send_the_same_notice_twice(
    start_server, settings: Settings, smtp_server: SmtpServer, db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.start()
    configured = with_smtp(settings, smtp_server.url)
    first, second = await start_server(configured), await start_server(configured)
    for n in range(30):
        await queue_notice(db, clock, settings, to=f"customer{n}@example.jp")
    assert await eventually(lambda: all_sent(db), within=15)
    await a_full_pass(first.runtime.extras["mail_sender"])
    await a_full_pass(second.runtime.extras["mail_sender"])
    recipients = sorted(r for e in smtp_server.mailbox.received for r in e.rcpt_tos)
    assert recipients == sorted(f"customer{n}@example.jp" for n in range(30))
    message_ids = {m["Message-ID"] for m in smtp_server.mailbox.messages}
    assert len(message_ids) == 30


@pytest.mark.parametrize(("attempts", "waited", "delay"), [
    pytest.param(1, timedelta(0), timedelta(seconds=30), id="30 s after the first failure"),
    pytest.param(2, timedelta(minutes=1), timedelta(seconds=60), id="doubling"),
    pytest.param(7, timedelta(minutes=40), timedelta(seconds=1920), id="32 minutes after seven"),
    pytest.param(8, timedelta(hours=2), timedelta(hours=1), id="never more than an hour"),
    pytest.param(60, timedelta(hours=22), timedelta(hours=1), id="still an hour after many"),
    pytest.param(30, timedelta(hours=23, minutes=30), None, id="given up when the next try would pass a day"),
])  # fmt: skip
def test_the_back_off_doubles_to_an_hour_and_ends_after_a_day(
    attempts: int, waited: timedelta, delay: timedelta | None
) -> None:
    created = datetime(2026, 11, 24, 10, 0).astimezone()
    assert retry_at(attempts, created, created + waited) == (None if delay is None else created + waited + delay)
