"""Excel cell references: column letters and `K7`."""

from __future__ import annotations


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
