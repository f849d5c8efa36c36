"""Phone numbers in one form: E.164, Morocco the default region (phonenumbers).

spec.md: phone numbers are kept in one form, so `0661000111`, `+212 6 61 00 01 11`
and `00212661000111` are one number and sending it back written another way is
no change. The checker tells a valid number (`is_phone`); `normalise` stores
each valid number as `e164` gives it (migration 0008_clerk_phone_e164 put the
numbers already stored in that form, with its own frozen copy of the rule).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

REGION = "MA"
_PHONE_CHARS = re.compile(r"\+?[0-9 .()/-]+")  # no letters: phonenumbers would read 1-800-FLOWERS
# A Moroccan number as the template's hint writes it: national prefix 0, then the nine digits of
# phonenumbers' MA pattern [5-8]\d{8}, its only possible length. Judged without the library (some
# 0.1 ms a call, thousands a large workbook): a strict subset of what it accepts, with the same E.164.
_MOROCCAN_PHONE = re.compile(r"0[5-8][0-9]{8}")


@lru_cache(maxsize=8192)  # a sheet repeats numbers; each library call is slow
def _number(value: str) -> phonenumbers.PhoneNumber | None:
    if not _PHONE_CHARS.fullmatch(value):
        return None
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def is_phone(value: str) -> bool:
    """A Moroccan number (0522…, 06…, 07…, 08…) or an international one (+…, 00…)."""
    national = "0" + value[4:] if value.startswith("+212") else value  # e164's own Moroccan form: no library
    return _MOROCCAN_PHONE.fullmatch(national) is not None or _number(value) is not None


def e164(value: str) -> str:
    """`+212661000111` for any way of writing that number; a value that is no phone number, as it is."""
    if _MOROCCAN_PHONE.fullmatch(value):
        return "+212" + value[1:]
    number = _number(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else value
