"""Undo a submission (or a revert): what it changed goes back to its state just before it.

One transaction, like any change: each account the change set touched is put
back through the one write path (account_writes.write_change), so the revert has its
own history and can itself be undone; created accounts are disabled (nothing
is deleted, the login stays taken); password and answer hashes come back from
the history's previous_* columns, and never leave the store. Company
settings (confirmations, administrator password) are restored too. A later
change to one of those accounts (or settings) refuses the whole revert, or,
with `force`, leaves that account as it is. The delegate on record is told
by email. A change set is reverted at most once (reverts.target is unique).

The CLI passes the OS user as `operator`; the web passes the signed-in operator.
"""

from __future__ import annotations

import secrets as token
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import exc

from provisioner.domain import diff
from provisioner.domain.diff import FieldChange
from provisioner.domain.history_json import state_from_json
from provisioner.domain.plan_value import UserChange, after_state, describe
from provisioner.domain.view import ACCOUNT_FIELDS, AccountState
from provisioner.domain.vocabulary import ChangeAction
from provisioner.mail.queue import enqueue
from provisioner.service.agence.history import Origin
from provisioner.service.agence.operator_commands import AgenceError
from provisioner.service.context import ServiceContext
from provisioner.service.submission.account_writes import write_change, write_settings
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.store.adherents import Adherent
from provisioner.store.history import HistoryEntry
from provisioner.store.repositories import Repositories
from provisioner.wording.results import changed_since
from provisioner.workbook import layout

SHEET = "revert"  # where a revert's changes say they come from: no workbook cell
CONFIRMATIONS_LABEL = layout.FORM_FIELD[(layout.ADHERENT_SHEET, "confirmations")].label
ADMIN_PASSWORD_LABEL = layout.FORM_FIELD[(layout.DELEGUE_SHEET, "password")].label
_SECRET_KEYS = {label: key for key, label in diff.SECRET_LABELS.items()}


class UnknownChangeSet(AgenceError):
    """Aucune soumission ni annulation n'a la référence {id}."""


class NothingToRevert(AgenceError):
    """La soumission {id} n'a changé ni compte ni réglage de l'entreprise : il n'y a rien à annuler."""


class AlreadyReverted(AgenceError):
    """La soumission {id} a déjà été annulée (annulation {revert}) : une soumission n'est annulée qu'une
    fois. Pour revenir sur cette annulation, annulez {revert}."""


class LaterChanges(AgenceError):
    """Annulation refusée : parmi les comptes et réglages de la soumission {id}, {changed} depuis. Rien n'a
    été modifié. Avec --force, les autres sont annulés et ceux-là laissés tels quels."""


class RevertedAccount(TypedDict):
    login: str
    teleservice: str
    action: str  # a ChangeAction
    fields: list[FieldChange]


class RevertedSetting(TypedDict):
    kind: str  # confirmations | admin_password
    fields: list[FieldChange]


class LaterChange(TypedDict):
    """A change outside the change set, made since to one of its accounts or settings."""

    id: int
    at: datetime | str  # an ISO text once stored as JSON
    action: str
    origin: str
    change_set: str | None
    actor: str


class LeftAsItIs(TypedDict):
    """An account (login, teleservice) or a setting a revert leaves as it is, and what changed it since."""

    login: str | None
    teleservice: str | None
    setting: str | None
    later: list[LaterChange]


# What a history row is about: ("account", its id) or ("setting", its action).
HistoryKey = tuple[str, int | str]


@dataclass
class Revert:
    id: str
    target: str
    numero: str
    operator: str
    reason: str | None
    at: datetime
    reverted: list[RevertedAccount] = field(default_factory=list)
    settings: list[RevertedSetting] = field(default_factory=list)
    left: list[LeftAsItIs] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)


def new_revert_id(now: datetime) -> str:
    return f"R{now:%Y%m%dT%H%M%S}-{token.token_hex(4)}"


def revert(ctx: ServiceContext, target: str, *, operator: str, reason: str | None = None,
           force: bool = False) -> Revert:
    """Undo the change set `target` (a submission id, or a revert id); see the module's docstring."""
    try:
        with UnitOfWork(ctx) as uow:
            result = _revert(uow, ctx.clock(), target, operator, reason, force)
            uow.commit()
        return result
    except exc.IntegrityError:
        # Another operator reverted it at the same moment: reverts.target is unique.
        with UnitOfWork(ctx, read_only=True) as uow:
            done = uow.reverts.of_target(target)
        if done is None:
            raise
        raise AlreadyReverted(id=target, revert=done) from None


def _revert(uow: Repositories, now: datetime, target: str, operator: str, reason: str | None,
            force: bool) -> Revert:
    rows = uow.history.of_change_set(target)
    done = uow.reverts.of_target(target)
    if done is not None:
        raise AlreadyReverted(id=target, revert=done)
    if not rows:
        if uow.submissions.exists(target) or uow.reverts.exists(target):
            raise NothingToRevert(id=target)
        raise UnknownChangeSet(id=target)
    company = uow.adherents.by_id(rows[0].adherent_id, for_update=True)
    later = later_changes(uow, target, rows)
    if later and not force:
        raise LaterChanges(id=target, count=len(later), changed=changed_since(len(later)), later=list(later.values()))
    result = Revert(new_revert_id(now), target, company.numero, operator, reason, now,
                    left=list(later.values()))
    # First, so that a second operator's revert of the same target fails before changing anything.
    uow.reverts.add(id=result.id, target=target, adherent_id=company.id, at=now, operator=operator[:64],
                    reason=reason, forced=bool(later), left=_json_safe(result.left))
    origin = Origin("revert", operator, change_set=result.id, reference=target, reason=reason)
    states = {a.id: a for a in uow.accounts.view(company, []).accounts.values()}
    for row in reversed(rows):
        if _key(row) in later:
            continue
        if row.account_id is None:
            company = _restore_setting(uow, company, row, origin, now, result)
            continue
        current = states[row.account_id]
        undo = _inverse(row, current)
        if undo is None:
            continue
        change, secrets = undo
        describe(change, tuple(k.removesuffix("_hash") for k in secrets))
        write_change(uow, company, change, secrets, origin, now)
        states[row.account_id] = after_state(change)
        result.reverted.append({"login": change.login, "teleservice": change.teleservice,
                                "action": change.action, "fields": change.fields})
    uow.audit.add(actor=operator[:64], numero=company.numero, action="revert", target=target,
                  after={"revert": result.id, "reason": reason, "reverted": len(result.reverted),
                         "left": _json_safe(result.left)}, now=now)
    result.notified = _notify(uow, company, result, uow.submissions.file_name(target))
    return result


def later_changes(uow: Repositories, target: str,
                  rows: Sequence[HistoryEntry]) -> dict[HistoryKey, LeftAsItIs]:
    """Per account (or setting) of the change set: what changed it since, outside the set."""
    last: dict[HistoryKey, int] = {}
    for row in rows:
        last[_key(row)] = max(last.get(_key(row), 0), row.id)
    since = min(r.id for r in rows)
    found: dict[HistoryKey, LeftAsItIs] = {}
    for row in uow.history.since(rows[0].adherent_id, since, outside=target):
        key = _key(row)
        if key in last and row.id > last[key]:
            entry = found.setdefault(key, {"login": row.login, "teleservice": row.teleservice,
                                           "setting": None if row.account_id else row.action, "later": []})
            entry["later"].append({"id": row.id, "at": row.at, "action": row.action, "origin": row.origin,
                                   "change_set": row.change_set, "actor": row.actor})
    return found


def _key(row: HistoryEntry) -> HistoryKey:
    return ("account", row.account_id) if row.account_id is not None else ("setting", row.action)


def _inverse(row: HistoryEntry, current: AccountState) -> tuple[UserChange, dict[str, str | None]] | None:
    """The change that puts the account back as `row` found it, with the hashes to write back."""
    base = UserChange("", current.teleservice, current.login, SHEET, row.id, before=current)
    if row.before is None:  # it created the account: disable it, delete nothing
        if not current.active:
            return None
        base.action = ChangeAction.DISABLE
        return base, {}
    before = state_from_json(row.before, teleservice=current.teleservice, login=current.login,
                             account_id=current.id or 0)
    secrets = {f"{_SECRET_KEYS[f['column']]}_hash": getattr(row, f"previous_{_SECRET_KEYS[f['column']]}_hash")
               for f in row.fields or [] if "old" not in f and f.get("column") in _SECRET_KEYS}
    if row.action == ChangeAction.RESET:
        if not secrets.get("password_hash"):
            return None  # recorded before hashes were kept (migrated history): nothing to put back
        base.action = ChangeAction.RESET
        return base, secrets
    if row.action in (ChangeAction.DISABLE, ChangeAction.ENABLE):
        if before.status == current.status:
            return None
        base.action = ChangeAction.ENABLE if before.active else ChangeAction.DISABLE
        return base, {}
    base.action = ChangeAction.UPDATE
    base.values = {k: before.fields.get(k, "") for k in ACCOUNT_FIELDS}
    base.ordonnateur, base.validateur = before.ordonnateur, before.validateur
    base.categories = before.categories
    base.questions = before.questions
    if not secrets.get("password_hash", "x"):
        secrets.pop("password_hash")  # never clear a password: the column cannot be empty
    return base, secrets


def _restore_setting(uow: Repositories, company: Adherent, row: HistoryEntry, origin: Origin, now: datetime,
                     result: Revert) -> Adherent:
    if row.action == "confirmations":
        old = int((row.setting_before.get("confirmations") if row.setting_before else None) or 1)
        fields = [diff.setting_field(CONFIRMATIONS_LABEL, company.confirmations, old)]
        write_settings(uow, company, {"confirmations": old}, {"confirmations": fields}, origin, now)
    elif row.action == "admin_password" and row.previous_password_hash:
        fields = [diff.secret_field(ADMIN_PASSWORD_LABEL)]
        write_settings(uow, company, {"admin_password_hash": row.previous_password_hash},
                       {"admin_password": fields}, origin, now)
    else:
        return company
    result.settings.append({"kind": row.action, "fields": fields})
    fresh = uow.adherents.get(company.numero)
    assert fresh is not None
    return fresh


def _notify(uow: Repositories, company: Adherent, result: Revert, file_name: str | None) -> list[str]:
    email = (company.delegue or {}).get("email")
    if not email:
        return []
    enqueue(uow.mails, kind="submission_reverted", recipients=[email],
            context={"adherent": {"numero": company.numero, "raison_sociale": company.raison_sociale},
                     "target": result.target, "file": file_name, "revert_id": result.id, "reverted_at": result.at,
                     # A revert of a revert: what that earlier revert had undone, now back in effect.
                     "restored": uow.reverts.target_of(result.target),
                     "reason": result.reason, "accounts": result.reverted, "settings": result.settings,
                     "left": [{"login": x["login"], "teleservice": x["teleservice"], "setting": x["setting"]}
                              for x in result.left]},
            submission_id=result.target if result.target.startswith("S") else None, now=result.at)
    return [email]


def _json_safe(left: list[LeftAsItIs]) -> list[LeftAsItIs]:
    return [{**x, "later": [{**e, "at": e["at"].isoformat() if isinstance(e["at"], datetime) else e["at"]}
                            for e in x["later"]]} for x in left]
