"""A company's access, on the Agence Virtuelle's word: lift its lock (`adherents unlock N`), or give its
delegate a new administrator password after the signed letter (`adherents reset-password N`).

Each is one unit of work: the change, its audit row and its email commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from provisioner.domain import diff
from provisioner.domain.vocabulary import AdherentStatus
from provisioner.mail.queue import enqueue
from provisioner.security import lockout
from provisioner.security.passwords import generate_password
from provisioner.service.agence.history import Origin, record_setting
from provisioner.service.agence.operator_commands import ACTOR, AgenceError, NoDelegateEmail, find_company
from provisioner.service.context import ServiceContext
from provisioner.service.submission.notices import adherent_ref, delegate_email, delegate_name
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.wording import agence
from provisioner.workbook import layout


class StillPending(AgenceError):
    """L'abonnement de l'adhérent {numero} attend encore sa validation : validez-le d'abord (le mot de passe
    administrateur choisi dans le formulaire d'abonnement vaut dès la validation)."""


@dataclass
class Unlock:
    numero: str
    was_locked: bool
    failed_auth: int  # the count before the unlock


@dataclass
class PasswordReset:
    numero: str
    sent_to: str  # the delegate on record; the password itself is never returned


def unlock(ctx: ServiceContext, numero: str, *, actor: str = ACTOR, reason: str | None = None) -> Unlock:
    """Lift a company's lock and forget its failed authentications; nothing to lift: nothing written."""
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        company = find_company(uow, numero)
        if not company.failed_auth and company.locked_until is None:
            return Unlock(numero, False, 0)  # no audit row for a change that changes nothing
        state = lockout.after_success()
        uow.adherents.set(company.id, failed_auth=state.failed_auth, locked_until=state.locked_until,
                          updated_at=now)
        uow.audit.add(actor=actor, numero=numero, action="unlock", target=numero,
                      before={"failed_auth": company.failed_auth, "locked_until": _iso(company.locked_until)},
                      after={"failed_auth": 0, "locked_until": None, "reason": reason}, now=now)
        uow.commit()
    return Unlock(numero, lockout.is_locked(company.locked_until, now), company.failed_auth)


def reset_admin_password(ctx: ServiceContext, numero: str, *, actor: str = ACTOR,
                         reason: str | None = None) -> PasswordReset:
    """A new administrator password, emailed to the delegate on record only (after the signed letter).

    The lock is lifted too: a delegate who forgot the password has often
    locked the company trying.
    """
    password = generate_password()
    digest = ctx.hasher.hash_many([password])[0]  # before the transaction: hashing is slow
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        company = find_company(uow, numero)
        if company.status == AdherentStatus.PENDING:
            raise StillPending(numero=numero)
        email = delegate_email(company)
        if not email:
            raise NoDelegateEmail(numero=numero)
        uow.adherents.set(company.id, admin_password_hash=digest, failed_auth=0, locked_until=None,
                          updated_at=now)
        uow.audit.add(actor=actor, numero=numero, action="admin_password_reset", target=numero,
                      after={"sent_to": email, "reason": reason}, now=now)
        record_setting(uow, adherent_id=company.id, action="admin_password",
                       fields=[diff.secret_field(layout.FORM_FIELD[(layout.DELEGUE_SHEET, "password")].label)],
                       before={},
                       origin=Origin("operator", actor, reason=reason or agence.RESET_ON_SIGNED_LETTER),
                       now=now, previous_password_hash=company.admin_password_hash)
        enqueue(uow.mails, kind="admin_password_reset", recipients=[email],
                context={"adherent": adherent_ref(company), "password": password,
                         "delegue": delegate_name(company)}, now=now)
        uow.commit()
    return PasswordReset(numero, email)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
