"""Terminal tables never cut an identifier (issue 21, point 7): they fold other text, or drop its columns."""

from __future__ import annotations

import pytest
from rich.console import Console

from provisioner.cli.table_fit import fitted_table

HEADINGS = ("Référence", "Reçue le", "Fichier", "Adhérent", "Résultat", "Changements", "Annulée")
ROWS = [["S20261207T103000-1a2b3c4d", "07/12/2026 10:30", "bordereau mise à jour décembre fiduciaire.xlsx",
         "123456", "accepté", "2 créations, 1 modification, 3 désactivations", "R20261207T110000-9f8e7d6c"]]


def drawn(width: int) -> tuple[str, list[str]]:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    table, dropped = fitted_table("Soumissions", HEADINGS, ROWS, width)
    console.print(table)
    return console.export_text(), dropped


@pytest.mark.parametrize("width", [100, 120, 80])
def test_identifiers_are_whole_at_every_width(width: int) -> None:
    # Before: « S20261207T1… » at 100 to 120 columns.
    text, _ = drawn(width)
    assert "S20261207T103000-1a2b3c4d" in text and "R20261207T110000-9f8e7d6c" in text and "123456" in text
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


def test_other_columns_fold_then_are_dropped_last_first_when_they_cannot_fit() -> None:
    _, dropped = drawn(160)
    assert dropped == []
    text, dropped = drawn(100)
    assert dropped == ["Fichier", "Changements"]  # text columns, from the right; « Résultat » is one word
    assert "07/12/2026" in text and "Colonnes" not in text  # the caller says which were left out
    _, dropped = drawn(80)
    assert dropped == ["Reçue le", "Fichier", "Changements"]
