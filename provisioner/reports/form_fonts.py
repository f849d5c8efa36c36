"""The fonts of the subscription form: shipped with the package, never fetched at run time.

Arabic is an official language here and company names, addresses and people's
names come in it, or in Latin letters with marks cp1252 lacks (`Ḥ`, `ő`). The
form embeds Noto Sans (Latin, Latin Extended, Greek, Cyrillic) and Noto Naskh
Arabic as its fallback, copied from Debian's fonts-noto-core under the SIL Open
Font License (fonts/OFL.txt); fpdf2 embeds only the glyphs used. Text with
Arabic is shaped by HarfBuzz (uharfbuzz): letters join, runs are laid right to
left. Each registered font costs a parse and a subset (~80 ms): a form with no
Arabic registers Noto Sans alone.

What no shipped font covers cannot be printed: `unprintable` names those
characters so that the checker warns before the form is written.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

FOLDER = Path(__file__).parent / "fonts"
FAMILY = "NotoSans"
_FALLBACK = "NotoNaskhArabic"
# (family, style, file). No italic: fpdf2 parses and subsets every registered font, about
# 80 ms each, so the form uses two styles, and the Arabic pair only when its text needs it.
_MAIN = ((FAMILY, "", "NotoSans-Regular.ttf"), (FAMILY, "B", "NotoSans-Bold.ttf"))
_ARABIC = ((_FALLBACK, "", "NotoNaskhArabic-Regular.ttf"), (_FALLBACK, "B", "NotoNaskhArabic-Bold.ttf"))


def use_form_fonts(pdf: FPDF, text: str | None = None) -> None:
    """Register on `pdf` the shipped fonts that `text` (all the form will print; None: anything) needs."""
    for family, style, name in _MAIN:
        pdf.add_font(family, style, FOLDER / name)
    if text is None or (not text.isascii() and any(ord(ch) not in _cmap(_MAIN[0][2]) for ch in text)):
        for family, style, name in _ARABIC:
            pdf.add_font(family, style, FOLDER / name)
        pdf.set_fallback_fonts([_FALLBACK], exact_match=False)
        # Shaping (letters joined, runs ordered right to left) is what Arabic needs; Latin text,
        # precomposed by NFKC, prints the same without it, without HarfBuzz's cost on every cell.
        pdf.set_text_shaping(True)


def unprintable(text: str) -> str:
    """The characters of `text` that no shipped font can draw, each once, in order of appearance."""
    if text.isascii():
        return ""  # every font here has ASCII: no need to read a cmap
    covered = _cmap(_MAIN[0][2]) | _cmap(_ARABIC[0][2])
    seen: dict[str, None] = {}
    for ch in text:
        if ord(ch) not in covered and not _invisible(ch):
            seen[ch] = None
    return "".join(seen)


def is_right_to_left(text: str) -> bool:
    """True when the first letter with a direction is written right to left (Arabic, Hebrew)."""
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _invisible(ch: str) -> bool:
    # Spaces, joiners and marks of direction are laid out, not drawn.
    return ch.isspace() or unicodedata.category(ch) == "Cf"


@lru_cache(maxsize=2)
def _cmap(name: str) -> frozenset[int]:
    """The code points font file `name` has a glyph for (its regular style stands for its bold)."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency; read once, when asked

    with TTFont(FOLDER / name, lazy=True) as font:
        return frozenset(font.getBestCmap())
