"""Text normalisation shared by the reader, the rules and the store."""

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


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col_index: int) -> str:
    """Excel row number (1-based) and 0-based column index → `K7`."""
    return f"{column_letter(col_index)}{row}"
