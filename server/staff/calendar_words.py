"""The published maintenance rules in a clerk's words, in Japanese or English.

Described from the rule objects themselves (weekday, weeks, times), never by
parsing their English labels; a label that names no rule is a reason staff
wrote for their own window and is shown as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import time

from server.policy.maintenance import BeforeNthSundayWindow, DailyWindow, NthWeekdayWindow, Rule, YearlyWindow
from server.web.i18n import N_

Gettext = Callable[..., str]
_WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}


def _hhmm(moment: time | None) -> str:
    return "24:00" if moment is None else moment.strftime("%H:%M")


def _weeks(weeks: Iterable[int], lang: str) -> str:
    if lang == "ja":
        return "・".join(f"第{w}" for w in sorted(weeks))
    return " and ".join(_ORDINALS[w] for w in sorted(weeks))


def describe_rule(rule: Rule, lang: str, _: Gettext) -> str:
    if isinstance(rule, DailyWindow):
        return _("Every day %(start)s–%(end)s", start=_hhmm(rule.start), end=_hhmm(rule.end))
    if isinstance(rule, NthWeekdayWindow):
        return _("%(weeks)s %(weekday)s of the month %(start)s–%(end)s", weeks=_weeks(rule.weeks, lang),
                 weekday=_(_WEEKDAYS[rule.weekday]), start=_hhmm(rule.start), end=_hhmm(rule.end))
    if isinstance(rule, BeforeNthSundayWindow):
        return _("From %(start)s the day before the %(weeks)s Sunday until %(end)s that Sunday",
                 weeks=_weeks(rule.weeks, lang), start=_hhmm(rule.start_day_before), end=_hhmm(rule.end))
    if isinstance(rule, YearlyWindow):
        return _("Every year on %(month)s/%(days)s, %(start)s–%(end)s", month=rule.month,
                 days=",".join(str(d) for d in sorted(rule.days)), start=_hhmm(rule.start), end=_hhmm(rule.end))
    return rule.label


def describe_labels(labels: Iterable[str], rules: Iterable[Rule], lang: str, _: Gettext) -> list[str]:
    """Each label of a merged window in words; staff-written reasons stay as they are."""
    by_label = {rule.label: rule for rule in rules}
    return [describe_rule(by_label[label], lang, _) if label in by_label else label for label in labels]


def daily_labels(rules: Iterable[Rule]) -> frozenset[str]:
    """The every-day rules: summarised once on the screen instead of filling 60 rows."""
    return frozenset(rule.label for rule in rules if isinstance(rule, DailyWindow))
