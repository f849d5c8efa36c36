"""`/adherents` and `/adherents/{numero}`: companies, and the buttons of the Agence Virtuelle's use cases."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from provisioner.service import companies, history, operator_commands, subscriptions
from provisioner.service.read_models import companies as company_reads
from provisioner.service.read_models.paging import PAGE_SIZE
from provisioner.store.tables import ADHERENT_STATUSES
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording.labels import SKIP_REASON, label
from provisioner.wording.phrases import DELEGATE_TOLD_NEXT_ROUND
from provisioner.workbook import layout

NUMERO = re.compile(r"[0-9]{4,10}")
# The workbook's own labels for what the company and its delegate filled in (never the password rows).
COMPANY_LABELS = {f.key: f.label for f in layout.ADHERENT_FIELDS}
DELEGUE_LABELS = {f.key: f.label for f in layout.DELEGUE_FIELDS if f.kind != layout.Kind.PASSWORD}


def _numero(web: Web) -> str:
    numero = str(web.request.path_params["numero"])
    if not NUMERO.fullmatch(numero):
        raise operator_commands.UnknownAdherent(numero=numero[:20])
    return numero


@guarded("lecture")
def adherent_list(web: Web) -> Response:
    q = web.query("q")
    status = web.choice("statut", ADHERENT_STATUSES)
    found = company_reads.search_adherents(web.ctx, q=q, status=status or None, page=page_number(web.request))
    return web.render("adherents.html", found=found, filters={"q": q, "statut": status},
                      statuses=ADHERENT_STATUSES)


@guarded("lecture")
def adherent_page(web: Web) -> Response:
    numero = _numero(web)
    detail = company_reads.adherent_detail(web.ctx, numero, accounts_page=page_number(web.request))
    # The latest changes only, like every list; each account's page has all of its own.
    changes = history.company_history(web.ctx, numero, limit=PAGE_SIZE + 1)
    return web.render("adherent.html", a=detail, company_labels=COMPANY_LABELS, delegue_labels=DELEGUE_LABELS,
                      changes=changes[:PAGE_SIZE], more_changes=len(changes) > PAGE_SIZE)


def _done(web: Web, numero: str, title: str, lines: list[str]) -> Response:
    return web.render("resultat.html", title=title, lines=lines,
                      back={"href": f"/adherents/{numero}", "label": f"Retour à l'adhérent {numero}"})


@guarded("validation", post=True)
def activate(web: Web) -> Response:
    numero = _numero(web)
    result = subscriptions.activate(web.ctx, numero, actor=web.operator.login, reason=web.field("motif") or None)
    lines = [f"{len(result.created)} compte(s) créé(s), {len(result.skipped)} non créé(s).",
             DELEGATE_TOLD_NEXT_ROUND]
    lines += [f"Non créé : {u['login']} ({label(SKIP_REASON, u['reason'])})" for u in result.skipped]
    return _done(web, numero, f"Abonnement de l'adhérent {numero} validé", lines)


@guarded("validation", post=True)
def unlock(web: Web) -> Response:
    numero = _numero(web)
    result = companies.unlock(web.ctx, numero, actor=web.operator.login, reason=web.field("motif") or None)
    line = (f"{result.failed_auth} échec(s) effacé(s)." if result.was_locked else
            f"Il n'était pas bloqué ; compteur d'échecs remis à zéro ({result.failed_auth} avant).")
    return _done(web, numero, f"Adhérent {numero} débloqué", [line])


@guarded("validation", post=True)
def reset_password(web: Web) -> Response:
    numero = _numero(web)
    result = companies.reset_admin_password(web.ctx, numero, actor=web.operator.login,
                                         reason=web.field("motif") or None)
    return _done(web, numero, "Nouveau mot de passe administrateur envoyé",
                 [(f"Envoyé par email à la personne déléguée enregistrée ({result.sent_to}). "
                   "Il n'est affiché nulle part.")])


routes = [
    Route("/adherents", adherent_list, methods=["GET"]),
    Route("/adherents/{numero}", adherent_page, methods=["GET"]),
    Route("/adherents/{numero}/activer", activate, methods=["POST"]),
    Route("/adherents/{numero}/debloquer", unlock, methods=["POST"]),
    Route("/adherents/{numero}/reinitialiser-mot-de-passe", reset_password, methods=["POST"]),
]
