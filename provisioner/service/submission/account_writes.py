"""The one write path of account changes and company settings, used by every use case that changes them:
the pipeline (an accepted workbook), the validation of a subscription, an approved held plan, a revert.

Each change writes the account, its audit row and its history row (what a revert needs, the replaced
hashes kept in the store only), and a generated password's email to that user only, in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from provisioner.domain import diff
from provisioner.domain.diff import FieldChange
from provisioner.domain.json_value import JsonValue
from provisioner.domain.plan_value import UserChange
from provisioner.domain.view import AccountState
from provisioner.domain.vocabulary import AccountStatus, ChangeAction
from provisioner.service.agence import history
from provisioner.service.agence.history import Origin
from provisioner.service.submission import notices
from provisioner.service.submission.plan_hashes import Hashes
from provisioner.store.adherents import Adherent
from provisioner.store.repositories import Repositories
from provisioner.workbook import layout

ADMIN_PASSWORD_FIELD = diff.secret_field(layout.FORM_FIELD[(layout.DELEGUE_SHEET, "new_password")].label)


class CompanySettings(TypedDict, total=False):
    """The company settings a workbook or a held plan may change (adherents columns)."""

    confirmations: int
    admin_password_hash: str | None


def apply_changes(uow: Repositories, company: Adherent, changes: list[UserChange], hashes: Hashes, *, origin: Origin,
                  now: datetime, submission_id: str | None = None) -> None:
    """A plan's account changes, each by write_change; generated passwords go to their users."""
    for change in changes:
        generates = change.action in (ChangeAction.CREATE, ChangeAction.RESET)
        generated = hashes.generated.get((change.sheet, change.row)) if generates else None
        write_change(uow, company, change, hashes.for_change(change), origin, now, password=generated,
                     submission_id=submission_id)


def write_change(uow: Repositories, company: Adherent, change: UserChange, secrets: dict[str, str | None],
                 origin: Origin, now: datetime, *, password: str | None = None,
                 submission_id: str | None = None) -> int:
    """The one write path of an account change: the account, its audit and history rows, and a
    generated password's email to that user only. `company` is the adherents row; `secrets` the hashes
    to write; `change.fields` must be described already (the planner does it, or domain.plan_value.describe).
    """
    written = list(secrets)
    before = change.before
    # What a revert needs to put the secrets back: the hashes this change replaces, kept in the store only.
    previous = uow.accounts.secrets(before.id, written) if before is not None and before.id and written \
        else None
    account_id = uow.accounts.apply(company.id, change, secrets, now)
    assert account_id is not None
    uow.audit.add(actor=origin.actor, numero=company.numero, action=change.action,
                  target=f"{change.teleservice}:{change.login}", before=public_state(before),
                  after=public_change(change), now=now)
    history.record_account(uow, adherent_id=company.id, account_id=account_id, teleservice=change.teleservice,
                           login=change.login, action=change.action, fields=change.fields, before=before,
                           origin=origin, now=now, previous=previous)
    if password is not None:
        notices.queue_generated_password(
            uow, change, password, adherent=notices.adherent_ref(company),
            submission_id=submission_id, now=now)
    return account_id


def write_settings(uow: Repositories, company: Adherent, settings: CompanySettings,
                   fields: Mapping[str, list[FieldChange]], origin: Origin, now: datetime) -> None:
    """Company settings (confirmations, admin_password_hash), each with its audit and history rows."""
    if not settings:
        return
    uow.adherents.set(company.id, updated_at=now, **settings)
    if "confirmations" in settings:
        history.record_setting(uow, adherent_id=company.id, action="confirmations",
                               fields=fields.get("confirmations") or [],
                               before={"confirmations": company.confirmations}, origin=origin, now=now)
    if "admin_password_hash" in settings:
        uow.audit.add(actor=origin.actor, numero=company.numero, action="admin_password",
                      target=company.numero, now=now)
        history.record_setting(uow, adherent_id=company.id, action="admin_password",
                               fields=fields.get("admin_password") or [ADMIN_PASSWORD_FIELD], before={},
                               origin=origin, now=now, previous_password_hash=company.admin_password_hash)


def public_state(state: AccountState | None) -> dict[str, JsonValue] | None:
    """An account as the audit trail shows it: never a secret or a hash."""
    if state is None:
        return None
    return {**state.fields, "status": state.status, "ordonnateur": state.ordonnateur,
            "validateur": state.validateur, "categories": sorted(state.categories)}


def public_change(change: UserChange) -> dict[str, JsonValue]:
    """What a change sets, as the audit trail shows it: never a secret or a hash."""
    after: dict[str, JsonValue] = dict(change.values)
    for name in ("ordonnateur", "validateur"):
        if getattr(change, name) is not None:
            after[name] = getattr(change, name)
    if change.categories is not None:
        after["categories"] = sorted(change.categories)
    if change.action in (ChangeAction.DISABLE, ChangeAction.ENABLE):
        after["status"] = AccountStatus.DISABLED if change.action == ChangeAction.DISABLE else AccountStatus.ACTIVE
    return after
