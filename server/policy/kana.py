"""Kana names as a clerk types them into the search: one key for every way of writing the same name.

Core banking keeps names in full-width katakana (ヤマダ タロウ); a clerk may type
half-width (ﾔﾏﾀﾞ ﾀﾛｳ), hiragana (やまだ たろう), with or without the space, or
with small kana where the bank's record has large ones (half-width bank kana
has no small letters: キヤノン). The key folds all of these to large full-width
katakana without spaces. ``sql/0007_counter.sql`` computes the same key in the
database (``account.name_kana_key``); tests/policy/test_kana.py holds the two
to the same table.
"""

from __future__ import annotations

import unicodedata

_HIRAGANA_FIRST, _HIRAGANA_LAST = ord("ぁ"), ord("ゖ")
_TO_KATAKANA = ord("ァ") - ord("ぁ")
SMALL_KANA = "ァィゥェォッャュョヮヵヶ"
LARGE_KANA = "アイウエオツヤユヨワカケ"
# Long-vowel marks as typed: NFKC turns half-width ｰ into ー, but not these.
LONG_VOWELS = "-‐‑−－"
_FOLD = str.maketrans(SMALL_KANA + LONG_VOWELS, LARGE_KANA + "ー" * len(LONG_VOWELS))
_KATAKANA = frozenset(chr(c) for c in range(ord("ァ"), ord("ヺ") + 1)) | {"ー"}
MAX_LENGTH = 40


class InvalidKana(ValueError):
    """Not a kana name we can search for; the message says why, in the clerk's terms."""


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + _TO_KATAKANA) if _HIRAGANA_FIRST <= ord(ch) <= _HIRAGANA_LAST else ch for ch in text)


def search_key(typed: str) -> str:
    """``ヤマダタロウ`` for ``ﾔﾏﾀﾞ ﾀﾛｳ``, ``やまだ　たろう``, ``ヤマダ・タロウ``…; ``InvalidKana`` otherwise."""
    text = unicodedata.normalize("NFKC", typed or "")
    text = _hiragana_to_katakana(text).translate(_FOLD)
    key = "".join(ch for ch in text if not (ch.isspace() or ch == "・"))
    if not key:
        raise InvalidKana("empty")
    if len(key) > MAX_LENGTH:
        raise InvalidKana("too long")
    if any(ch not in _KATAKANA for ch in key):
        raise InvalidKana("not kana")
    return key
