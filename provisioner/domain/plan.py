"""Workbook × store snapshot → the changes to make, and the findings only the store can tell.

Pure: no I/O, no hashing. The pipeline calls it inside the transaction, so
the checks (LOGIN_TAKEN, USER_NOT_FOUND, CATEGORY_MISSING,
EASYPAIEMENT_VALIDATORS…) judge the state after the changes, as the spec asks.
Secrets (passwords, answers) travel in the plan as plain text only until the
pipeline hashes them; nothing here writes them anywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from provisioner.domain import diff
from provisioner.domain.columns import ANSWER_KEYS, QUESTION_KEYS, account_columns
from provisioner.domain.findings import Finding, error, warning
from provisioner.domain.keys import label_key, login_key
from provisioner.domain.sheets import Row, Sheets, Table
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState, StoreView
from provisioner.domain.vocabulary import (
    ADHERENT_DETAIL_KEYS,
    CATEGORIES,
    CATEGORY_MARKS,
    CONFIRMATIONS,
    DELEGUE_DETAIL_KEYS,
    AccountStatus,
    Action,
    ChangeAction,
    RequestKind,
    RequestType,
    Teleservice,
)

TD_KEYS = frozenset(t for t in Teleservice if t.has_categories)
_KNOWN_ACTIONS = frozenset(a.value for a in Action)
MASS_DISABLE_MIN = 5


@dataclass
class UserChange:
    """One account the workbook touches, and what happens to it."""

    action: str
    teleservice: str
    login: str
    sheet: str
    row: int
    values: dict[str, str] = field(default_factory=dict)  # non-secret fields to set
    ordonnateur: bool | None = None
    validateur: bool | None = None
    password: str | None = None  # secret, typed in the workbook
    generate_password: bool = False
    questions: tuple[str, str, str] | None = None
    answers: tuple[str, str, str] | None = None  # secret
    categories: frozenset[str] | None = None
    before: AccountState | None = None
    # Column by column, what the change does (diff.account_fields): set by describe(), never a secret's value.
    fields: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return login_key(self.login)

    def secret_keys(self) -> tuple[str, ...]:
        """The secret columns this change sets (a creation always gets a password: typed or generated)."""
        password = self.action in (ChangeAction.CREATE, ChangeAction.RESET) or (
            self.action == ChangeAction.UPDATE and self.password is not None)
        answers = self.action in (ChangeAction.CREATE, ChangeAction.UPDATE) and self.answers is not None
        return (("password",) if password else ()) + (ANSWER_KEYS if answers else ())

    def report(self) -> dict[str, str]:
        return {"action": self.action, "teleservice": self.teleservice, "login": self.login}


def after_state(change: UserChange) -> AccountState:
    """The account as it will be once `change` is applied (its public part)."""
    before = change.before
    if change.action == ChangeAction.CREATE or before is None:
        return AccountState(change.teleservice, change.login, change.key, AccountStatus.ACTIVE,
                            {k: change.values.get(k, "") for k in ACCOUNT_FIELDS}, bool(change.ordonnateur),
                            bool(change.validateur), change.categories or frozenset(),
                            change.questions or ("", "", ""))
    if change.action == ChangeAction.DISABLE:
        return replace(before, status=AccountStatus.DISABLED)
    if change.action == ChangeAction.ENABLE:
        return replace(before, status=AccountStatus.ACTIVE)
    if change.action != ChangeAction.UPDATE:
        return before
    return replace(
        before, fields={**before.fields, **change.values},
        ordonnateur=before.ordonnateur if change.ordonnateur is None else change.ordonnateur,
        validateur=before.validateur if change.validateur is None else change.validateur,
        categories=before.categories if change.categories is None else change.categories,
        questions=change.questions or before.questions)


def describe(change: UserChange, secret_keys: tuple[str, ...] | None = None) -> UserChange:
    """Set `change.fields`; `secret_keys` overrides what the change says it sets (a rebuilt change has none)."""
    keys = change.secret_keys() if secret_keys is None else secret_keys
    change.fields = diff.account_fields(change.before, after_state(change), keys)
    return change


@dataclass
class CompanyRequest:
    """A change the fund wants a signed letter for: waits for the Agence Virtuelle."""

    kind: RequestKind
    payload: dict[str, object]
    summary: str
    fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    changes: list[UserChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    confirmations: int | None = None  # the new setting, when it changes
    admin_password: str | None = None  # secret: the new administrator password
    requests: list[CompanyRequest] = field(default_factory=list)
    held: bool = False  # mass deactivation: nothing applied, a request waits
    # Company settings this plan changes (confirmations, admin_password) → their fields, as for accounts.
    settings_fields: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def effective(self) -> list[UserChange]:
        return [c for c in self.changes if c.action != ChangeAction.UNCHANGED]

    def counts(self) -> dict[str, int]:
        tally = Counter(c.action for c in self.changes)
        return {"created": tally[ChangeAction.CREATE], "updated": tally[ChangeAction.UPDATE],
                "disabled": tally[ChangeAction.DISABLE], "enabled": tally[ChangeAction.ENABLE],
                "reset_password": tally[ChangeAction.RESET], "unchanged": tally[ChangeAction.UNCHANGED]}


def make_plan(sheets: Sheets, view: StoreView) -> Plan:
    """Plan a workbook against the store; findings are errors unless said otherwise."""
    planner = _Planner(sheets, view)
    return planner.run()


def _yes(value: str) -> bool | None:
    if value == "":
        return None
    return value == "Oui"


class _Planner:
    def __init__(self, sheets: Sheets, view: StoreView) -> None:
        self.sheets = sheets
        self.view = view
        self.plan = Plan()
        self.abonnement = sheets.request_type == RequestType.ABONNEMENT
        self.category_rows = self._category_rows()
        # Logins of rows whose Action is outside its list: what the row wants is unknown, so
        # nothing that depends on it is judged (INVALID_VALUE, from the store-free rules, says it).
        self.undecided: set[str] = set()

    def run(self) -> Plan:
        for teleservice, table in self.sheets.users.items():
            for row in table.rows:
                change = self._row(teleservice, table, row.number, row.values)
                if change is not None:
                    self.plan.changes.append(change)
        self._categories()
        self._easypaiement()
        if not self.abonnement:
            self._company_requests()
            self._admin_password()
            self._mass_disable()
        for change in self.plan.changes:
            describe(change)
        return self.plan

    # -- rows ---------------------------------------------------------------

    def _row(self, ts: Teleservice, table: Table, row: int, rec: Mapping[str, str]) -> UserChange | None:
        login = rec.get("login", "")
        if not login:
            return None  # REQUIRED already said by the store-free rules
        key = login_key(login)
        action = rec.get("action", "")
        if action not in _KNOWN_ACTIONS:
            self.undecided.add(key)
            return None
        existing = self.view.accounts.get(key)
        mine = existing if existing is not None and existing.teleservice == ts else None
        where = table.where(row, "login")
        base = UserChange("", ts, login, table.sheet, row, before=mine)
        self._take_values(base, ts, rec)
        if action in ("", Action.CREER.value):
            if mine is not None and action == "":
                return self._update(base, mine, rec, declarative=True)
            taken_by = self.view.taken.get(key) or (existing.teleservice if existing else None)
            if taken_by is not None:
                self._error("LOGIN_TAKEN", self._taken_message(login, existing, ts), where)
                return None
            return self._create(base, rec, table, row)
        if mine is None:
            self._error("USER_NOT_FOUND",
                        f"Aucun compte « {login} » n'existe pour votre entreprise sur le téléservice "
                        f"{ts.label}. Vérifiez le login, ou utilisez l'action « Créer ».", where)
            return None
        if action == Action.MODIFIER.value:
            return self._update(base, mine, rec, declarative=False)
        if action == Action.DESACTIVER.value:
            base.action = ChangeAction.DISABLE if mine.active else ChangeAction.UNCHANGED
            base.values = {}
            return base
        if action == Action.REACTIVER.value:
            base.action = ChangeAction.ENABLE if not mine.active else ChangeAction.UNCHANGED
            base.values = {}
            return base
        base.action = ChangeAction.RESET  # Action.REINITIALISER, the last one
        base.values = {}
        base.generate_password = base.password is None
        return base

    def _take_values(self, change: UserChange, ts: Teleservice, rec: Mapping[str, str]) -> None:
        columns = set(account_columns(ts))
        change.values = {k: rec[k] for k in ACCOUNT_FIELDS if k in columns and rec.get(k, "")}
        if ts.has_powers:
            change.ordonnateur = _yes(rec.get("ordonnateur", ""))
            change.validateur = _yes(rec.get("validateur", ""))
        change.password = rec.get("password") or None
        questions = tuple(rec.get(key, "") for key in QUESTION_KEYS)
        answers = tuple(rec.get(key, "") for key in ANSWER_KEYS)
        if all(questions) and all(answers):
            change.questions = questions  # type: ignore[assignment]
            change.answers = answers  # type: ignore[assignment]
        marks = self.category_rows.get(login_key(rec.get("login", "")))
        if marks is not None and ts in TD_KEYS:
            change.categories = marks[0]

    def _create(self, change: UserChange, rec: Mapping[str, str], table: Table, row: int) -> UserChange:
        change.action = ChangeAction.CREATE
        # A user of an Abonnement gets a generated password at activation, not now: it would
        # have to be kept in clear until then.
        change.generate_password = change.password is None and not self.abonnement
        if change.questions is None and not any(rec.get(key) for key in (*QUESTION_KEYS, *ANSWER_KEYS)):
            self._error("SECRET_QUESTIONS",
                        "Ce login n'existe pas encore : le compte sera créé et il lui faut trois questions "
                        "secrètes différentes avec leurs réponses.", table.where(row, QUESTION_KEYS[0]))
        return change

    def _update(self, change: UserChange, mine: AccountState, rec: Mapping[str, str],
                *, declarative: bool) -> UserChange:
        changed = {k: v for k, v in change.values.items() if mine.fields.get(k, "") != v}
        change.values = changed
        powers_changed = (change.ordonnateur is not None and change.ordonnateur != mine.ordonnateur) or (
            change.validateur is not None and change.validateur != mine.validateur)
        categories_changed = change.categories is not None and change.categories != mine.categories
        questions_changed = change.questions is not None
        # A blank row never changes the status: a pre-filled workbook sent back as it is lists
        # disabled accounts too, and must change nothing.
        if changed or powers_changed or categories_changed or questions_changed or change.password:
            change.action = ChangeAction.UPDATE
        else:
            change.action = ChangeAction.UNCHANGED
        return change

    @staticmethod
    def _taken_message(login: str, existing: AccountState | None, ts: Teleservice) -> str:
        if existing is not None:
            other = Teleservice(existing.teleservice).label
            return (f"Le login « {login} » est déjà utilisé par votre entreprise pour le téléservice {other}. "
                    "Chaque téléservice demande son propre login : choisissez-en un autre.")
        return f"Le login « {login} » est déjà pris. Choisissez-en un autre."

    # -- categories ---------------------------------------------------------

    def _category_rows(self) -> dict[str, tuple[frozenset[str], Row]]:
        rows: dict[str, tuple[frozenset[str], Row]] = {}
        for row in self.sheets.categories.rows:
            key = login_key(row.values.get("login", ""))
            if key and key not in rows:
                marks = frozenset(c for c in CATEGORIES if row.values.get(c, "") in CATEGORY_MARKS)
                rows[key] = (marks, row)
        return rows

    def _categories(self) -> None:
        final: dict[str, tuple[frozenset[str], UserChange | None]] = {}
        for key, account in self.view.accounts.items():
            if account.teleservice in TD_KEYS and account.active:
                final[key] = (account.categories, None)
        for change in self.plan.changes:
            if change.teleservice not in TD_KEYS:
                continue
            if change.action == ChangeAction.DISABLE:
                final.pop(change.key, None)
                continue
            before = change.before.categories if change.before else frozenset()
            final[change.key] = (change.categories if change.categories is not None else before, change)
        known = set(final) | self.undecided | {k for k, a in self.view.accounts.items()
                                               if a.teleservice in TD_KEYS}
        table = self.sheets.categories
        for key, (_, row) in self.category_rows.items():
            if key in known:
                continue
            login = row.values.get("login", "")
            self._error("CATEGORY_UNKNOWN_LOGIN",
                        f"« {login} » n'est pas un utilisateur de Télédéclaration de votre entreprise. "
                        "Corrigez le login ou supprimez la ligne.", table.where(row.number, "login"))
        # Existing accounts named in Catégories but absent from the user sheets (disabled ones too:
        # a row replaces the user's categories, whatever the account's status).
        on_sheets = {c.key for c in self.plan.changes if c.teleservice in TD_KEYS}
        for key, (marks, row) in self.category_rows.items():
            stored = self.view.accounts.get(key)
            if stored is not None and stored.teleservice in TD_KEYS and key not in on_sheets:
                final[key] = (marks, None)
                self.plan.changes.append(UserChange(
                    ChangeAction.UPDATE if marks != stored.categories else ChangeAction.UNCHANGED, stored.teleservice,
                    stored.login, table.sheet, row.number, categories=marks, before=stored))
        for key, (marks, changed) in final.items():
            if marks:
                continue
            if changed is not None:
                where = self._table_of(changed).where(changed.row, "login")
                login = changed.login
            elif key in self.category_rows:
                where = table.where(self.category_rows[key][1].number, "login")
                login = self.view.accounts[key].login
            else:
                continue  # an account left as it was: not this workbook's doing
            self._error("CATEGORY_MISSING",
                        f"L'utilisateur de Télédéclaration « {login} » n'aurait aucune catégorie. Ajoutez "
                        "une ligne à la feuille Catégories avec un X dans au moins une colonne (D, S0 à S3).",
                        where)

    # -- E@syPaiement ---------------------------------------------------------

    def _easypaiement(self) -> None:
        confirmations = self._confirmations()
        final: dict[str, tuple[bool, bool, str, bool]] = {}  # key → (ord, val, email, active)
        for key, a in self.view.accounts.items():
            if a.teleservice == "easypaiement":
                final[key] = (a.ordonnateur, a.validateur, a.fields.get("email", ""), a.active)
        for change in self.plan.changes:
            if change.teleservice != "easypaiement":
                continue
            old = final.get(change.key, (False, False, "", True))
            ordo = old[0] if change.ordonnateur is None else change.ordonnateur
            vali = old[1] if change.validateur is None else change.validateur
            email = change.values.get("email", old[2])
            turns: dict[str, bool] = {ChangeAction.DISABLE: False, ChangeAction.ENABLE: True, ChangeAction.CREATE: True}
            active = turns.get(change.action, old[3])
            final[change.key] = (ordo, vali, email, active)
            if active and not ordo and not vali and change.action in (ChangeAction.CREATE, ChangeAction.UPDATE):
                table = self._table_of(change)
                self._error("EASYPAIEMENT_ROLE",
                            "Un utilisateur E@syPaiement doit être Ordonnateur, Validateur ou les deux : "
                            "mettez « Oui » dans au moins une des deux colonnes.",
                            table.where(change.row, "ordonnateur"))
        enabled = [v for v in final.values() if v[3]]
        if not enabled:
            return  # no E@syPaiement user at all: nothing to validate payments
        validators = [v for v in enabled if v[1]]
        people = {label_key(v[2]) or f"#{i}" for i, v in enumerate(validators)}
        if len(validators) < confirmations or (confirmations == 2 and len(people) < 2):
            form = self.sheets.adherent
            where: dict[str, object] = form.where("confirmations") if form.found("confirmations") else \
                {"sheet": self.sheets.users[Teleservice.EASYPAIEMENT].sheet}
            self._error("EASYPAIEMENT_VALIDATORS",
                        f"Avec {confirmations} confirmation(s), il faut au moins {confirmations} validateur(s) "
                        "E@syPaiement actif(s)" + (", deux personnes différentes (adresses email distinctes)"
                                                   if confirmations == 2 else "")
                        + f" ; il y en aurait {len(validators)}. Ajoutez un validateur ou réduisez le nombre "
                        "de confirmations.", where)

    def _confirmations(self) -> int:
        typed = self.sheets.adherent.value("confirmations")
        current = self.view.company.confirmations if self.view.company else 1
        if typed in CONFIRMATIONS:
            if int(typed) != current and self.view.company is not None:
                self.plan.confirmations = int(typed)
                self.plan.settings_fields["confirmations"] = [diff.setting_field(
                    self.sheets.adherent.labels["confirmations"], current, int(typed))]
            return int(typed)
        return current

    # -- company, delegate, administrator --------------------------------------

    def _company_requests(self) -> None:
        company = self.view.company
        if company is None:
            return
        for kind, form, keys, stored, title in (
            (RequestKind.COMPANY_CHANGE, self.sheets.adherent, ADHERENT_DETAIL_KEYS, company.company,
             "Coordonnées de l'entreprise"),
            (RequestKind.DELEGUE_CHANGE, self.sheets.delegue, DELEGUE_DETAIL_KEYS, company.delegue,
             "Personne déléguée"),
        ):
            changed = {k: form.value(k) for k in keys
                       if form.value(k) and label_key(form.value(k)) != label_key(stored.get(k, "") or "")}
            if not changed:
                continue
            labels = ", ".join(form.labels[k] for k in changed)
            fields = [diff.setting_field(form.labels[k], stored.get(k) or None, v)
                      for k, v in changed.items()]
            self.plan.requests.append(CompanyRequest(
                kind, {"changes": changed, "before": {k: stored.get(k, "") for k in changed}},
                f"{title} : modification de {labels}. Elle sera appliquée après réception par l'Agence "
                "Virtuelle d'une lettre signée et cachetée.", fields))
            self.plan.findings.append(warning(
                "REQUEST_WAITING", f"{title} : la modification ({labels}) n'est pas appliquée tout de "
                "suite ; elle attend l'accord de l'Agence Virtuelle sur lettre signée et cachetée.",
                sheet=form.sheet))

    def _admin_password(self) -> None:
        new = self.sheets.delegue.value("new_password")
        if new and new == self.sheets.delegue.value("new_password_confirm"):
            self.plan.admin_password = new
            self.plan.settings_fields["admin_password"] = [
                diff.secret_field(self.sheets.delegue.labels["new_password"])]

    def _mass_disable(self) -> None:
        active = sum(1 for a in self.view.accounts.values() if a.active)
        disabled = sum(1 for c in self.plan.changes if c.action == ChangeAction.DISABLE)
        if disabled >= MASS_DISABLE_MIN and disabled * 2 > active:
            self.plan.held = True
            self.plan.requests.append(CompanyRequest(
                RequestKind.MASS_DISABLE, {"disable": disabled, "active": active},
                f"Désactivation de {disabled} comptes sur {active} actifs : le bordereau est mis en attente "
                "de l'accord de l'Agence Virtuelle."))
            then = ("Envoyé en « Mise à jour », il ne serait pas appliqué tout de suite : il attendrait "
                    "l'accord de l'Agence Virtuelle." if self.sheets.request_type == RequestType.CONTROLE else
                    "Par sécurité il n'est pas appliqué : il attend l'accord de l'Agence Virtuelle, qui vous "
                    "contactera.")
            self.plan.findings.append(warning(
                "MASS_DISABLE_HELD", f"Ce bordereau désactiverait {disabled} comptes sur {active} actifs. "
                + then))

    # -- helpers ------------------------------------------------------------

    def _table_of(self, change: UserChange) -> Table:
        if change.sheet == self.sheets.categories.sheet:
            return self.sheets.categories
        return self.sheets.users[Teleservice(change.teleservice)]

    def _error(self, code: str, message: str, where: dict[str, object]) -> None:
        self.plan.findings.append(error(code, message, **where))

