"""Who sends a workbook: the company of its number, and its administrator's password verified, with the
lockout after repeated failures. An Abonnement needs no password, and must not name a known company."""

from __future__ import annotations

from dataclasses import replace

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.vocabulary import AdherentStatus, RequestType
from provisioner.security import lockout
from provisioner.security.hashing import verify_admin
from provisioner.service.context import ServiceContext
from provisioner.service.submission.values import Judgement
from provisioner.store.repositories import Repositories
from provisioner.wording import dates
from provisioner.wording import submission as submission_text


def authenticate(ctx: ServiceContext, uow: Repositories, judged: Judgement) -> Judgement:
    """The judgement with the company found, and the administrator's password verified (or the refusal)."""
    submission = judged.submission
    parsed, numero, now = submission.parsed, submission.numero, submission.received_at
    assert parsed is not None
    company = uow.adherents.get(numero, for_update=True)
    judged = replace(judged, company=company)
    if submission.request_type == RequestType.ABONNEMENT:
        if company is not None:
            return judged.with_error(
                FindingCode.ADHERENT_EXISTS, submission_text.already_subscribed_use_update(numero),
                **parsed.adherent.where("type_demande"))
        return judged
    password = parsed.delegue.value("password")
    if not password:
        # Not an attempt (a pre-filled workbook sent without it): REQUIRED says so, and
        # nothing is counted towards the lock, for a known company or not.
        return judged
    where = parsed.delegue.where("password")
    settings = ctx.settings
    if company is not None and lockout.is_locked(company.locked_until, now):
        verify_admin(None, password)  # same cost as any other answer
        return judged.with_error(
            FindingCode.ACCOUNT_LOCKED, submission_text.locked_until(dates.french(company.locked_until) or "?"),
            **where)
    hash_ = company.admin_password_hash if company is not None else None
    if not verify_admin(hash_, password):
        if company is not None:
            after = lockout.after_failure(company.failed_auth, company.locked_until, now,
                                          lock_after=settings.lock_after, lock_minutes=settings.lock_minutes)
            uow.adherents.set(company.id, failed_auth=after.failed_auth, locked_until=after.locked_until)
            judged = replace(judged, just_locked=after.just_locked)
            if after.just_locked:
                judged = replace(judged, company=uow.adherents.get(numero))
        return judged.with_error(FindingCode.AUTH_FAILED, submission_text.AUTH_FAILED, **where)
    assert company is not None  # a password verifies against a stored hash only
    judged = replace(judged, authenticated=True)
    if company.failed_auth or company.locked_until:
        state = lockout.after_success()
        uow.adherents.set(company.id, failed_auth=state.failed_auth, locked_until=state.locked_until)
    if company.status != AdherentStatus.ACTIVE:
        return judged.with_error(
            FindingCode.ADHERENT_PENDING, submission_text.SUBSCRIPTION_NOT_VALIDATED,
            **parsed.adherent.where("type_demande"))
    return judged
