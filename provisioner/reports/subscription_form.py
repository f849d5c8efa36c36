"""The *formulaire d'abonnement*: one A4 page to print, sign, stamp and post.

spec.md, Abonnement: the outbox gets this form; the company's head signs it,
stamps it and sends it to the Agence Virtuelle, which validates the
subscription when it arrives.

Fonts: form_fonts's, shipped with the package and embedded (subset): French,
Arabic (shaped, right to left) and Latin Extended print as typed. A value
written right to left is aligned right in its cell.

What the form may carry (its keys, no password ever; the text made
printable) is subscription_form_data's; this module lays the page out.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import cast

from fpdf import FPDF

from provisioner.reports.files import write_atomic
from provisioner.reports.form_fonts import FAMILY, is_right_to_left, use_form_fonts
from provisioner.reports.subscription_form_data import CheckedForm, FormDataError, checked
from provisioner.wording import dates, form_text

FORM_NAME = "formulaire-abonnement.pdf"

# Tried in turn until everything fits on one page: long addresses or names
# wrap, and a smaller type is better than a second sheet to sign.
_FONT_SIZES = (10.0, 9.0, 8.0, 7.0, 6.0)
# Last resort, for values no one types (every cell at the reader's 255
# characters): shorten them, marked "…". A form to sign must exist; the full
# values are in the report and the account store.
_VALUE_LIMITS: tuple[int | None, ...] = (None, 120, 60)
_MARGIN = 15.0
_COLUMNS = (34.0, 56.0, 34.0, 56.0)  # label, value, label, value (mm, sums to 180)
_HEADING_FILL = (226, 232, 240)
_NOTE_FILL = (245, 247, 250)


def write_subscription_form(data: Mapping[str, object], path: str | Path) -> Path:
    """Write the subscription form PDF (one A4 page) to `path` atomically.

    `data` holds exactly: `numero`, `raison_sociale`, `submission_id`, `date`
    (a datetime, a date or an ISO 8601 string: the submission's), `company`
    (a mapping with subscription_form_data.COMPANY_KEYS) and `delegue` (a
    mapping with DELEGUE_KEYS). Missing keys print as blank; any other key raises
    FormDataError — there is deliberately no place for a password.
    """
    return write_atomic(path, render_subscription_form(data))


def render_subscription_form(data: Mapping[str, object]) -> bytes:
    """The PDF bytes; the same data gives the same bytes."""
    form = checked(data)
    for limit in _VALUE_LIMITS:
        shortened = _shortened(form, limit)
        for size in _FONT_SIZES:
            pdf = _build(shortened, size)
            if pdf.pages_count == 1:
                return bytes(pdf.output())
    raise FormDataError("the subscription form does not fit on one page")  # pragma: no cover


def _shortened(form: CheckedForm, limit: int | None) -> CheckedForm:
    def cut(text: str) -> str:
        return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"

    return {
        **form,
        "raison_sociale": cut(form["raison_sociale"]),
        "company": {k: cut(v) for k, v in form["company"].items()},
        "delegue": {k: cut(v) for k, v in form["delegue"].items()},
    }


# --- Layout ------------------------------------------------------------------
#
# Text is broken into lines here and each line drawn with `cell`: fpdf2's own
# `multi_cell` and `table` re-measure every fragment as they go, and cost about
# 50 ms a form, more than the rest of a workbook's processing. Our paragraphs
# are constant and most values fit on one line, so the breaks are cached.

_PAD_X, _PAD_Y = 1.5, 0.8  # inside a grid cell, mm
_LABEL_COLOR = (70, 80, 90)
_measure_lock = threading.Lock()
_measure_pdf: FPDF | None = None


def _new_pdf(text: str | None = None) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    use_form_fonts(pdf, text)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.c_margin = 0  # every offset is ours: _PAD_X in the grid, none elsewhere
    return pdf


@lru_cache(maxsize=1024)
def _wrapped(text: str, width: float, style: str, size: float) -> tuple[str, ...]:
    """`text` in the form's font, `style` `size`, broken into lines at most `width` mm wide."""
    global _measure_pdf
    with _measure_lock:  # the service writes forms from several threads
        if _measure_pdf is None:
            _measure_pdf = _new_pdf()
            _measure_pdf.add_page()
        pdf = _measure_pdf
        pdf.set_font(FAMILY, style, size)
        if pdf.get_string_width(text) <= width:
            return (text,)
        return tuple(cast("list[str]", pdf.multi_cell(width, 1, text, dry_run=True, output="LINES")))


def _lines(pdf: FPDF, text: str, width: float) -> tuple[str, ...]:
    return _wrapped(text, round(width, 3), pdf.font_style, pdf.font_size_pt)


def _paragraph(pdf: FPDF, text: str, line_height: float, *, align: str = "L",
               box: float | None = None) -> None:
    """`text` across the page; with `box`, framed and tinted, padded by `box` mm."""
    pad = box or 0.0
    x, y = pdf.l_margin, pdf.get_y()
    lines = _lines(pdf, text, pdf.epw - 2 * pad)
    if box is not None:
        pdf.rect(x, y, pdf.epw, len(lines) * line_height + 2 * pad, style="DF")
    for number, line in enumerate(lines):
        pdf.set_xy(x + pad, y + pad + number * line_height)
        pdf.cell(pdf.epw - 2 * pad, line_height, line, align=align)
    pdf.set_xy(x, y + len(lines) * line_height + 2 * pad)


def _build(form: CheckedForm, size: float) -> FPDF:
    pdf = _new_pdf(" ".join([form["raison_sociale"], *form["company"].values(), *form["delegue"].values()]))
    pdf.set_auto_page_break(True, margin=_MARGIN)
    # Reproducible output: the creation date (and so the file /ID, derived
    # from the content) comes from the submission, not from the clock.
    pdf.set_creation_date(form["moment"])
    pdf.set_title(form_text.TITLE)
    pdf.set_author(form_text.AUTHOR)
    pdf.set_subject(form_text.subject(form["numero"], form["submission_id"]))
    pdf.set_lang("fr-MA")
    pdf.add_page()

    _header(pdf, form, size)
    company, delegue = form["company"], form["delegue"]
    _section(pdf, form_text.COMPANY_HEADING, size, [
        [(form_text.RAISON_SOCIALE, form["raison_sociale"])],
        [(form_text.NUMERO, form["numero"]), *_pairs(company, "site_web")],
        _pairs(company, "adresse"),
        _pairs(company, "ville", "localite_rc"),
        _pairs(company, "rc", "patente"),
    ])
    _section(pdf, form_text.HEAD_HEADING, size, [
        _pairs(company, "nom", "prenom"),
        _pairs(company, "civilite", "fonction"),
        _pairs(company, "tel1", "tel2"),
        _pairs(company, "fax", "gsm"),
        _pairs(company, "email"),
    ])
    _section(pdf, form_text.DELEGUE_HEADING, size, [
        _pairs(delegue, "nom", "prenom"),
        _pairs(delegue, "civilite", "fonction"),
        _pairs(delegue, "tel", "gsm"),
        _pairs(delegue, "fax", "email"),
    ])
    _small(pdf, form_text.PASSWORD_NOTE, size)
    _commitment(pdf, size)
    _send_to(pdf, size)
    return pdf


def _pairs(values: dict[str, str], *keys: str) -> list[tuple[str, str]]:
    """One row of the grid: each key's label and value."""
    return [(form_text.LABELS[key], values[key]) for key in keys]


def _header(pdf: FPDF, form: CheckedForm, size: float) -> None:
    pdf.set_font(FAMILY, "", size - 1)
    pdf.set_text_color(90, 100, 110)
    pdf.cell(90, 5, form_text.ISSUER)
    pdf.cell(0, 5, form_text.submission(form["submission_id"]), align="R",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", size + 6)
    _paragraph(pdf, form_text.TITLE, (size + 6) * 0.5, align="C")
    pdf.ln(1)
    pdf.set_font(FAMILY, "", size)
    _paragraph(pdf, form_text.requested(form["numero"], dates.day(form["moment"])), size * 0.5, align="C")
    pdf.ln(size * 0.3)


def _heading(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FAMILY, "B", size + 1)
    pdf.set_fill_color(*_HEADING_FILL)
    pdf.cell(0, (size + 1) * 0.6, f" {text}", fill=True, new_x="LMARGIN", new_y="NEXT")


def _section(pdf: FPDF, heading: str, size: float, rows: list[list[tuple[str, str]]]) -> None:
    _heading(pdf, heading, size)
    pdf.set_font(FAMILY, "", size)
    for pairs in rows:
        cells: list[tuple[float, str, bool]] = []  # width, text, is a label
        for label, value in pairs:
            # A lone pair spans the rest of the row: addresses and emails are long.
            cells += [(_COLUMNS[0], label, True),
                      (_COLUMNS[1] if len(pairs) == 2 else sum(_COLUMNS[1:]), value, False)]
        _grid_row(pdf, cells, size * 0.5)
    pdf.ln(size * 0.25)


def _grid_row(pdf: FPDF, cells: list[tuple[float, str, bool]], line_height: float) -> None:
    """One bordered row of the grid, its texts centred vertically."""
    lines = [_lines(pdf, text, width - 2 * _PAD_X) for width, text, _ in cells]
    height = max(len(each) for each in lines) * line_height + 2 * _PAD_Y
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()  # a second page: _build's caller tries a smaller type
    x, y = pdf.l_margin, pdf.get_y()
    for (width, text, is_label), text_lines in zip(cells, lines):
        pdf.rect(x, y, width, height)
        pdf.set_text_color(*(_LABEL_COLOR if is_label else (0, 0, 0)))
        top = y + (height - len(text_lines) * line_height) / 2
        align = "R" if is_right_to_left(text) else "L"
        for number, line in enumerate(text_lines):
            pdf.set_xy(x + _PAD_X, top + number * line_height)
            pdf.cell(width - 2 * _PAD_X, line_height, line, align=align)
        x += width
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, y + height)


def _small(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FAMILY, "", size - 1)  # regular, not italic: one font file less to embed
    _paragraph(pdf, text, (size - 1) * 0.5)
    pdf.ln(size * 0.3)


def _commitment(pdf: FPDF, size: float) -> None:
    _heading(pdf, form_text.COMMITMENT_HEADING, size)
    pdf.ln(1)
    pdf.set_font(FAMILY, "", size)
    _paragraph(pdf, form_text.STATEMENT, size * 0.5)
    pdf.ln(size * 0.4)
    pdf.cell(0, size * 0.5, form_text.PLACE_AND_DATE, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(size * 0.4)
    # Two boxes side by side; their height shrinks with the type so the page
    # still holds when long values made the sections above taller.
    gap, height = 6.0, size * 4.2
    width = (pdf.epw - gap) / 2
    top, left = pdf.get_y(), pdf.l_margin
    if top + height > pdf.page_break_trigger:
        pdf.add_page()
        top = pdf.get_y()
    for i, label in enumerate((form_text.SIGNATURE, form_text.STAMP)):
        x = left + i * (width + gap)
        pdf.rect(x, top, width, height)
        pdf.set_xy(x + 2, top + 1.5)
        pdf.set_font(FAMILY, "B", size)
        pdf.cell(width - 4, size * 0.5, label)
    pdf.set_xy(left, top + height + size * 0.4)


def _send_to(pdf: FPDF, size: float) -> None:
    pdf.set_font(FAMILY, "B", size)
    pdf.set_fill_color(*_NOTE_FILL)
    if pdf.get_y() + 4 * size * 0.5 > pdf.page_break_trigger:
        pdf.add_page()
    _paragraph(pdf, form_text.SEND_TO, size * 0.5, box=2.0)
