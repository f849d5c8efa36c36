"""How values compare: labels and closed-list values, logins, secret answers, account fields.

One normalisation per kind of value, used by the workbook reader, the planner,
the store and the hashing alike, so that two places never disagree on whether
two logins are the same.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)  # the same few headers and closed-list values, thousands of times
def label_key(value: str) -> str:
    """How a label or header is matched: case, accents, a trailing `*` and spaces ignored."""
    text = strip_accents(str(value)).strip().rstrip("*").strip()
    return " ".join(text.casefold().split())


def login_key(value: str) -> str:
    """How logins compare everywhere: NFKC then case folding (security.md)."""
    return unicodedata.normalize("NFKC", value).casefold()


def answer_key(value: str) -> str:
    """How a secret answer is normalised before hashing: trim, case, accents, inner spaces."""
    return " ".join(strip_accents(unicodedata.normalize("NFKC", value)).casefold().split())


def same_field_value(key: str, old: str, new: str) -> bool:
    """Whether an account field keeps its value: an email compares without case (spec.md).

    Phone numbers need no rule here: the workbook stores them in one form (E.164).
    """
    return old.casefold() == new.casefold() if key == "email" else old == new
