"""The subscription form prints every script people write their names in (issue 21, point 1).

The PDF is read back with poppler's pdftotext, as a person's viewer would show
it: Arabic shaped and in its reading order, Latin Extended letters as typed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from tests.factory import adherent, delegue, make_workbook

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler's pdftotext is missing: apt-get install poppler-utils")

COMPANY = "شركة الأطلس للنسيج"
STREET = "12، شارع محمد الخامس"
CITY = "الدار البيضاء"
HEAD = "عبد الرحيم"
# Marks of direction pdftotext puts around a right-to-left run: not part of the text.
_BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def form_text(folder: Path, *options: str) -> str:
    pdf = folder / "formulaire-abonnement.pdf"
    done = subprocess.run(["pdftotext", *options, str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout.translate(_BIDI_MARKS)


def words_left_to_right(folder: Path, top_of: str) -> list[str]:
    """The words on the line of the word `top_of`, as they stand on the page from left to right."""
    words = [(float(y), float(x), word) for x, y, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', form_text(folder, "-bbox"))]
    line = next(y for y, _x, word in words if word == top_of)
    return [word for y, _x, word in sorted(words, key=lambda w: w[1]) if abs(y - line) < 1]


def test_arabic_and_latin_extended_print_on_the_form_as_typed(ctx: ServiceContext, tmp_path: Path) -> None:
    book = make_workbook(tmp_path / "a.xlsx",
                         adherent_values=adherent(raison_sociale=COMPANY, adresse=STREET, ville=CITY,
                                                  nom=HEAD, prenom="Ḥassan"),
                         delegue_values=delegue(nom="Ağaoğlu", prenom="Zoë"))
    outcome = process_file(ctx, book)
    assert outcome.status == "accepted", outcome.report["errors"]
    assert outcome.report["warnings"] == []
    text = form_text(outcome.folder, "-layout")
    for typed in (COMPANY, CITY, HEAD, "Ḥassan", "Ağaoğlu", "Zoë"):
        assert typed in text, typed
    assert "?" not in text  # nothing replaced
    # Right to left: the street number, typed first, stands at the right end of its line.
    # (pdftotext -bbox gives each word's glyphs in the page's order, left to right.)
    assert words_left_to_right(outcome.folder, "Adresse")[-4:] == ["سماخلا", "دمحم", "عراش", "،12"]


def test_a_character_no_font_has_is_a_warning_at_its_cell_not_a_silent_change(ctx: ServiceContext,
                                                                                tmp_path: Path) -> None:
    book = make_workbook(tmp_path / "a.xlsx", adherent_values=adherent(ville="Rabat 漢"))
    outcome = process_file(ctx, book)
    assert outcome.status == "accepted", outcome.report["errors"]
    [found] = outcome.report["warnings"]
    assert (found["code"], found["sheet"], found["column"]) == ("UNPRINTABLE_CHARACTER", "Adhérent", "Ville")
    assert "« 漢 » (U+6F22)" in found["message"] and "« ? »" in found["message"]
    assert "Rabat ?" in form_text(outcome.folder)
