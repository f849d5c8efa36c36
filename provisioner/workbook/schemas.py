"""pandera schemas, one per sheet kind, and their failures turned into findings at the cell.

Every check is named; `_RULES` maps that name to the spec's code and a French
message. Checks are either column checks or dataframe checks returning a
boolean frame shaped like the sheet, so that each failure names its cell:
pandera reports the Excel row (the frame's index) and the field key.

Schemas are built once per sheet kind (and, for the forms, per request type,
since Abonnement requires more) and cached for the life of the process.
Everything here judges one sheet at a time; what needs two sheets or the
request type beyond "required" lives in rules.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import pandas as pd
import pandera.pandas as pa
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from provisioner.workbook import layout
from provisioner.workbook.findings import Finding, error
from provisioner.workbook.layout import Action, Field, Kind
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
    return re.fullmatch(layout.LOGIN_PATTERN, value) is not None


def meets_password_policy(value: str) -> bool:
    # fullmatch on the raw value, never isalnum(): that accepts `ａｂｃ１２` and `²³¹45`.
    return re.fullmatch(layout.PASSWORD_PATTERN, value) is not None


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
    when = "" if layout.ALWAYS <= fld.required_for else " pour un Abonnement"
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


POLICY_MESSAGE = ("Le mot de passe doit compter de 5 à 10 caractères, uniquement des lettres sans "
                  "accent et des chiffres (ni espace, ni ponctuation) : choisissez-en un autre.")

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


def _element(name: str, predicate: Callable[[str], bool]) -> pa.Check:
    """A cell check; blank always passes (being required is another check)."""

    def test(value: object) -> bool:
        try:
            return value == "" or predicate(str(value))
        except Exception:  # a library choking on odd input: the value is not valid
            return False

    return pa.Check(test, element_wise=True, name=name, ignore_na=False)


def _in_list(choices: tuple[str, ...]) -> pa.Check:
    allowed = frozenset(choices)
    return _element("choice", allowed.__contains__)


def _field_checks(fld: Field, *, password_policy: bool = False) -> list[pa.Check]:
    if fld.kind in (Kind.CHOICE, Kind.MARK):
        return [_in_list(fld.choices)]
    if fld.kind is Kind.EMAIL:
        return [_element("email", is_email)]
    if fld.kind is Kind.PHONE:
        return [_element("phone", is_phone)]
    if fld.kind is Kind.LOGIN:
        return [_element("login", is_login)]
    if fld.kind is Kind.DIGITS:
        member = fld.key == "numero"
        return [_element("numero", is_member_number) if member else _element("digits", is_digits)]
    if fld.kind is Kind.PASSWORD and password_policy:
        return [_element("password_policy", meets_password_policy)]
    return []


@dataclass(frozen=True)
class _RowRule:
    """A rule across the cells of a row, judged by pandera one row at a time.

    `cells` gives a boolean frame over the rule's own columns (False: that cell
    fails). pandera sees only whether each row passes: a check returning a
    whole frame makes pandera gather failure cases column by column even when
    everything passes, about 10 ms a check. The failing cells of a failing row
    are found afterwards by running `cells` again on that row alone.
    """

    name: str
    cells: Callable[[pd.DataFrame], pd.DataFrame]

    def check(self) -> pa.Check:
        return pa.Check(lambda frame: self.cells(frame).all(axis=1), name=self.name, ignore_na=False)

    def failing_keys(self, row: pd.DataFrame) -> list[str]:
        judged = self.cells(row).iloc[0]
        return [str(key) for key, passed in judged.items() if not passed]


def _record_required(record_keys: tuple[str, ...]) -> _RowRule:
    """Blank or `Créer`: the whole record; any other action: the login."""

    def cells(frame: pd.DataFrame) -> pd.DataFrame:
        record = frame["action"].isin(RECORD_ACTIONS)
        out = {key: ~(record & (frame[key] == "")) for key in record_keys if key != "login"}
        out["login"] = frame["login"] != ""
        return pd.DataFrame(out, index=frame.index)

    return _RowRule("record_required", cells)


def _password_pair() -> list[_RowRule]:
    """The password and its confirmation go together (spec: "Passwords")."""

    def differs(frame: pd.DataFrame) -> pd.DataFrame:
        pw, conf = frame["password"], frame["password_confirm"]
        return pd.DataFrame({"password_confirm": ~((pw != "") & (conf != "") & (pw != conf))})

    def confirmation_missing(frame: pd.DataFrame) -> pd.DataFrame:
        missing = (frame["password"] != "") & (frame["password_confirm"] == "")
        return pd.DataFrame({"password_confirm": ~missing})

    def password_missing(frame: pd.DataFrame) -> pd.DataFrame:
        missing = (frame["password"] == "") & (frame["password_confirm"] != "")
        return pd.DataFrame({"password": ~missing})

    return [_RowRule("confirmation_differs", differs),
            _RowRule("confirmation_missing", confirmation_missing),
            _RowRule("password_missing", password_missing)]


def _easypaiement_role() -> _RowRule:
    """A record row needs at least one `Oui`; a Modifier row may not set both powers to `Non`.

    A Modifier row that leaves one power blank keeps the stored one: only the
    store can tell, so it is not judged here. The failure sits on Ordonnateur.
    """

    def cells(frame: pd.DataFrame) -> pd.DataFrame:
        action, ordo, valid = frame["action"], frame["ordonnateur"], frame["validateur"]
        no_power = action.isin(RECORD_ACTIONS) & (ordo != "Oui") & (valid != "Oui")
        both_non = (action == Action.MODIFIER.value) & (ordo == "Non") & (valid == "Non")
        return pd.DataFrame({"ordonnateur": ~(no_power | both_non)})

    return _RowRule("easypaiement_role", cells)


# --- Schemas (built once) --------------------------------------------------------


def _columns(fields: tuple[Field, ...], *, policy: frozenset[str] = frozenset(),
             extra: Mapping[str, list[pa.Check]] | None = None) -> dict[str, pa.Column]:
    # dtype None: the reader already guarantees plain str cells ("" for blank).
    extra = extra or {}
    columns = {}
    for f in fields:
        checks = [*_field_checks(f, password_policy=f.key in policy), *extra.get(f.key, [])]
        if checks:  # a column without a check costs pandera time and says nothing
            columns[f.key] = pa.Column(None, checks=checks, nullable=False, name=f.key)
    return columns


def _not_blank(name: str) -> pa.Check:
    return pa.Check(lambda s: s != "", name=name, ignore_na=False)


@dataclass(frozen=True)
class SheetSchema:
    """A pandera schema and the row rules among its checks, by name."""

    schema: pa.DataFrameSchema
    row_rules: Mapping[str, _RowRule]

    @classmethod
    def of(cls, name: str, columns: dict[str, pa.Column], rules: list[_RowRule] | None = None) -> SheetSchema:
        rules = rules or []
        schema = pa.DataFrameSchema(columns, checks=[rule.check() for rule in rules], name=name)
        return cls(schema, {rule.name: rule for rule in rules})


@cache
def table_schema(teleservice_key: str) -> SheetSchema:
    """The user table of one téléservice."""
    teleservice = layout.TELESERVICE_BY_KEY[teleservice_key]
    rules = [_record_required(layout.COMMON_RECORD_KEYS + teleservice.record_keys), *_password_pair()]
    if {"ordonnateur", "validateur"} <= {c.key for c in teleservice.columns}:
        rules.append(_easypaiement_role())
    # Only "password" meets the policy: its confirmation equals it or is a mismatch.
    columns = _columns(teleservice.columns, policy=frozenset({"password"}))
    return SheetSchema.of(teleservice.sheet, columns, rules)


@cache
def categories_schema() -> SheetSchema:
    columns = _columns(layout.CATEGORY_COLUMNS, extra={"login": [_not_blank("category_login_required")]})
    return SheetSchema.of(layout.CATEGORIES_SHEET, columns)


@cache
def form_schema(sheet: str, request_type: str | None) -> SheetSchema:
    """A form as a one-row frame. Passwords are rules.py's: whether the policy applies
    depends on the request type and on which password it is."""
    form = next(f for f in layout.FORM_SHEETS if f.name == sheet)
    required = {f.key: [_not_blank("required")] for f in form.fields if _required(f, request_type)}
    return SheetSchema.of(sheet, _columns(form.fields, extra=required))


def _required(fld: Field, request_type: str | None) -> bool:
    if request_type is None:  # blank or unknown type: only what every type needs
        return layout.ALWAYS <= fld.required_for
    return request_type in fld.required_for


# --- Validation → findings ---------------------------------------------------------


def validate_workbook(parsed: ParsedWorkbook) -> list[Finding]:
    """Every single-sheet failure of `parsed` (already normalised), most basic first per cell."""
    request = parsed.request_type
    findings = [*validate_form(parsed.adherent, request), *validate_form(parsed.delegue, request)]
    for teleservice, table in parsed.tables():
        findings += validate_table(table_schema(teleservice.key), table, request)
    findings += validate_table(categories_schema(), parsed.categories, request)
    return sorted(findings, key=lambda f: _CODE_PRIORITY.get(f.code, len(_CODE_PRIORITY)))


def validate_table(schema: SheetSchema, table: TableData, request: str | None) -> list[Finding]:
    if table.frame.empty:
        return []  # most sheets of a typical workbook are empty: a pandera call costs even then
    findings: list[Finding] = []
    for check, row, key in _failures(schema, table.frame):
        if key in table.missing:
            continue  # a missing column is already a TEMPLATE_MISMATCH
        fld = table.field(key)
        values = {k: str(v) for k, v in table.frame.loc[row].items()}
        findings.append(_finding(check, fld, values, request, table.where(row, key)))
    return findings


def validate_form(form: FormData, request: str | None) -> list[Finding]:
    values = {key: form.value(key) for key in form.cells}
    frame = pd.DataFrame({key: [value] for key, value in values.items()}, index=[0], dtype=object)
    findings: list[Finding] = []
    for check, _row, key in _failures(form_schema(form.sheet, request), frame):
        if key in form.missing:
            continue  # a missing label is already a TEMPLATE_MISMATCH
        findings.append(_finding(check, form.cells[key].field, values, request, form.where(key)))
    return findings


def _finding(check: str, fld: Field, values: Mapping[str, str], request: str | None,
             where: dict[str, object]) -> Finding:
    rule = _RULES[check]
    value = "" if fld.secret else values.get(fld.key, "")  # a secret is never quoted
    return error(rule.code, rule.message(fld, value, _Context(values, request)), **where)


def _failures(sheet: SheetSchema, frame: pd.DataFrame) -> Iterator[tuple[str, int, str]]:
    """(check name, Excel row, field key) of every failing cell.

    Never log or re-raise the SchemaErrors themselves: their text quotes the
    failing values, passwords included.
    """
    try:
        sheet.schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.to_dict("records")
    else:
        return
    failed_rows: dict[tuple[str, int], None] = {}  # row rules: pandera lists each cell of the row
    for case in cases:
        check = str(case.get("check"))
        if check not in _RULES:
            # pandera's own structural checks; the reader guarantees the columns.
            logger.warning("unexpected schema failure %s in %s", check, sheet.schema.name)
            continue
        row = _row(case.get("index"))
        if row is None:
            # A check that crashed reports no row: do not call the sheet valid.
            raise RuntimeError(f"check {check} of {sheet.schema.name} failed to run")
        if check in sheet.row_rules:
            failed_rows[(check, row)] = None
        else:
            yield check, row, str(case.get("column"))
    for check, row in failed_rows:
        for key in sheet.row_rules[check].failing_keys(frame.loc[[row]]):
            yield check, row, key


def _row(index: object) -> int | None:
    if index is None or (isinstance(index, float) and index != index):
        return None
    try:
        return int(index)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
