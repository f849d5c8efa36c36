"""What the subscription form cannot print, said before it is printed.

An Abonnement's company and delegate details go onto the form that is signed
and posted. Its fonts (reports.form_fonts) cover French, Arabic and Latin
Extended; a character outside them prints as "?". That is never silent: each
such cell gets an UNPRINTABLE_CHARACTER warning (the value itself is kept as
typed in the store and the report).
"""

from __future__ import annotations

from collections.abc import Iterator

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, warning
from provisioner.domain.vocabulary import ADHERENT_DETAIL_KEYS, DELEGUE_DETAIL_KEYS, RequestType
from provisioner.wording import workbook_text as text
from provisioner.workbook.model import ParsedWorkbook


def unprintable_on_form(parsed: ParsedWorkbook) -> Iterator[Finding]:
    if parsed.request_type != RequestType.ABONNEMENT:
        return  # only an Abonnement prints the form
    from provisioner.reports.subscription_form_data import unprintable_in  # lazy: fontTools, an Abonnement's

    for form, keys in ((parsed.adherent, ADHERENT_DETAIL_KEYS), (parsed.delegue, DELEGUE_DETAIL_KEYS)):
        for key in keys:
            cell = form.cells.get(key)
            missing = unprintable_in(cell.value) if cell is not None and cell.value else ""
            if missing:
                yield warning(FindingCode.UNPRINTABLE_CHARACTER, text.unprintable(missing), **form.where(key))



