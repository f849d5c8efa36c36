"""`/adherents` and `/adherents/{numero}`: companies, and the buttons of the Agence Virtuelle's use cases."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from provisioner.service.agence import companies, history, operator_commands, subscriptions
from provisioner.service.read_models import companies as company_reads
from provisioner.service.read_models.paging import PAGE_SIZE
from provisioner.store.tables import ADHERENT_STATUSES
from provisioner.web.confirm import confirmation
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import results
from provisioner.wording import web_pages as text
from provisioner.wording.labels import SKIP_REASON, label

NUMERO = re.compile(r"[0-9]{4,10}")
SORT_LABELS = text.ADHERENT_SORTS
# The workbook's own labels for what the company and its delegate filled in (never the password rows).


def _numero(web: Web) -> str:
    numero = str(web.request.path_params["numero"])
    if not NUMERO.fullmatch(numero):
        raise operator_commands.UnknownAdherent(numero=numero[:20])
    return numero


@guarded("lecture")
def adherent_list(web: Web) -> Response:
    q = web.query("q")
    status = web.choice("statut", ADHERENT_STATUSES)
    sort = web.choice("tri", company_reads.SORTS) or "numero"
    found = company_reads.search_adherents(web.ctx, q=q, status=status or None, sort=sort,
                                           page=page_number(web.request))
    return web.render("adherents.html", found=found, statuses=ADHERENT_STATUSES, sorts=SORT_LABELS,
                      filters={"q": q, "statut": status, "tri": "" if sort == "numero" else sort})


@guarded("lecture")
def adherent_page(web: Web) -> Response:
    numero = _numero(web)
    detail = company_reads.adherent_detail(web.ctx, numero, accounts_page=page_number(web.request))
    # The latest changes only, like every list; each account's page has all of its own.
    changes = history.company_history(web.ctx, numero, limit=PAGE_SIZE + 1)
    return web.render("adherent.html", a=detail,
                      changes=changes[:PAGE_SIZE], more_changes=len(changes) > PAGE_SIZE)


def _done(web: Web, numero: str, title: str, lines: list[str]) -> Response:
    return web.render("resultat.html", title=title, lines=lines,
                      back={"href": f"/adherents/{numero}", "label": text.back_to_adherent(numero)})


@guarded("validation", post=True)
def activate(web: Web) -> Response:
    numero = _numero(web)
    result = subscriptions.activate(web.ctx, numero, actor=web.operator.login, reason=web.field("motif") or None)
    lines = [results.accounts_created(len(result.created), len(result.skipped)), results.DELEGATE_TOLD_NEXT_ROUND]
    lines += [text.not_created(u["login"], label(SKIP_REASON, u["reason"])) for u in result.skipped]
    return _done(web, numero, results.subscription_validated(numero), lines)


@guarded("validation", post=True)
def unlock(web: Web) -> Response:
    numero = _numero(web)
    result = companies.unlock(web.ctx, numero, actor=web.operator.login, reason=web.field("motif") or None)
    line = results.failures_cleared(result.failed_auth, was_locked=result.was_locked)
    return _done(web, numero, results.unlocked(numero), [line])


@guarded("validation", post=True)
def reset_password(web: Web) -> Response:
    numero = _numero(web)
    ask = confirmation(web, text.reset_password_question(numero), [text.RESET_PASSWORD_WHAT, text.IRREVERSIBLE],
                       text.RESET_PASSWORD_BUTTON, f"/adherents/{numero}")
    if ask is not None:
        return ask
    result = companies.reset_admin_password(web.ctx, numero, actor=web.operator.login,
                                         reason=web.field("motif") or None)
    return _done(web, numero, results.admin_password_sent(numero), [results.sent_to_delegate(result.sent_to)])


routes = [
    Route("/adherents", adherent_list, methods=["GET"]),
    Route("/adherents/{numero}", adherent_page, methods=["GET"]),
    Route("/adherents/{numero}/activer", activate, methods=["POST"]),
    Route("/adherents/{numero}/debloquer", unlock, methods=["POST"]),
    Route("/adherents/{numero}/reinitialiser-mot-de-passe", reset_password, methods=["POST"]),
]
