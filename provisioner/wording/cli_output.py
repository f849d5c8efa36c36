"""The words the operators' tables print themselves (cli.output)."""

from __future__ import annotations

from collections.abc import Sequence

YES = "oui"
NO = "non"


def columns_hidden(dropped: Sequence[str]) -> str:
    """A terminal too narrow for every column: which were left out, and how to see them."""
    return f"Colonnes masquées faute de largeur : {', '.join(dropped)} (terminal plus large, ou --json, pour les voir)."
