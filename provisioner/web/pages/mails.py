"""`/courriels`: emails failed or waiting; a failed one can be sent again."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.domain.vocabulary import MailStatus
from provisioner.service.agence.mail_retry import UnknownMail, retry_mail
from provisioner.service.read_models import mails
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import web_pages as text


@guarded("lecture")
def mail_list(web: Web) -> Response:
    status = web.choice("statut", (MailStatus.PENDING, MailStatus.FAILED))
    found = mails.list_mails(web.ctx, status=status, page=page_number(web.request))
    return web.render("courriels.html", found=found, statut=status)


@guarded("validation", post=True)
def retry(web: Web) -> Response:
    raw = str(web.request.path_params["id"])
    if not raw.isdigit() or len(raw) > 9:
        raise UnknownMail(id=raw[:20])
    retry_mail(web.ctx, int(raw), actor=web.operator.login, reason=web.field("motif") or None)
    return web.render("resultat.html", title=text.mail_requeued(raw), lines=[text.MAIL_NEXT_ROUND],
                      back={"href": "/courriels", "label": text.BACK_TO_MAILS})


routes = [
    Route("/courriels", mail_list, methods=["GET"]),
    Route("/courriels/{id}/renvoyer", retry, methods=["POST"]),
]
