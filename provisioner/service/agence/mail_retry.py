"""An operator sends a failed email again: it goes back to the queue, due now.

The message keeps its Message-ID (a receiver can still drop a duplicate) and
its body; the scheduled service sends it at its next poll. A message that
failed for want of any valid recipient cannot be retried: nobody would get it
(and a secret one was stored without its body). Nor can a message that
carried a password: its body was erased when it failed.
"""

from __future__ import annotations

from provisioner.domain.vocabulary import MailStatus
from provisioner.mail.render import SECRET_KINDS
from provisioner.service.agence.operator_commands import ACTOR, AgenceError
from provisioner.service.context import ServiceContext
from provisioner.service.unit_of_work import UnitOfWork


class UnknownMail(AgenceError):
    """Aucun email n'a le numéro {id}."""


class NotFailed(AgenceError):
    """L'email {id} n'est pas en échec (statut : {status}) : il n'y a rien à renvoyer."""


class SecretGone(AgenceError):
    """L'email {id} portait un mot de passe, effacé quand l'envoi a échoué : il ne peut pas être renvoyé.
    Réinitialisez le mot de passe concerné pour en envoyer un nouveau."""


class NoRecipient(AgenceError):
    """L'email {id} n'a aucun destinataire valide : le renvoyer ne le ferait parvenir à personne."""


def retry_mail(ctx: ServiceContext, mail_id: int, *, actor: str = ACTOR, reason: str | None = None) -> None:
    """Queue a failed email again, due now; recorded in the audit."""
    now = ctx.clock()
    with UnitOfWork(ctx) as uow:
        row = uow.mails.get(mail_id)
        if row is None:
            raise UnknownMail(id=mail_id)
        if row.status != MailStatus.FAILED:
            raise NotFailed(id=mail_id, status=row.status)
        if not row.recipients:
            raise NoRecipient(id=mail_id)
        if row.kind in SECRET_KINDS:
            raise SecretGone(id=mail_id)
        uow.mails.requeue_failed(mail_id, now)
        uow.audit.add(actor=actor, numero=None, action="mail_retry", target=f"mail:{mail_id}",
                      before={"status": MailStatus.FAILED, "last_error": row.last_error},
                      after={"status": MailStatus.PENDING, "kind": row.kind, "reason": reason}, now=now)
        uow.commit()
