"""xlsx → ParsedWorkbook: fast (python-calamine), safe (safety.py first), lenient as a person is.

Labels and headers match ignoring case, accents, a trailing `*` and spaces;
columns may come in any order; blank rows are skipped; numbers come back as
the text that was typed (`123456`, not `123456.0`); a Moroccan phone number
that Excel stripped of its leading 0 gets it back; values are trimmed.
What cannot be read as the person meant it becomes a finding, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import python_calamine

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error, warning
from provisioner.domain.keys import label_key
from provisioner.workbook import layout
from provisioner.workbook.file_kind import check_kind
from provisioner.workbook.isolation import ChildFailed, readers
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.model import FormCell, FormData, ParsedWorkbook, TableData
from provisioner.workbook.safety import FileFacts, inspect_zip
from provisioner.workbook.sheet_extent import SheetFacts
from provisioner.workbook.text import cell_ref, column_letter
from provisioner.workbook.unsafe_file import UnsafeFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
HEADER_SEARCH_ROWS = 5  # a header pushed down by a few blank rows is still found
_MOROCCAN_WITHOUT_ZERO = re.compile(r"[5-8]\d{8}")
_BREAKS = re.compile(r"[\n\r\t]")  # a line break typed in a cell: _value makes it one line
_CREDENTIAL_KINDS = frozenset({Kind.PASSWORD, Kind.ANSWER})


@dataclass
class ReadResult:
    workbook: ParsedWorkbook | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.workbook is not None


def read_workbook(path: Path | str, *, name: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read a submitted workbook; `name` is the name the person gave it (defaults to the path's)."""
    path = Path(path)
    name = name or path.name
    try:
        check_kind(path, name, max_bytes)
        facts = inspect_zip(path)
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except UnsafeFile as exc:
        return ReadResult(None, [exc.finding])
    except Exception:  # calamine raises several unrelated types on corrupt input
        return ReadResult(None, [error(FindingCode.FILE_UNREADABLE,
                                       "Le classeur est endommagé et ne peut pas être lu. Enregistrez-le de "
                                       "nouveau au format .xlsx depuis Excel et renvoyez-le.")])
    try:
        return _Reader(book, facts, name).read()
    except Exception:
        return ReadResult(None, [error(FindingCode.FILE_UNREADABLE,
                                       "Une feuille du classeur est endommagée et ne peut pas être lue. "
                                       "Repartez du modèle vierge et renvoyez le fichier.")])
    finally:
        book.close()


def read_isolated(path: Path | str, *, name: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """`read_workbook` in a child process under memory and time limits (isolation.py).

    A child that dies is tried once more in a fresh one: the host's OOM
    killer may have taken it for reasons of its own; a file that kills two
    children is the cause. An overrun is not tried again.
    """
    path = Path(path)
    name = name or path.name
    for attempt in (1, 2):
        try:
            return readers().call(read_workbook, path, name=name, max_bytes=max_bytes)
        except ChildFailed as failure:
            if failure.kind == "timeout" or attempt == 2:
                return ReadResult(None, [_child_finding(failure.kind)])
    raise AssertionError("unreachable")


def _child_finding(kind: str) -> Finding:
    if kind == "timeout":
        return error(FindingCode.FILE_TOO_LARGE,
                     "La lecture du classeur a pris trop de temps : il est bien plus lourd ou "
                     "plus complexe qu'un bordereau. Repartez du modèle vierge, sans images ni formules, et "
                     "renvoyez le fichier.")
    if kind == "memory":
        return error(FindingCode.FILE_TOO_LARGE,
                     "Le classeur demande bien plus de mémoire qu'un bordereau pour être lu "
                     "(fichier piégé ou endommagé ?). Repartez du modèle vierge et renvoyez le fichier.")
    return error(FindingCode.FILE_UNREADABLE, "Le classeur est endommagé et ne peut pas être lu. Enregistrez-le de "
                 "nouveau au format .xlsx (ou repartez du modèle vierge) et renvoyez-le.")


def cell_text(value: Any) -> str:
    """A calamine value as the text a person typed."""
    if type(value) is str:  # most cells: first, before the isinstance chain
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


class _Reader:
    def __init__(self, book: python_calamine.CalamineWorkbook, facts: FileFacts, name: str) -> None:
        self.book = book
        self.facts = facts
        self.name = name
        self.findings: list[Finding] = []
        self.sheet_names = {label_key(n): n for n in book.sheet_names}

    def read(self) -> ReadResult:
        self._check_sheets()
        users: dict[str, TableData] = {}
        for teleservice in layout.TELESERVICES:
            users[teleservice.key] = self._table(teleservice.sheet, teleservice.columns)
        total = sum(t.rows for t in users.values())
        if total > layout.MAX_USER_ROWS:
            return ReadResult(None, [error(
                FindingCode.FILE_TOO_LARGE,
                f"Le classeur contient {total} lignes d'utilisateurs ; la limite est de "
                f"{layout.MAX_USER_ROWS}. Répartissez-les sur plusieurs fichiers.")])
        workbook = ParsedWorkbook(
            adherent=self._form(layout.ADHERENT_SHEET, layout.ADHERENT_FIELDS),
            delegue=self._form(layout.DELEGUE_SHEET, layout.DELEGUE_FIELDS),
            users=users,
            categories=self._table(layout.CATEGORIES_SHEET, layout.CATEGORY_COLUMNS),
            file_name=self.name,
        )
        return ReadResult(workbook, self.findings)

    # -- sheets -------------------------------------------------------------

    def _check_sheets(self) -> None:
        expected = {label_key(s) for s in layout.SHEET_ORDER}
        for actual in self.book.sheet_names:
            state = self.facts.sheet_state.get(actual, "visible")
            if label_key(actual) not in expected:
                self.findings.append(warning(
                    FindingCode.UNKNOWN_SHEET,
f"La feuille « {actual} » ne fait pas partie du modèle : elle est ignorée.",
                    sheet=actual))
            elif state != "visible" and label_key(actual) != label_key(layout.README_SHEET):
                self.findings.append(error(
                    FindingCode.HIDDEN_CONTENT, f"La feuille « {actual} » est masquée. Affichez-la (clic droit sur un "
                    "onglet, « Afficher ») et vérifiez son contenu avant de renvoyer le fichier.", sheet=actual))
        for sheet in layout.SHEET_ORDER[1:]:
            if label_key(sheet) not in self.sheet_names:
                self.findings.append(error(
                    FindingCode.TEMPLATE_MISMATCH, f"La feuille « {sheet} » est absente. Repartez du modèle "
                    f"{layout.TEMPLATE_VERSION} sans renommer ni supprimer ses feuilles.", sheet=sheet))

    def _rows(self, sheet: str) -> tuple[list[list[Any]], int, int, SheetFacts] | None:
        actual = self.sheet_names.get(label_key(sheet))
        if actual is None:
            return None
        data = self.book.get_sheet_by_name(actual)
        start_row, start_col = (data.start or (0, 0)) if data.height else (0, 0)
        return data.to_python(), start_row, start_col, self.facts.sheets.get(actual, SheetFacts())

    # -- forms --------------------------------------------------------------

    def _form(self, sheet: str, fields: tuple[Field, ...]) -> FormData:
        form = FormData(sheet, {})
        loaded = self._rows(sheet)
        by_label = {label_key(f.label): f for f in fields}
        found: dict[str, tuple[str, int]] = {}
        if loaded is not None:
            rows, start_row, start_col, facts = loaded
            if start_col > 0:
                rows = [[""] * start_col + r for r in rows]
            for offset, row in enumerate(rows):
                excel_row = start_row + offset + 1
                if not row or label_key(cell_text(row[0])) not in by_label:
                    continue
                fld = by_label[label_key(cell_text(row[0]))]
                if fld.key in found:
                    continue  # first occurrence wins; a copy below is ignored
                raw = row[1] if len(row) > 1 else ""
                value = self._value(sheet, fld, raw, excel_row, 1, facts)
                found[fld.key] = (value, excel_row)
                if excel_row in facts.hidden_rows and value:
                    self._hidden(sheet, fld, excel_row, 1)
        for fld in fields:
            if fld.key in found:
                value, at = found[fld.key]
                form.cells[fld.key] = FormCell(fld, value, at, cell_ref(at, 1))
            else:
                form.cells[fld.key] = FormCell(fld, "", None, None)
                form.missing.add(fld.key)
                if loaded is not None:
                    self.findings.append(error(
                        FindingCode.TEMPLATE_MISMATCH,
f"Le libellé « {fld.label} » est absent de la feuille « {sheet} » "
                        "(colonne A). Repartez du modèle sans modifier les libellés.", sheet=sheet,
                        column=fld.label))
        return form

    # -- tables -------------------------------------------------------------

    def _table(self, sheet: str, fields: tuple[Field, ...]) -> TableData:
        keys = [f.key for f in fields]
        loaded = self._rows(sheet)
        if loaded is None:
            return TableData(sheet, fields, _frame(keys, [], []), {}, set(keys))
        rows, start_row, start_col, facts = loaded
        header_offset = next((i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS])
                              if any(cell_text(v) for v in r)), None)
        if header_offset is None:
            self.findings.append(error(
                FindingCode.TEMPLATE_MISMATCH,
f"La ligne d'en-têtes de la feuille « {sheet} » est absente. Repartez du "
                "modèle sans supprimer la première ligne.", sheet=sheet, row=1))
            return TableData(sheet, fields, _frame(keys, [], []), {}, set(keys))
        header_row = start_row + header_offset + 1
        letters = self._headers(sheet, fields, rows[header_offset], start_col, header_row, facts)
        records: list[list[str]] = []
        index: list[int] = []
        by_key = {f.key: f for f in fields}
        # Plain text: what _value changes nothing of (no phone to mend, no marker of ours to find).
        positions = [(key, col - start_col, by_key[key].kind is not Kind.PHONE and not by_key[key].secret)
                     for key, col in letters.items()]
        # A formula saved without its result reads as "" (and may lie past calamine's range): still seen.
        marked = facts.formula_cells | facts.error_cells
        marked_rows = {r for r, _ in marked}
        last = max([len(rows)] + [r - start_row for r in marked_rows])
        for offset in range(header_offset + 1, last):
            row = rows[offset] if offset < len(rows) else []
            excel_row = start_row + offset + 1
            if excel_row not in marked_rows and not any(v != "" and v is not None for v in row):
                continue
            values = dict.fromkeys(keys, "")
            for key, pos, plain_text in positions:
                raw = row[pos] if pos < len(row) else ""
                if type(raw) is str and plain_text and not (marked and (excel_row, pos + start_col) in marked):
                    # Most cells: typed text in a column _value changes nothing of, but its length.
                    text = raw.strip()
                    if len(text) <= layout.MAX_CELL_LENGTH and not _BREAKS.search(text):
                        values[key] = text
                        continue
                if raw != "" or (excel_row, pos + start_col) in marked:
                    values[key] = self._value(sheet, by_key[key], raw, excel_row, pos + start_col, facts)
            if not any(values.values()):
                continue  # data only in unknown columns: nothing for us, said by UNKNOWN_COLUMN
            if excel_row in facts.hidden_rows:
                self.findings.append(error(
                    FindingCode.HIDDEN_CONTENT, f"La ligne {excel_row} est masquée mais contient des données. "
                    "Affichez-la (ou supprimez-la) et vérifiez-la avant de renvoyer le fichier.",
                    sheet=sheet, row=excel_row))
            records.append([values[k] for k in keys])
            index.append(excel_row)
        return TableData(sheet, fields, _frame(keys, records, index), letters,
                         set(keys) - set(letters), header_row)

    def _headers(self, sheet: str, fields: tuple[Field, ...], header: list[Any], start_col: int,
                 header_row: int, facts: SheetFacts) -> dict[str, int]:
        by_label = {label_key(f.label): f for f in fields}
        letters: dict[str, int] = {}
        for pos, raw in enumerate(header):
            text = cell_text(raw)
            if not text:
                continue
            col = start_col + pos
            fld = by_label.get(label_key(text))
            if fld is None:
                self.findings.append(warning(
                    FindingCode.UNKNOWN_COLUMN,
f"La colonne « {text} » ne fait pas partie du modèle : elle est ignorée.",
                    sheet=sheet, row=header_row, column=text, cell=cell_ref(header_row, col)))
            elif fld.key in letters:
                self.findings.append(error(
                    FindingCode.TEMPLATE_MISMATCH, f"La colonne « {fld.label} » apparaît deux fois. Supprimez la copie "
                    f"(colonne {column_letter(col)}).", sheet=sheet, row=header_row, column=fld.label,
                    cell=cell_ref(header_row, col)))
            else:
                letters[fld.key] = col
                if col in facts.hidden_cols:
                    self.findings.append(error(
                        FindingCode.HIDDEN_CONTENT, f"La colonne « {fld.label} » est masquée. Affichez-la et vérifiez "
                        "son contenu avant de renvoyer le fichier.", sheet=sheet, row=header_row,
                        column=fld.label, cell=cell_ref(header_row, col)))
        for fld in fields:
            if fld.key not in letters:
                self.findings.append(error(
                    FindingCode.TEMPLATE_MISMATCH, f"La colonne « {fld.label} » est absente de la feuille « {sheet} ». "
                    "Repartez du modèle sans supprimer ni renommer de colonne.", sheet=sheet,
                    row=header_row, column=fld.label))
        return letters

    # -- cells --------------------------------------------------------------

    def _value(self, sheet: str, fld: Field, raw: Any, row: int, col: int, facts: SheetFacts) -> str:
        def where() -> dict[str, Any]:  # built only for a finding: most cells have none
            return {"sheet": sheet, "row": row, "column": fld.label, "cell": cell_ref(row, col)}

        if (row, col) in facts.error_cells:
            self.findings.append(error(
                FindingCode.INVALID_VALUE, "La cellule contient une erreur Excel (#N/A, #REF!…). Saisissez la valeur "
                "elle-même.", **where()))
            return ""
        if (row, col) in facts.formula_cells:
            if fld.kind in _CREDENTIAL_KINDS:
                self.findings.append(error(
                    FindingCode.INVALID_VALUE, "Une formule n'est pas admise dans cette cellule. Saisissez la valeur "
                    "elle-même.", **where()))
                return ""
            self.findings.append(warning(
                FindingCode.FORMULA, "Cette cellule contient une formule : la valeur affichée a été retenue. Préférez "
                "saisir la valeur elle-même.", **where()))
        value = cell_text(raw)
        if fld.kind is Kind.PASSWORD and not isinstance(raw, str) and value:
            # Excel turned it into a number: leading zeros may be gone (01234 → 1234).
            self.findings.append(error(
                FindingCode.PASSWORD_POLICY, "Le mot de passe a été enregistré comme un nombre et a pu perdre des "
                "zéros. Mettez la cellule au format Texte et saisissez-le de nouveau.", **where()))
            return ""
        if len(value) > layout.MAX_CELL_LENGTH:
            self.findings.append(error(
                FindingCode.INVALID_FORMAT, f"La valeur est trop longue ({len(value)} caractères, "
                f"{layout.MAX_CELL_LENGTH} au plus). Raccourcissez-la.", **where()))
            return ""
        if fld.kind is Kind.TEXT and isinstance(raw, (dt.datetime, dt.date, dt.time)) and value:
            # Excel took « 7/1 » or « janv-26 » typed in Fonction for a date: kept as read, said.
            self.findings.append(warning(
                FindingCode.DATE_IN_TEXT, f"Cette cellule contient une date, enregistrée telle quelle : « {value} ». "
                "Si ce n'en est pas une, mettez la cellule au format Texte et saisissez de nouveau la valeur.",
                **where()))
        if fld.secret and value.casefold() == layout.RETYPE_MARKER.casefold():
            # Our annotated copy's marker, left in place: not a password or an answer, nor a blank.
            self.findings.append(error(FindingCode.SECRET_NOT_RETYPED, _NOT_RETYPED[fld.kind], **where()))
            return ""
        if not fld.secret and ("\n" in value or "\r" in value or "\t" in value):
            value = " ".join(value.split())  # Alt+Entrée in a name or an address: one line, as it prints
        if fld.kind is Kind.PHONE and _MOROCCAN_WITHOUT_ZERO.fullmatch(value):
            value = "0" + value  # Excel dropped the leading 0 of 0661234567
        return value

    def _hidden(self, sheet: str, fld: Field, row: int, col: int) -> None:
        self.findings.append(error(
            FindingCode.HIDDEN_CONTENT, f"La ligne « {fld.label} » est masquée mais renseignée. Affichez-la et "
            "vérifiez-la avant de renvoyer le fichier.", sheet=sheet, row=row, column=fld.label,
            cell=cell_ref(row, col)))


_NOT_RETYPED = {
    Kind.PASSWORD: f"La cellule porte encore « {layout.RETYPE_MARKER} » : saisissez de nouveau le mot de passe "
                   "(la copie annotée ne le recopie jamais), ou videz la cellule pour la laisser vide.",
    Kind.ANSWER: f"La cellule porte encore « {layout.RETYPE_MARKER} » : saisissez de nouveau la réponse "
                 "(la copie annotée ne la recopie jamais), ou videz la cellule pour la laisser vide.",
}


def _frame(keys: list[str], records: list[list[str]], index: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=keys, index=pd.Index(index, name="row", dtype="int64"),
                         dtype=object)
    return frame
