"""pandera schemas for a workbook, and their failures turned into findings at the cell.

Every check is named; `_RULES` maps that name to the spec's code and a French
message. Two kinds of schema:

- `cells_schema`: every single-cell test (formats, closed lists, required
  form fields) over a long frame, one row per cell of the two forms and of
  every table, in one check;
- `row_schema`, per téléservice: the rules across a row's cells (the record
  an action needs, the password pair, E@syPaiement powers), judged row by
  row on the table's own frame, in one check.

pandera tells which rows fail; which test or rule failed on them, and on
which cell, is found afterwards for those rows only. One check per schema
because each check costs pandera about 0.15 ms per call whatever it judges:
one per test and rule was 22 checks, some 3 ms of the service's CPU, for
every workbook.

Either way each failure names its sheet, row and field, so its cell.
Schemas are built once (per request type where required fields depend on
it) and cached for the life of the process. Everything here judges one
sheet at a time; what needs two sheets or the request type beyond
"required" lives in rules.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import SupportsInt, cast

import numpy as np
import pandas as pd
import pandera.pandas as pa
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from provisioner.domain.findings import Finding, error
from provisioner.domain.vocabulary import LOGIN_PATTERN, PASSWORD_PATTERN, Action
from provisioner.wording.passwords import POLICY_MESSAGE
from provisioner.workbook import layout
from provisioner.workbook.layout import Field, Kind
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData

logger = logging.getLogger(__name__)

MAX_EMAIL_LENGTH = 254
MAX_SHOWN = 40  # characters of a typed value quoted back in a message
_PHONE_CHARS = re.compile(r"\+?[0-9 .()/-]+")  # no letters: phonenumbers would read 1-800-FLOWERS
_MEMBER_NUMBER = re.compile(r"[0-9]{4,10}")
_DIGITS = re.compile(r"[0-9]+")

# Actions whose row is a whole record (spec: "blank" and `Créer` need it all).
RECORD_ACTIONS = (Action.BLANK.value, Action.CREER.value)


# --- Value predicates (pure; rules.py uses them too) -------------------------


@lru_cache(maxsize=8192)  # a sheet repeats addresses and numbers; each library call is slow
def is_email(value: str) -> bool:
    """One address, no CR/LF, at most 254 characters; syntax only (no DNS)."""
    if len(value) > MAX_EMAIL_LENGTH or "\r" in value or "\n" in value:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=8192)
def is_phone(value: str) -> bool:
    """A Moroccan number (0522…, 06…, 07…, 08…) or an international one (+…, 00…)."""
    if not _PHONE_CHARS.fullmatch(value):
        return False
    try:
        number = phonenumbers.parse(value, "MA")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def is_login(value: str) -> bool:
    return re.fullmatch(LOGIN_PATTERN, value) is not None


def meets_password_policy(value: str) -> bool:
    # fullmatch on the raw value, never isalnum(): that accepts `ａｂｃ１２` and `²³¹45`.
    return re.fullmatch(PASSWORD_PATTERN, value) is not None


def is_member_number(value: str) -> bool:
    return _MEMBER_NUMBER.fullmatch(value) is not None


def is_digits(value: str) -> bool:
    return _DIGITS.fullmatch(value) is not None


# --- French wording ----------------------------------------------------------


def shown(value: str) -> str:
    """A typed (non-secret) value, safe to quote: short, one line, no control characters."""
    text = "".join(c if c.isprintable() else (" " if c.isspace() else "\ufffd") for c in value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def one_of(choices: tuple[str, ...]) -> str:
    """`A, B ou C`."""
    return choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " ou " + choices[-1]


@dataclass(frozen=True)
class _Context:
    """What a message may draw on besides the cell: its row (or form) and the request type."""

    values: Mapping[str, str]
    request_type: str | None


_Message = Callable[[Field, str, _Context], str]


@dataclass(frozen=True)
class _Rule:
    code: str
    message: _Message


def _required_in_row(fld: Field, _value: str, ctx: _Context) -> str:
    action = ctx.values.get("action", "")
    if fld.key == "login" and action not in RECORD_ACTIONS:
        return (f"Renseignez « {fld.label} » : l'action « {shown(action)} » s'applique au compte "
                "de ce login.")
    why = ("pour créer un compte" if action == Action.CREER.value else
           "quand l'Action est vide, car la ligne décrit le compte entier (créé ou mis à jour)")
    return f"Renseignez « {fld.label} » : cette information est obligatoire {why}.{_choose(fld)}"


def _required_in_form(fld: Field, _value: str, _ctx: _Context) -> str:
    when = "" if fld.required_for >= layout.ALWAYS else " pour un Abonnement"
    hint = f" {fld.hint}" if fld.hint and fld.kind is not Kind.CHOICE else ""
    return f"Renseignez « {fld.label} » : cette information est obligatoire{when}.{_choose(fld)}{hint}"


def _choose(fld: Field) -> str:
    return f" Choisissez {one_of(fld.choices)}." if fld.kind is Kind.CHOICE else ""


def _not_in_list(fld: Field, value: str, _ctx: _Context) -> str:
    if fld.kind is Kind.MARK:
        return (f"« {shown(value)} » n'est pas une marque admise : mettez X pour affecter la "
                f"catégorie {fld.label}, ou laissez la cellule vide.")
    return (f"« {shown(value)} » n'est pas une valeur admise pour « {fld.label} ». "
            f"Choisissez {one_of(fld.choices)}.")


_RULES: dict[str, _Rule] = {
    "required": _Rule("REQUIRED", _required_in_form),
    "record_required": _Rule("REQUIRED", _required_in_row),
    "category_login_required": _Rule("REQUIRED", lambda f, v, c: (
        f"Renseignez « {f.label} » : chaque ligne de « {layout.CATEGORIES_SHEET} » concerne le login "
        "d'un utilisateur de Télédéclaration.")),
    "choice": _Rule("INVALID_VALUE", _not_in_list),
    "email": _Rule("INVALID_FORMAT", lambda f, v, c: (
        f"« {shown(v)} » n'est pas une adresse email valide : saisissez une seule adresse, de la "
        "forme prenom.nom@domaine.ma.")),
    "phone": _Rule("INVALID_FORMAT", lambda f, v, c: (
        f"« {shown(v)} » n'est pas un numéro de téléphone valide : saisissez un numéro marocain "
        "(0522123456, 0661234567) ou international commençant par + (+33 1 23 45 67 89).")),
    "login": _Rule("INVALID_FORMAT", lambda f, v, c: (
        f"Le login « {shown(v)} » n'est pas valide. Le login doit compter de 3 à 30 caractères : "
        "lettres sans accent, chiffres, point, tiret ou souligné.")),
    "numero": _Rule("INVALID_FORMAT", lambda f, v, c: (
        f"« {shown(v)} » n'est pas un numéro d'adhérent : un numéro d'adhérent compte de 4 à 10 "
        "chiffres, sans espace ni lettre, tel qu'il figure sur vos bordereaux CIMR.")),
    "digits": _Rule("INVALID_FORMAT", lambda f, v, c: (
        f"« {f.label} » ne doit contenir que des chiffres, sans espace ni lettre : corrigez "
        f"« {shown(v)} ».")),
    "password_policy": _Rule("PASSWORD_POLICY", lambda f, v, c: POLICY_MESSAGE),
    "confirmation_differs": _Rule("PASSWORD_MISMATCH", lambda f, v, c: (
        "La confirmation ne correspond pas au mot de passe : saisissez deux fois le même mot de passe.")),
    "confirmation_missing": _Rule("PASSWORD_MISMATCH", lambda f, v, c: (
        f"Saisissez le mot de passe une seconde fois dans « {f.label} ». À la création ou à la "
        "réinitialisation, vous pouvez aussi vider les deux cellules : un mot de passe sera généré "
        "et envoyé à l'utilisateur.")),
    "password_missing": _Rule("PASSWORD_MISMATCH", lambda f, v, c: (
        f"Une confirmation est saisie sans mot de passe : saisissez le mot de passe dans « {f.label} », "
        "ou videz aussi la confirmation.")),
    "easypaiement_role": _Rule("EASYPAIEMENT_ROLE", lambda f, v, c: (
        "Cet utilisateur E@syPaiement n'a aucun pouvoir : mettez « Oui » en Ordonnateur, en "
        "Validateur, ou dans les deux.")),
}

# When two checks fail on one cell the first in this order is the one kept.
_CODE_PRIORITY = {code: rank for rank, code in enumerate((
    "REQUIRED", "INVALID_VALUE", "INVALID_FORMAT", "PASSWORD_POLICY", "PASSWORD_MISMATCH",
    "EASYPAIEMENT_ROLE"))}


# --- Checks --------------------------------------------------------------------


_Predicate = Callable[[str], bool]


def _blank_or(predicate: _Predicate) -> _Predicate:
    """A cell test; blank always passes (being required is another check)."""

    def test(value: object) -> bool:
        try:
            return value == "" or predicate(str(value))
        except Exception:  # a library choking on odd input: the value is not valid
            return False

    return test


def _field_tests(fld: Field, *, password_policy: bool = False) -> dict[str, _Predicate]:
    """The format tests of one field, by check name."""
    if fld.kind in (Kind.CHOICE, Kind.MARK):
        return {"choice": _blank_or(frozenset(fld.choices).__contains__)}
    if fld.kind is Kind.EMAIL:
        return {"email": _blank_or(is_email)}
    if fld.kind is Kind.PHONE:
        return {"phone": _blank_or(is_phone)}
    if fld.kind is Kind.LOGIN:
        return {"login": _blank_or(is_login)}
    if fld.kind is Kind.DIGITS:
        member = fld.key == "numero"
        return {"numero": _blank_or(is_member_number)} if member else {"digits": _blank_or(is_digits)}
    if fld.kind is Kind.PASSWORD and password_policy:
        return {"password_policy": _blank_or(meets_password_policy)}
    return {}


_Cells = dict[str, np.ndarray]  # field key → one bool per row (False: that cell fails)
_Columns = Mapping[str, np.ndarray]  # a table's columns, by field key


@dataclass(frozen=True)
class _RowRule:
    """A rule across the cells of a row: `cells` judges each of the rule's own columns, every row at once.

    numpy rather than pandas operators, on columns taken out of the frame
    once per table: these run on every sheet of every workbook.
    """

    name: str
    cells: Callable[[_Columns], _Cells]


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {str(key): frame[key].to_numpy() for key in frame.columns}


def _is_record(columns: _Columns) -> np.ndarray:
    action = columns["action"]
    return np.asarray(np.logical_or.reduce([action == a for a in RECORD_ACTIONS]), dtype=bool)


def _record_required(record_keys: tuple[str, ...]) -> _RowRule:
    """Blank or `Créer`: the whole record; any other action: the login."""

    def cells(columns: _Columns) -> _Cells:
        record = _is_record(columns)
        out = {key: ~(record & (columns[key] == "")) for key in record_keys if key != "login"}
        out["login"] = columns["login"] != ""
        return out

    return _RowRule("record_required", cells)


def _password_pair() -> list[_RowRule]:
    """The password and its confirmation go together (spec: "Passwords")."""

    def pair(columns: _Columns) -> tuple[np.ndarray, np.ndarray]:
        return columns["password"] != "", columns["password_confirm"] != ""

    def differs(columns: _Columns) -> _Cells:
        typed, confirmed = pair(columns)
        same = columns["password"] == columns["password_confirm"]
        return {"password_confirm": ~(typed & confirmed & ~same)}

    def confirmation_missing(columns: _Columns) -> _Cells:
        typed, confirmed = pair(columns)
        return {"password_confirm": ~(typed & ~confirmed)}

    def password_missing(columns: _Columns) -> _Cells:
        typed, confirmed = pair(columns)
        return {"password": ~(~typed & confirmed)}

    return [_RowRule("confirmation_differs", differs),
            _RowRule("confirmation_missing", confirmation_missing),
            _RowRule("password_missing", password_missing)]


def _easypaiement_role() -> _RowRule:
    """A record row needs at least one `Oui`; a Modifier row may not set both powers to `Non`.

    A Modifier row that leaves one power blank keeps the stored one: only the
    store can tell, so it is not judged here. The failure sits on Ordonnateur.
    """

    def cells(columns: _Columns) -> _Cells:
        ordo, valid = columns["ordonnateur"], columns["validateur"]
        no_power = _is_record(columns) & (ordo != "Oui") & (valid != "Oui")
        modifier = columns["action"] == Action.MODIFIER.value
        both_non = modifier & (ordo == "Non") & (valid == "Non")
        return {"ordonnateur": ~(no_power | both_non)}

    return _RowRule("easypaiement_role", cells)


# --- Schemas (built once) --------------------------------------------------------


# Cell tests (formats, closed lists, required form fields) are judged in long
# format: one row per cell (sheet, key, value), for the two forms and every
# table of a workbook at once, in one pandera check (see the module's
# docstring). Row rules need a row's cells side by side: they run on each
# table's own frame.
_CELL_COLUMNS = ("sheet", "key", "value")
CELL_TESTS = "cell_tests"  # the one check of `cells_schema`
ROW_RULES = "row_rules"  # the one check of each `row_schema`


def _not_blank(value: str) -> bool:
    return value != ""


@cache
def _cell_tests(sheet: str, key: str, request_type: str | None) -> dict[str, _Predicate]:
    """The tests of one cell, by check name."""
    form_field = layout.FORM_FIELD.get((sheet, key))
    if form_field is not None:
        # A form's passwords are rules.py's: whether the policy applies depends
        # on the request type and on which password it is.
        tests = _field_tests(form_field)
        if _required(form_field, request_type):
            tests["required"] = _not_blank
        return tests
    # Only "password" meets the policy: its confirmation equals it or is a mismatch.
    tests = _field_tests(layout.TABLE_FIELD[(sheet, key)], password_policy=key == "password")
    if sheet == layout.CATEGORIES_SHEET and key == "login":
        tests["category_login_required"] = _not_blank
    return tests


@cache
def _tested_keys(sheet: str, fields: tuple[Field, ...]) -> tuple[str, ...]:
    """The columns of a table with a cell test: the others need no row in the long frame."""
    return tuple(f.key for f in fields if _cell_tests(sheet, f.key, None))


@cache
def cell_test_names(request_type: str | None) -> tuple[str, ...]:
    """Every kind of cell test, in the order their findings are listed."""
    return tuple(sorted({name for sheet, key in [*layout.FORM_FIELD, *layout.TABLE_FIELD]
                         for name in _cell_tests(sheet, key, request_type)}))


@cache
def cells_schema(request_type: str | None) -> pa.DataFrameSchema:
    """Every cell test of a workbook, over the long frame."""
    return pa.DataFrameSchema(checks=[pa.Check(_cells_pass(request_type), name=CELL_TESTS, ignore_na=False)],
                              name="cells")


def _cells_pass(request_type: str | None) -> Callable[[pd.DataFrame], pd.Series]:
    def passes(frame: pd.DataFrame) -> pd.Series:
        sheets, keys = frame["sheet"].to_numpy(), frame["key"].to_numpy()
        values = frame["value"].tolist()
        out = np.ones(len(values), dtype=bool)
        # The cells of one column are consecutive rows: one run each, its tests
        # looked up once (5,000 users: 60,000 rows).
        starts = [0, *(np.flatnonzero((sheets[1:] != sheets[:-1]) | (keys[1:] != keys[:-1])) + 1)]
        for start, end in zip(starts, [*starts[1:], len(values)]):
            tests = _cell_tests(sheets[start], keys[start], request_type).values()
            if tests:
                out[start:end] = [all(test(value) for test in tests) for value in values[start:end]]
        return pd.Series(out, index=frame.index)

    return passes


def _failed_cell_tests(sheet: str, key: str, value: str, request_type: str | None) -> set[str]:
    """The names of the tests one cell fails (pandera said it fails one at least)."""
    return {name for name, test in _cell_tests(sheet, key, request_type).items() if not test(value)}


@dataclass(frozen=True)
class RowSchema:
    """The row rules of one téléservice's table as a pandera schema of one check, and the rules in order."""

    schema: pa.DataFrameSchema
    rules: tuple[_RowRule, ...]

    def judge(self, frame: pd.DataFrame) -> dict[str, _Cells]:
        """Each rule's verdict on each of its cells, every row at once, by rule name."""
        return _judge(self.rules, frame)


def _judge(rules: tuple[_RowRule, ...], frame: pd.DataFrame) -> dict[str, _Cells]:
    columns = _columns(frame)
    return {rule.name: rule.cells(columns) for rule in rules}


@cache
def row_schema(teleservice_key: str) -> RowSchema:
    teleservice = layout.TELESERVICE_BY_KEY[teleservice_key]
    rules = [_record_required(layout.COMMON_RECORD_KEYS + teleservice.record_keys), *_password_pair()]
    if {"ordonnateur", "validateur"} <= {c.key for c in teleservice.columns}:
        rules.append(_easypaiement_role())
    ordered = tuple(rules)

    def passes(frame: pd.DataFrame) -> pd.Series:
        verdicts = [passed for cells in _judge(ordered, frame).values() for passed in cells.values()]
        return pd.Series(np.logical_and.reduce(verdicts), index=frame.index)

    schema = pa.DataFrameSchema(checks=[pa.Check(passes, name=ROW_RULES, ignore_na=False)], name=teleservice.sheet)
    return RowSchema(schema, ordered)


def _required(fld: Field, request_type: str | None) -> bool:
    if request_type is None:  # blank or unknown type: only what every type needs
        return fld.required_for >= layout.ALWAYS
    return request_type in fld.required_for


# --- Validation → findings ---------------------------------------------------------


def validate_workbook(parsed: ParsedWorkbook) -> list[Finding]:
    """Every single-sheet failure of `parsed` (already normalised), most basic first per cell."""
    request = parsed.request_type
    findings = validate_cells((parsed.adherent, parsed.delegue),
                              [table for _, table in parsed.tables()] + [parsed.categories], request)
    for teleservice, table in parsed.tables():
        findings += validate_rows(row_schema(teleservice.key), table, request)
    return sorted(findings, key=lambda f: _CODE_PRIORITY.get(f.code, len(_CODE_PRIORITY)))


# Where a row of the long frame came from: a form's field, or a table's cell.
_FormPlace = tuple[FormData, str]
_TablePlace = tuple[TableData, int, str]


def validate_cells(forms: tuple[FormData, ...], tables: list[TableData],
                   request: str | None) -> list[Finding]:
    places: list[_FormPlace | _TablePlace] = []
    rows: list[tuple[str, str, str]] = []
    for form in forms:
        for key in form.cells:
            if not _cell_tests(form.sheet, key, request):
                continue  # like a table's untested columns: no row in the long frame
            places.append((form, key))
            rows.append((form.sheet, key, form.value(key)))
    for table in tables:
        if table.frame.empty:
            continue
        excel_rows = table.frame.index.tolist()
        for key in _tested_keys(table.sheet, table.fields):
            for row, value in zip(excel_rows, table.frame[key].tolist()):
                places.append((table, row, key))
                rows.append((table.sheet, key, value))
    frame = pd.DataFrame(rows, columns=list(_CELL_COLUMNS), dtype=object)
    failed = {index: _failed_cell_tests(*rows[index], request)
              for index in _failed_rows(cells_schema(request), frame, CELL_TESTS)}
    findings: list[Finding] = []
    # Listed test by test, then row by row, as when each test was a check of its own.
    for check, index in [(name, index) for name in cell_test_names(request) for index in failed
                         if name in failed[index]]:
        place = places[index]
        if len(place) == 2:
            form, key = place
            if key in form.missing:
                continue  # a missing label is already a TEMPLATE_MISMATCH
            values = {k: form.value(k) for k in form.cells}
            findings.append(_finding(check, form.cells[key].field, values, request, form.where(key)))
        else:
            table, row, key = place
            if key in table.missing:
                continue  # a missing column is already a TEMPLATE_MISMATCH
            findings.append(_finding(check, table.field(key), _row_values(table, row), request,
                                     table.where(row, key)))
    return findings


def validate_rows(sheet: RowSchema, table: TableData, request: str | None) -> list[Finding]:
    if table.frame.empty:
        return []  # most sheets of a typical workbook are empty: a pandera call costs even then
    failed = _failed_rows(sheet.schema, table.frame, ROW_RULES)
    if not failed:
        return []
    verdicts = sheet.judge(table.frame)
    position = {row: i for i, row in enumerate(table.frame.index.tolist())}
    findings: list[Finding] = []
    # Listed rule by rule, then row by row, as when each rule was a check of its own.
    for rule in sheet.rules:
        for row in failed:
            for key, passed in verdicts[rule.name].items():
                if passed[position[row]] or key in table.missing:
                    continue  # a missing column is already a TEMPLATE_MISMATCH
                findings.append(_finding(rule.name, table.field(key), _row_values(table, row), request,
                                         table.where(row, key)))
    return findings


def _row_values(table: TableData, row: int) -> dict[str, str]:
    return {str(k): str(v) for k, v in table.frame.loc[row].items()}


def _finding(check: str, fld: Field, values: Mapping[str, str], request: str | None,
             where: dict[str, object]) -> Finding:
    rule = _RULES[check]
    value = "" if fld.secret else values.get(fld.key, "")  # a secret is never quoted
    return error(rule.code, rule.message(fld, value, _Context(values, request)), **where)


def _failed_rows(schema: pa.DataFrameSchema, frame: pd.DataFrame, check: str) -> list[int]:
    """The index of every row failing `check`, in order: pandera lists each cell of a failing row."""
    return sorted({row for name, row, _column in _cases(schema, frame) if name == check})


def _cases(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(check name, row, column) of each failure case pandera reports for our checks.

    Never log or re-raise the SchemaErrors themselves: their text quotes the
    failing values, passwords included.
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.to_dict("records")
    else:
        return []
    found = []
    for case in cases:
        check = str(case.get("check"))
        if check not in (CELL_TESTS, ROW_RULES):
            # pandera's own structural checks; the reader guarantees the columns.
            logger.warning("unexpected schema failure %s in %s", check, schema.name)
            continue
        row = _row(case.get("index"))
        if row is None:
            # A check that crashed reports no row: do not call the sheet valid.
            raise RuntimeError(f"check {check} of {schema.name} failed to run")
        found.append((check, row, str(case.get("column"))))
    return found


def _row(index: object) -> int | None:
    if index is None or (isinstance(index, float) and index != index):
        return None
    try:
        return int(cast("SupportsInt", index))
    except (TypeError, ValueError):
        return None
