"""The published maintenance rules, as the console words them."""

from __future__ import annotations

import pytest

from server.policy.maintenance import default_rules
from server.staff.calendar_words import daily_labels, describe_labels, describe_rule
from server.web.templates import gettext_for


def words(lang: str):  # type: ignore[no-untyped-def]
    gettext = gettext_for(lang)
    return lambda msgid, **values: gettext(msgid) % values if values else gettext(msgid)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", ["毎日 00:00〜00:01", "毎日 04:00〜04:05", "毎月第1・第3月曜日 02:00〜06:00",
                "第2・第4日曜日の前日 23:50 〜 当日 07:00", "毎年 1月1,2,3日 00:00〜08:00", "毎年 1月1,2,3日 19:00〜24:00"]),
        ("en", ["Every day 00:00–00:01", "Every day 04:00–04:05", "1st and 3rd Monday of the month 02:00–06:00",
                "From 23:50 the day before the 2nd and 4th Sunday until 07:00 that Sunday",
                "Every year on 1/1,2,3, 00:00–08:00", "Every year on 1/1,2,3, 19:00–24:00"]),
    ],
    ids=["the bank's calendar in Japanese", "the bank's calendar in English"],
)
def test_each_published_rule_is_described_from_its_own_fields(lang, expected):
    assert [describe_rule(rule, lang, words(lang)) for rule in default_rules()] == expected


def test_a_reason_staff_wrote_is_shown_as_written_beside_the_rules_it_merged_with():
    rules = default_rules()
    labels = ["臨時メンテナンス", rules[0].label]
    assert describe_labels(labels, rules, "ja", words("ja")) == ["臨時メンテナンス", "毎日 00:00〜00:01"]


def test_only_the_every_day_rules_are_summarised():
    rules = default_rules()
    assert daily_labels(rules) == {rules[0].label, rules[1].label}
