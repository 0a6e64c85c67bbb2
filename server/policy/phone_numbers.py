"""Japanese phone numbers: normalising what people type, caller IDs, masking for display.

Numbers are stored and compared as E.164 (``+819012345678``). Messages of
``InvalidPhoneNumber`` say what is wrong without repeating the number, since
they may reach a log.
"""

from __future__ import annotations

import re
import unicodedata

# Hyphen look-alikes people paste from Japanese text. NFKC folds － and ﹣ to "-",
# ‑ to ‐ and ｰ to ー, but leaves these as they are.
_DASHES = frozenset("-‐‑‒–—―−ー⁃")
_SEPARATORS = _DASHES | frozenset("().")
_DIGITS = frozenset("0123456789")
_CALLER_ID_PREFIXES = ("184", "186")  # dialled before a number: hide / show caller ID
_MOBILE = frozenset({"070", "080", "090"})
_IP_PHONE = "050"
_TOLL_FREE_11 = "0800"

# Twilio's From for callers who withheld their number: the digits spell
# ANONYMOUS, RESTRICTED, BLOCKED, UNAVAILABLE and UNKNOWN on a keypad.
WITHHELD_CALLER_IDS = frozenset({"+266696687", "+7378742833", "+2562533", "+86282452253", "+8656696"})
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")

# Display only: real hyphenation needs the ministry's full table of area codes,
# where a 3-digit code (046) and a 4-digit one (0466) share a prefix. We know the
# 2-digit codes and the big cities' 3-digit codes and split every other landline
# 4-2-4; a wrong guess moves a hyphen, never a digit.
_AREA_CODES_2 = frozenset({"03", "06"})
_AREA_CODES_3 = frozenset({"011", "022", "025", "044", "045", "052", "075", "078", "082", "092", "093"})
_SPECIAL_4_3_3 = frozenset({"0120", "0180", "0570", "0990"})  # toll-free, navi dial, information


class InvalidPhoneNumber(ValueError):
    """The text is not a Japanese phone number we accept; the message says why."""


def _compact(raw: str) -> str:
    """``raw`` without separators, in ASCII: ``+`` at most first, then digits only."""
    text = "".join(
        ch for ch in unicodedata.normalize("NFKC", raw) if not (ch.isspace() or ch in _SEPARATORS)
    )
    if not text:
        raise InvalidPhoneNumber("the phone number is empty")
    body = text[1:] if text.startswith("+") else text
    stray = next((ch for ch in body if ch not in _DIGITS), None)
    if stray == "+":
        raise InvalidPhoneNumber("a '+' may only come first, as in +81 90-1234-5678")
    if stray is not None:
        raise InvalidPhoneNumber(f"{stray!r} is not a digit; a phone number has digits only")
    return text


def _domestic(compact: str) -> str:
    """The domestic digit string (0…) that ``compact`` dials from inside Japan."""
    if compact.startswith("+"):
        if not compact.startswith("+81"):
            raise InvalidPhoneNumber("only Japanese numbers (+81) are accepted")
        national = compact[3:]
    elif compact.startswith("0081"):
        national = compact[4:]
    else:
        prefix, rest = compact[:3], compact[3:]
        return rest if prefix in _CALLER_ID_PREFIXES and rest.startswith("0") else compact
    # People write "+81 (0)90 …": the trunk 0 is dropped in international form.
    return "0" + (national[1:] if national.startswith("0") else national)


def _expected_length(digits: str) -> tuple[str, int]:
    """(kind, number of digits) for a domestic number, judged by its first digits."""
    if not digits.startswith("0"):
        raise InvalidPhoneNumber("a domestic number starts with 0; write +81 for the international form")
    if digits.startswith("00"):
        raise InvalidPhoneNumber("numbers starting 00 are carrier or international prefixes")
    if len(digits) < 3:
        raise InvalidPhoneNumber("too short to be a phone number")
    if digits[:3] in _MOBILE:
        return "mobile", 11
    if digits[:3] == _IP_PHONE:
        return "IP phone (050)", 11
    if digits[:4] == _TOLL_FREE_11:
        return "toll-free 0800", 11
    if digits[2] == "0":
        # 010 international, 020 machine-to-machine, 060 and the rest unassigned.
        raise InvalidPhoneNumber(f"numbers starting {digits[:3]} are not accepted")
    return "landline", 10


def _valid_domestic(raw: str) -> str:
    digits = _domestic(_compact(raw))
    kind, expected = _expected_length(digits)
    if len(digits) != expected:
        problem = "too short" if len(digits) < expected else "too long"
        raise InvalidPhoneNumber(f"{problem}: {len(digits)} digits, where {kind} numbers have {expected}")
    return digits


def normalise(raw: str) -> str:
    """E.164 (``+81…``) for a Japanese number written any common way.

    Accepts hyphens, spaces, parentheses, full-width digits and dashes, the
    ``+81`` and ``0081`` forms (with or without the "(0)"), and the 184/186
    caller-ID prefixes in front of a domestic number.
    """
    return "+81" + _valid_domestic(raw)[1:]


def parse_caller(raw: str | None) -> str | None:
    """The caller's E.164 from Twilio's ``From``; ``None`` when withheld or not a number.

    Japanese numbers must be valid ones; other countries' need only be E.164.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not _E164.fullmatch(text) or text in WITHHELD_CALLER_IDS:
        return None
    if not text.startswith("+81"):
        return text
    try:
        return normalise(text)
    except InvalidPhoneNumber:
        return None


def _groups(digits: str) -> tuple[str, str, str]:
    """(area code or prefix, middle, last) of a valid domestic number."""
    if len(digits) == 11:
        if digits.startswith(_TOLL_FREE_11):
            return digits[:4], digits[4:7], digits[7:]
        return digits[:3], digits[3:7], digits[7:]
    if digits[:4] in _SPECIAL_4_3_3:
        return digits[:4], digits[4:7], digits[7:]
    if digits[:2] in _AREA_CODES_2:
        return digits[:2], digits[2:6], digits[6:]
    if digits[:3] in _AREA_CODES_3:
        return digits[:3], digits[3:6], digits[6:]
    return digits[:4], digits[4:6], digits[6:]


def format_domestic(number: str) -> str:
    """Domestic form with hyphens: ``090-1234-5678``, ``03-1234-5678``, ``052-451-0000``."""
    return "-".join(_groups(_valid_domestic(number)))


def mask(number: str) -> str:
    """For screens and logs: ``090-****-5678``; ``****5678`` when it cannot be formatted."""
    try:
        first, middle, last = _groups(_valid_domestic(number))
    except InvalidPhoneNumber:
        digits = [ch for ch in unicodedata.normalize("NFKC", number) if ch in _DIGITS]
        return "****" + "".join(digits[-4:])
    return f"{first}-{'*' * len(middle)}-{last}"
