"""The order of the screens, in one table.

The contract's three authentications (identity, phone, PIN) each span two
screens. ``flow.step`` names the screen the customer may post next. A customer
may go back to an earlier screen of the same authentication (to correct an
account number, to draw a new auth number) but never skip ahead, and never
back into an authentication already passed.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.web.i18n import N_


@dataclass(frozen=True)
class Stage:
    name: str       # the value of flow.step
    path: str
    number: str     # as the bank's manual numbers its screens
    title: str      # msgid
    part: int       # 1 identity, 2 phone, 3 PIN and consent


STAGES: tuple[Stage, ...] = (
    Stage("account", "/flow/account", "①", N_("Account details"), 1),
    Stage("customer", "/flow/customer", "②", N_("Customer details"), 1),
    Stage("phone", "/flow/phone", "③", N_("Check your phone number"), 2),
    Stage("call", "/flow/phone/call", "④", N_("Phone number verification"), 2),
    Stage("pin", "/flow/pin", "⑤", N_("Cash card PIN"), 3),
    Stage("consent", "/flow/consent", "⑥", N_("Approve the link"), 3),
)
_BY_NAME = {stage.name: stage for stage in STAGES}
FIRST = STAGES[0]


def stage(name: str) -> Stage:
    return _BY_NAME[name]


def index(name: str) -> int:
    return STAGES.index(_BY_NAME[name])


def after(name: str) -> Stage:
    """The stage that follows ``name`` (the consent screen has none: the flow ends there)."""
    return STAGES[index(name) + 1]


def may_visit(current: str, target: str) -> bool:
    """Whether a customer whose next screen is ``current`` may see or post ``target``."""
    here, there = _BY_NAME[current], _BY_NAME[target]
    return here.part == there.part and index(target) <= index(current)


def visited_from(target: str) -> list[str]:
    """The values of ``flow.step`` from which a customer may see or post ``target``."""
    return [here.name for here in STAGES if may_visit(here.name, target)]
