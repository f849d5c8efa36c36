"""The portal's « bordereau pré-rempli »: the company's workbook (as `template --adherent`) emailed to its
delegate on record, never shown to whoever asked.

Only an active company with a delegate's address gets it; for any other
number nothing happens, and the caller says the same thing either way. The
workbook is written under the outbox (`prerempli/`), where the mail
dispatcher reads it as the message's attachment, then the message is queued
like every email (one transaction); a failed queue removes the file.
"""

from __future__ import annotations

import logging
import secrets
import shutil

from provisioner.domain.vocabulary import AdherentStatus
from provisioner.mail.queue import enqueue
from provisioner.service.agence.prefill import load_snapshot
from provisioner.service.context import ServiceContext
from provisioner.service.submission.notices import adherent_ref, delegate_email, delegate_name
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.workbook.prefill import write_prefilled_workbook

log = logging.getLogger(__name__)

KIND = "prefilled_workbook"
FOLDER = "prerempli"


def email_prefilled(ctx: ServiceContext, numero: str) -> bool:
    """Queue company `numero`'s pre-filled workbook to its delegate on record; False when there is none."""
    with UnitOfWork(ctx, read_only=True) as uow:
        company = uow.adherents.get(numero)
    email = delegate_email(company) if company is not None else None
    if company is None or company.status != AdherentStatus.ACTIVE or not email:
        return False
    now = ctx.clock()
    folder = ctx.outbox / FOLDER / f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    path = write_prefilled_workbook(load_snapshot(ctx, numero), folder / f"bordereau-{numero}.xlsx", now=now)
    try:
        with UnitOfWork(ctx) as uow:
            enqueue(uow.mails, kind=KIND, recipients=[email], attachments=[path], now=now,
                    context={"adherent": adherent_ref(company), "delegue": delegate_name(company)})
            uow.commit()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no message will ever read it
        raise
    log.info("prefilled workbook queued adherent=%s", numero)
    return True
