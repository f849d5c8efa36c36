"""Closed-list values and phone numbers put back to their canonical spelling before validation.

A person types `creer`, `OUI`, `mme` or `x` where the dropdown offers
`Créer`, `Oui`, `Mme` and `X`: they meant the same thing, so it is taken as
such (case, accents, spaces and a final dot ignored). A phone number, however
written, becomes its E.164 form (phones.e164), the one form stored. A value
that matches nothing is left exactly as typed, for the schema to report. Free
text — logins, names, questions — is never touched.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pandas as pd

from provisioner.domain.keys import label_key
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.phones import e164

_CLOSED_KINDS = frozenset({Kind.CHOICE, Kind.MARK})
_CANONICAL_KINDS = _CLOSED_KINDS | {Kind.PHONE}


def normalise(parsed: ParsedWorkbook) -> None:
    """Canonicalise every closed-list value of `parsed`, in place."""
    for form in (parsed.adherent, parsed.delegue):
        _normalise_form(form)
    for table in (*parsed.users.values(), parsed.categories):
        _normalise_table(table)


def canonical(field: Field, value: str) -> str:
    """The canonical spelling of `value` in `field`'s closed list, or `value` unchanged."""
    if not value or field.kind not in _CANONICAL_KINDS:
        return value
    if field.kind is Kind.PHONE:
        return e164(value)
    return _lookup(field.choices).get(_choice_key(value), value)


def _normalise_form(form: FormData) -> None:
    for key, cell in form.cells.items():
        fixed = canonical(cell.field, cell.value)
        if fixed != cell.value:
            form.cells[key] = replace(cell, value=fixed)  # FormCell is frozen


def _normalise_table(table: TableData) -> None:
    for fld in table.fields:
        if fld.kind in _CANONICAL_KINDS and fld.key in table.frame.columns and len(table.frame):
            values = table.frame[fld.key].tolist()
            fixed = list(map({v: canonical(fld, v) for v in set(values)}.__getitem__, values))  # distinct once
            if fixed != values:  # most columns are typed right: writing them back is the slow part
                # dtype object: keep the model's promise of plain-str object columns
                # (pandas 3 would otherwise infer its own string dtype).
                table.frame[fld.key] = pd.Series(fixed, index=table.frame.index, dtype=object)


def _choice_key(value: str) -> str:
    # A final dot is ignored too, so `M` is `M.` and `Mme.` is `Mme`.
    return label_key(value).rstrip(". ")


@cache
def _lookup(choices: tuple[str, ...]) -> dict[str, str]:
    return {_choice_key(choice): choice for choice in choices}
