"""Rules that look beyond one cell: the request type, another row, another sheet.

Secret questions live here rather than in a pandera check because they are
one rule with five situations, each with its own message and cell, and one of
them (none at all) depends on the Adhérent form's request type. Everything
here is judged from the workbook alone: what needs the account store
(LOGIN_TAKEN, USER_NOT_FOUND, EASYPAIEMENT_VALIDATORS, and the rows a blank
Action may create or update on a Mise à jour) is the store phase's.
"""

from __future__ import annotations

from collections.abc import Iterator

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.findings import Finding, error
from provisioner.domain.keys import label_key, login_key
from provisioner.domain.shared_rules import leaves_no_category
from provisioner.domain.vocabulary import ACTIONS, CATEGORIES, Action, RequestType
from provisioner.wording import check_findings as say
from provisioner.wording.passwords import POLICY_MESSAGE
from provisioner.workbook import layout
from provisioner.workbook.form_print import unprintable_on_form
from provisioner.workbook.model import FormData, ParsedWorkbook, TableData
from provisioner.workbook.value_checks import meets_password_policy, shown

Row = tuple[int, dict[str, str]]


def check_rules(parsed: ParsedWorkbook) -> list[Finding]:
    """Every cross-cell rule of `parsed` (already normalised), in no particular order."""
    request = parsed.request_type
    return [
        *_version(parsed.adherent),
        *_delegue_passwords(parsed.delegue, request),
        *_abonnement_actions(parsed, request),
        *_secret_questions(parsed, request),
        *_login_duplicates(parsed),
        *_categories(parsed, request),
        *unprintable_on_form(parsed),
    ]


def certainly_created(action: str, request: str | None) -> bool:
    """True when the row creates an account whatever the store holds.

    A blank Action on a Mise à jour creates or updates depending on the
    store, so it is not certain here.
    """
    return action == Action.CREER.value or (
        request == RequestType.ABONNEMENT and action in (Action.BLANK.value, Action.CREER.value))


def rows(table: TableData) -> list[Row]:
    """(Excel row, {field key: value}) in sheet order.

    Computed once per table (the rules ask for it many times) and only after
    normalise() has run: nothing changes the frame afterwards.
    """
    cached = table.__dict__.get("_rows")
    if cached is None:
        frame = table.frame
        columns = [str(c) for c in frame.columns]
        # Plain lists: to_dict("records") costs milliseconds a sheet, even an empty one.
        records = [dict(zip(columns, values)) for values in frame.to_numpy().tolist()]
        cached = sorted(zip(frame.index.tolist(), records))
        table.__dict__["_rows"] = cached
    return cached


# --- Adhérent and Délégué forms -----------------------------------------------


def _version(form: FormData) -> Iterator[Finding]:
    version = form.value("version")
    if version and version != layout.TEMPLATE_VERSION and "version" not in form.missing:
        yield error(FindingCode.TEMPLATE_MISMATCH, say.template_mismatch(shown(version), layout.TEMPLATE_VERSION),
                    **form.where("version"))


def _given(form: FormData, key: str) -> bool:
    return key not in form.missing and form.value(key) != ""


def _delegue_passwords(form: FormData, request: str | None) -> Iterator[Finding]:
    password, confirmation = form.value("password"), form.value("password_confirm")
    if request == RequestType.ABONNEMENT:
        # The administrator's new password. Blank cells are REQUIRED (schemas.py).
        if _given(form, "password") and not meets_password_policy(password):
            yield error(FindingCode.PASSWORD_POLICY, POLICY_MESSAGE, **form.where("password"))
        for key in ("new_password", "new_password_confirm"):
            if _given(form, key):
                yield error(FindingCode.INVALID_VALUE, say.new_password_only_on_update(form.cells[key].field.label),
                            **form.where(key))
    # On a Mise à jour or a Contrôle seul, "Mot de passe" is the current password: it is
    # never held to the policy here (a wrong one is AUTH_FAILED later, and calling it
    # non-compliant would tell an attacker something about the real one).
    if _given(form, "password") and _given(form, "password_confirm") and password != confirmation:
        yield error(FindingCode.PASSWORD_MISMATCH, say.CONFIRMATION_DIFFERS, **form.where("password_confirm"))
    if request != RequestType.ABONNEMENT:
        yield from _new_password(form)


def _new_password(form: FormData) -> Iterator[Finding]:
    new, confirmation = form.value("new_password"), form.value("new_password_confirm")
    if _given(form, "new_password") and not meets_password_policy(new):
        yield error(FindingCode.PASSWORD_POLICY, say.NEW_PASSWORD_POLICY, **form.where("new_password"))
    if _given(form, "new_password") and "new_password_confirm" not in form.missing:
        if not confirmation:
            yield error(FindingCode.PASSWORD_MISMATCH, say.NEW_CONFIRMATION_MISSING,
                        **form.where("new_password_confirm"))
        elif confirmation != new:
            yield error(FindingCode.PASSWORD_MISMATCH, say.NEW_CONFIRMATION_DIFFERS,
                        **form.where("new_password_confirm"))
    elif _given(form, "new_password_confirm") and "new_password" not in form.missing:
        yield error(FindingCode.PASSWORD_MISMATCH, say.NEW_PASSWORD_MISSING, **form.where("new_password"))


# --- User rows -------------------------------------------------------------------


def _abonnement_actions(parsed: ParsedWorkbook, request: str | None) -> Iterator[Finding]:
    """An Abonnement creates a company: there is nothing yet to modify, disable or reset."""
    if request != RequestType.ABONNEMENT:
        return
    others = set(ACTIONS) - {Action.CREER.value}
    for _teleservice, table in parsed.tables():
        for row, values in rows(table):
            if values["action"] in others and "action" not in table.missing:
                yield error(FindingCode.INVALID_VALUE, say.abonnement_action(values["action"]),
                            **table.where(row, "action"))


def _secret_questions(parsed: ParsedWorkbook, request: str | None) -> Iterator[Finding]:
    qa_keys = {f.key for pair in layout.SECRET_QA for f in pair}
    for _teleservice, table in parsed.tables():
        if qa_keys & table.missing:
            continue  # the template is broken (TEMPLATE_MISMATCH): the set cannot be judged
        for row, values in rows(table):
            yield from _questions_of_row(table, row, values, request)


def _questions_of_row(table: TableData, row: int, values: dict[str, str],
                      request: str | None) -> Iterator[Finding]:
    pairs = [(q.key, a.key, values[q.key], values[a.key]) for q, a in layout.SECRET_QA]
    if not any(question or answer for _, _, question, answer in pairs):
        if certainly_created(values["action"], request):
            yield error(FindingCode.SECRET_QUESTIONS, say.NO_SECRET_QUESTIONS, **table.where(row, pairs[0][0]))
        return
    seen: dict[str, int] = {}
    for number, (q_key, a_key, question, answer) in enumerate(pairs, start=1):
        if question and not answer:
            yield _qa(table, row, a_key, say.answer_missing(number))
        elif answer and not question:
            yield _qa(table, row, q_key, say.question_missing(number))
        elif not question:
            yield _qa(table, row, q_key, say.question_and_answer_missing(number))
        if question:
            first = seen.setdefault(label_key(question), number)
            if first != number:
                yield _qa(table, row, q_key, say.question_repeated(number, first))


def _qa(table: TableData, row: int, key: str, message: str) -> Finding:
    return error(FindingCode.SECRET_QUESTIONS, message, **table.where(row, key))


def _login_duplicates(parsed: ParsedWorkbook) -> Iterator[Finding]:
    """Each téléservice needs its own login: one login, one place in the workbook."""
    first: dict[str, tuple[str, int, str]] = {}  # login key → sheet, row, spelling
    for _teleservice, table in parsed.tables():
        for row, values in rows(table):
            login = values["login"]
            if not login:
                continue
            sheet, line, spelling = first.setdefault(login_key(login), (table.sheet, row, login))
            if (sheet, line) != (table.sheet, row):
                written = None if spelling == login else shown(spelling)
                yield error(FindingCode.LOGIN_DUPLICATE, say.login_used_twice(shown(login), sheet, line, written),
                            **table.where(row, "login"))


# --- Catégories --------------------------------------------------------------------


def _categories(parsed: ParsedWorkbook, request: str | None) -> Iterator[Finding]:
    matrix = parsed.categories
    if "login" in matrix.missing:
        return  # no Login column (or no sheet): TEMPLATE_MISMATCH says it
    declarants = _declarant_rows(parsed)
    everyone = {login_key(v["login"]) for _, t in parsed.tables() for _, v in rows(t) if v["login"]}
    listed: dict[str, int] = {}
    for row, values in rows(matrix):
        login = values["login"]
        if not login:
            continue  # REQUIRED (schemas.py)
        key = login_key(login)
        if key in listed:
            yield error(FindingCode.LOGIN_DUPLICATE, say.login_listed_twice(shown(login), matrix.sheet, listed[key]),
                        **matrix.where(row, "login"))
            continue
        listed[key] = row
        if key in declarants:
            _table, _row, declared = declarants[key]
            yield from _no_mark(matrix, row, values, login, certainly_created(declared["action"], request))
        elif key in everyone or request == RequestType.ABONNEMENT:
            # On a Mise à jour a login absent from the workbook may be a user in the
            # store: the store phase judges it.
            yield error(FindingCode.CATEGORY_UNKNOWN_LOGIN, say.unknown_category_login(shown(login)),
                        **matrix.where(row, "login"))
    for key, (table, row, values) in declarants.items():
        if key not in listed and certainly_created(values["action"], request):
            yield error(FindingCode.CATEGORY_MISSING,
                        say.category_missing(shown(values["login"]), matrix.sheet, has_row=False),
                        **table.where(row, "login"))


def _declarant_rows(parsed: ParsedWorkbook) -> dict[str, tuple[TableData, int, dict[str, str]]]:
    """Télédéclaration logins → their first row (a second one is a LOGIN_DUPLICATE)."""
    found: dict[str, tuple[TableData, int, dict[str, str]]] = {}
    for teleservice, table in parsed.tables():
        if teleservice.categories:
            for row, values in rows(table):
                if values["login"]:
                    found.setdefault(login_key(values["login"]), (table, row, values))
    return found


def _no_mark(matrix: TableData, row: int, values: dict[str, str], login: str,
             created: bool) -> Iterator[Finding]:
    """A row replaces the user's categories: a row with no mark leaves none."""
    marks = [c for c in CATEGORIES if c not in matrix.missing]
    if len(marks) < len(CATEGORIES):
        return  # a category column is missing: its marks cannot be seen
    # Any typed value counts as a mark here: a wrong one is INVALID_VALUE's to say.
    if leaves_no_category({c for c in marks if values[c]}):
        yield error(FindingCode.CATEGORY_MISSING, say.category_missing(shown(login), matrix.sheet, has_row=True,
                                                             may_keep=not created),
                    **matrix.where(row, marks[0]))
