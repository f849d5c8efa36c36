"""Validate a subscription (`provisioner adherents activate N`, the web's « Valider »): the company
becomes active and its waiting users become accounts.

One unit of work: the accounts, their audit and history rows, the emails (each generated password to
its user, the outcome to the delegate on record) commit together or not at all. Generated passwords are
hashed before it opens: hashing is the slow part, and on SQLite the write lock is shared with the
pipeline. What is returned never holds a password or a hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from provisioner.domain.plan_value import UserChange, describe
from provisioner.domain.view import ACCOUNT_FIELDS
from provisioner.domain.vocabulary import AdherentStatus, ChangeAction
from provisioner.mail.queue import enqueue
from provisioner.service.agence.history import Origin
from provisioner.service.agence.operator_commands import ACTOR, NotPending, find_company
from provisioner.service.context import ServiceContext
from provisioner.service.submission.account_writes import write_change
from provisioner.service.submission.notices import adherent_ref, delegate_email
from provisioner.service.submission.plan_hashes import FreshPasswords, secret_keys
from provisioner.service.unit_of_work import UnitOfWork, retrying_once
from provisioner.store.adherents import Adherent
from provisioner.store.pending_users import PendingUser
from provisioner.store.repositories import Repositories
from provisioner.wording.labels import SKIP_EXPLANATION

# Where a waiting user's creation says it came from: it has no workbook cell any more.
PENDING_SHEET = "pending_users"


class CreatedUser(TypedDict):
    login: str
    teleservice: str
    generated_password: bool  # its password was generated now, and goes to the user by email


class NotCreated(TypedDict):
    login: str
    teleservice: str
    reason: str  # a key of wording.labels.SKIP_REASON


@dataclass
class Activation:
    numero: str
    raison_sociale: str | None
    created: list[CreatedUser] = field(default_factory=list)
    skipped: list[NotCreated] = field(default_factory=list)


def activate(ctx: ServiceContext, numero: str, *, actor: str = ACTOR, reason: str | None = None) -> Activation:
    """Validate a subscription: the company becomes active and its waiting users become accounts.

    Each waiting user is checked again against the store of today: a login
    taken since the Abonnement is not created, and is reported. `actor` and
    `reason` go to the audit (the web passes the signed-in operator).
    """
    passwords = FreshPasswords(ctx.hasher, _waiting_without_password(ctx, numero))
    return retrying_once(lambda: _activate(ctx, numero, passwords, actor, reason))


def _activate(ctx: ServiceContext, numero: str, passwords: FreshPasswords, actor: str,
              reason: str | None) -> Activation:
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        company = find_company(uow, numero)
        if company.status != AdherentStatus.PENDING:
            raise NotPending(numero=numero)
        result = Activation(numero, company.raison_sociale)
        _create_waiting_users(uow, company, passwords, now, result, actor)
        uow.pending_users.remove_all(company.id)
        uow.adherents.set(company.id, status=AdherentStatus.ACTIVE, activated_at=now, updated_at=now)
        uow.audit.add(actor=actor, numero=numero, action="activate", target=numero,
                      before={"status": AdherentStatus.PENDING},
                      after={"status": AdherentStatus.ACTIVE, "created": result.created, "skipped": result.skipped,
                             "reason": reason},
                      now=now)
        _queue_validated(uow, company, result, now)
        uow.commit()
    return result


def _waiting_without_password(ctx: ServiceContext, numero: str) -> int:
    """How many waiting users will need a generated password (read before the write transaction)."""
    with UnitOfWork(ctx, read_only=True) as uow:
        return uow.pending_users.without_password(numero)


def _create_waiting_users(uow: Repositories, company: Adherent, passwords: FreshPasswords, now: datetime,
                          result: Activation, actor: str) -> None:
    rows = uow.pending_users.of_company(company.id)
    taken = uow.accounts.taken_keys([row.login_key for row in rows])
    for row in rows:
        if row.login_key in taken:
            result.skipped.append({"login": row.login, "teleservice": row.teleservice, "reason": "login_taken"})
            continue
        taken.add(row.login_key)
        change = _waiting_change(row)
        secrets = {"password_hash": row.password_hash, "answer1_hash": row.answer1_hash,
                   "answer2_hash": row.answer2_hash, "answer3_hash": row.answer3_hash}
        password = None
        if row.password_hash is None:
            password, secrets["password_hash"] = passwords.take()
        describe(change, secret_keys(secrets), generated=password is not None)
        write_change(uow, company, change, secrets, Origin("subscription", actor, reference=row.submission_id),
                     now, password=password, submission_id=row.submission_id)
        result.created.append({"login": row.login, "teleservice": row.teleservice,
                               "generated_password": password is not None})


def _waiting_change(row: PendingUser) -> UserChange:
    """The creation a waiting user stands for; its record holds no secret."""
    record = row.record
    questions = record.get("questions") or []
    return UserChange(
        ChangeAction.CREATE, row.teleservice, row.login, PENDING_SHEET, row.id,
        values={k: str(v) for k in ACCOUNT_FIELDS if (v := record.get(k))},
        ordonnateur=bool(record.get("ordonnateur")), validateur=bool(record.get("validateur")),
        questions=(questions[0], questions[1], questions[2]) if len(questions) == 3 else None,
        categories=frozenset(record.get("categories") or ()))


def _queue_validated(uow: Repositories, company: Adherent, result: Activation, now: datetime) -> None:
    """Tell the delegate on record: accounts created, and those that could not be; never a password."""
    email = delegate_email(company)
    if email:
        not_created = [{"login": u["login"], "teleservice": u["teleservice"], "message": SKIP_EXPLANATION[u["reason"]]}
                       for u in result.skipped]
        enqueue(uow.mails, kind="subscription_validated", recipients=[email],
                context={"adherent": adherent_ref(company), "activated_at": now,
                         "created": [{"login": u["login"], "teleservice": u["teleservice"]} for u in result.created],
                         "not_created": not_created},
                now=now)
