"""科目 by name: the console names an account's type (普通, 貯蓄) wherever it shows one, as the screens do."""

from __future__ import annotations

from server.flow.labels import account_type_name as _msgid
from server.web.templates import gettext_for


def account_type_name(account_type: int, lang: str) -> str:
    """普通 / 貯蓄 (Ordinary / Savings); a type the service does not take shows as its digit."""
    return gettext_for(lang)(_msgid(account_type))
