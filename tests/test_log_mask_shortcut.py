"""The masking shortcut: text with no digit and no @ cannot hold anything the masks hide."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server import logs

MASKS = (logs._EMAIL, logs._ACCOUNT, logs._E164, logs._DOMESTIC_PHONE, logs._BARE_DATE, logs._LONG_DIGITS)


@given(st.text())
def test_no_mask_matches_text_that_the_shortcut_leaves_alone(text):
    if not logs._MAYBE_PERSONAL.search(text):
        assert not any(mask.search(text) for mask in MASKS)
        assert logs.mask_text(text) == text


def test_an_account_number_in_a_path_is_still_masked():
    assert logs.mask_text("/staff/api/accounts/001-1-1234567/lock") == "/staff/api/accounts/001-1-***4567/lock"
