"""The completion notice's text, and queuing it in the caller's transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.flow.fields import FieldProblem
from server.flow.fields import email as screen_email

from server.clock import TOKYO, FrozenClock
from server.mail import notice
from server.settings import Settings


def test_the_notice_names_the_app_the_tokyo_time_and_the_desk_japanese_first(settings: Settings) -> None:
    # 01:00 UTC is 10:00 in Tokyo: the customer reads Tokyo time whatever the server's zone.
    text = notice.body("家計簿アプリ Zaim", datetime(2026, 11, 24, 1, 0, tzinfo=UTC), settings.bank)
    assert "アプリ名：家計簿アプリ Zaim" in text and "完了日時：2026年11月24日 10:00" in text
    assert "Completed: 24 November 2026, 10:00 (Japan time)" in text
    assert "レンケイ信用組合 本部事務部" in text and "052-451-3128" in text and "平日 9:00〜17:00" in text
    assert text.index("お心当たりのない場合は") < text.index("If you did not do this, please call")


def test_the_notice_carries_nothing_secret(settings: Settings) -> None:
    text = notice.body("Demo Fintech", datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO), settings.bank)
    assert not re.search(r"\d{7}", text), "no account number"
    assert not re.search(r"[A-Za-z0-9_]{20,}", text), "no code or token"


def test_an_app_name_cannot_add_lines_to_the_notice(settings: Settings) -> None:
    text = notice.body("App\r\nSubject: 偽\x00", datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO), settings.bank)
    assert "アプリ名：App  Subject: 偽" in text and "\r" not in text and "\x00" not in text


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", "【レンケイ信用組合】API連携認証完了のお知らせ"),
    ("en", "[Renkei Credit Union] API linkage authentication completed"),
])  # fmt: skip
def test_the_subject_follows_the_customers_language(settings: Settings, lang: str, expected: str) -> None:
    assert notice.subject(lang, settings.bank) == expected


@pytest.mark.parametrize("address", [
    "taro.yamada@example.jp",
    "taro..yamada.@docomo.ne.jp",  # older Japanese mobile addresses break RFC 5322 and are still in use
    "hanako+renkei@mail.example.co.jp",
])  # fmt: skip
async def test_a_plausible_address_is_queued_once(db, clock: FrozenClock, settings: Settings, address: str) -> None:  # type: ignore[no-untyped-def]
    await notice.enqueue_completion_notice(
        db, to_address=f" {address} ", app_name="Demo", completed_at=clock.now(), lang="ja", bank=settings.bank
    )
    rows = await db.fetch("SELECT to_address, created_at, next_attempt_at, attempts, sent_at FROM email_outbox")
    assert [tuple(r) for r in rows] == [(address, clock.now(), clock.now(), 0, None)]


@pytest.mark.parametrize("address", [
    "", "taro", "taro@", "@example.jp", "taro@example", "taro yamada@example.jp", "taro@@example.jp",
    "taro@example.jp\r\nBcc: everyone@example.jp", "taro@example.jp>, <other@example.jp",
    "x" * 65 + "@example.jp", "taro@" + "a" * 250 + ".jp", "たろう@example.jp",
])  # fmt: skip
async def test_an_address_that_cannot_be_right_is_refused_and_nothing_queued(
    db, clock: FrozenClock, settings: Settings, address: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(notice.InvalidAddress):
        await notice.enqueue_completion_notice(
            db, to_address=address, app_name="Demo", completed_at=clock.now(), lang="ja", bank=settings.bank
        )
    assert await db.fetchval("SELECT count(*) FROM email_outbox") == 0


async def test_a_notice_queued_in_a_transaction_that_rolls_back_is_gone(db, clock: FrozenClock, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async with db.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await notice.enqueue_completion_notice(
                    conn, to_address="taro@example.jp", app_name="Demo", completed_at=clock.now(), lang="ja", bank=settings.bank
                )
                raise RuntimeError("the grant failed")
    assert await db.fetchval("SELECT count(*) FROM email_outbox") == 0


@given(st.emails() | st.sampled_from(["x@a.b", "taro@192.168.0.1", "a@b.c1", "taro..yamada.@docomo.ne.jp"]))
def test_every_address_screen_two_accepts_can_be_sent_the_notice(address: str) -> None:
    # Otherwise the approval's transaction would fail on an address the customer was told is fine.
    try:
        accepted = screen_email(address)
    except FieldProblem:
        return
    assert notice.valid_address(accepted)
