"""The kana search key: every way a clerk types a name finds the name core banking holds."""

from __future__ import annotations

import pytest

from server.policy.kana import MAX_LENGTH, InvalidKana, search_key

# (what the clerk typed, the key) — the stored ヤマダ タロウ has the key ヤマダタロウ.
KEYS = [
    ("full-width katakana with a space", "ヤマダ タロウ", "ヤマダタロウ"),
    ("full-width katakana without the space", "ヤマダタロウ", "ヤマダタロウ"),
    ("with an ideographic (full-width) space", "ヤマダ　タロウ", "ヤマダタロウ"),
    ("with two spaces and blanks around", "  ヤマダ  タロウ ", "ヤマダタロウ"),
    ("half-width katakana with voiced marks", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ"),
    ("half-width semi-voiced marks", "ﾊﾟﾊﾟ", "パパ"),
    ("hiragana", "やまだ たろう", "ヤマダタロウ"),
    ("hiragana and katakana mixed", "やまだ タロウ", "ヤマダタロウ"),
    ("the family name only (a prefix)", "ヤマダ", "ヤマダ"),
    ("small kana folded to large, as bank kana writes them", "キャノン", "キヤノン"),
    ("small tsu", "ハットリ", "ハツトリ"),
    ("small hiragana", "きゃのん", "キヤノン"),
    ("a half-width long-vowel mark", "ｾｰﾀ", "セータ"),
    ("a hyphen for the long vowel", "セ-タ", "セータ"),
    ("a full-width hyphen for the long vowel", "セ－タ", "セータ"),
    ("the middle dot between names", "ジョン・スミス", "ジヨンスミス"),
    ("a half-width middle dot", "ｼﾞｮﾝ･ｽﾐｽ", "ジヨンスミス"),
    ("ヴ from half-width ｳﾞ", "ｳﾞｨﾗ", "ヴイラ"),
    ("ヴ from hiragana ゔ", "ゔぃら", "ヴイラ"),
]

REFUSED = [
    ("empty", ""),
    ("blanks only", " 　 "),
    ("a middle dot only", "・"),
    ("kanji", "山田太郎"),
    ("latin letters", "YAMADA"),
    ("digits", "1234"),
    ("a LIKE wildcard", "ヤマ%"),
    ("an underscore", "ヤ_ダ"),
    ("too long", "ア" * (MAX_LENGTH + 1)),
]


@pytest.mark.parametrize(("case", "typed", "key"), KEYS, ids=[c[0] for c in KEYS])
def test_the_search_key_folds_the_ways_a_name_is_typed(case, typed, key):
    assert search_key(typed) == key


@pytest.mark.parametrize(("case", "typed"), REFUSED, ids=[c[0] for c in REFUSED])
def test_what_is_not_a_kana_name_is_refused(case, typed):
    with pytest.raises(InvalidKana):
        search_key(typed)


def test_the_longest_name_allowed_is_accepted():
    assert search_key("ア" * MAX_LENGTH) == "ア" * MAX_LENGTH
