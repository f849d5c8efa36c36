"""`/demandes`: requests waiting for a signed letter; approve, or refuse with a reason (required)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.domain.vocabulary import RequestStatus
from provisioner.service.agence import decisions, operator_commands
from provisioner.service.agence.request_summary import request_summary
from provisioner.service.read_models.dashboard import RequestWithSummary
from provisioner.service.read_models.paging import PAGE_SIZE, Page
from provisioner.service.read_models.requests import list_requests
from provisioner.store.tables import REQUEST_KINDS
from provisioner.web.confirm import confirmation
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import results
from provisioner.wording import web_pages as text
from provisioner.wording.labels import SKIP_REASON, label


def _request_id(web: Web) -> int:
    raw = str(web.request.path_params["id"])
    if not raw.isdigit() or len(raw) > 9:
        raise operator_commands.UnknownRequest(id=raw[:20])
    return int(raw)


def _waiting(web: Web) -> Page[RequestWithSummary]:
    # Waiting requests are few (each needs a signed letter): the read model lists them all, the page cuts.
    number = page_number(web.request)
    kind = web.choice("type", REQUEST_KINDS)
    found = [r for r in list_requests(web.ctx, RequestStatus.WAITING) if not kind or r["kind"] == kind]
    start = (number - 1) * PAGE_SIZE
    rows = [RequestWithSummary(**r, summary=request_summary(r["kind"], r["payload"]))
            for r in found[start:start + PAGE_SIZE]]
    return Page(rows, number, len(found) > start + PAGE_SIZE, {"kind": kind, "total": len(found)})


@guarded("lecture")
def request_list(web: Web) -> Response:
    return web.render("demandes.html", found=_waiting(web), error="", error_id=None)


@guarded("validation", post=True)
def approve(web: Web) -> Response:
    request_id = _request_id(web)
    waiting = next((r for r in list_requests(web.ctx, "waiting") if r["id"] == request_id), None)
    if waiting is not None and waiting["kind"] == "mass_disable":
        ask = confirmation(web, text.approve_question(request_id),
                           [request_summary(waiting["kind"], waiting["payload"]), text.MASS_DISABLE_WHAT,
                            text.IRREVERSIBLE],
                           text.APPROVE_AND_DISABLE, f"/demandes#demande-{request_id}")
        if ask is not None:
            return ask
    decision = decisions.approve_request(web.ctx, request_id, actor=web.operator.login,
                                      reason=web.field("motif") or None)
    lines = [results.request_approved(len(decision.applied), len(decision.skipped))]
    lines += [text.ignored(s["login"], label(SKIP_REASON, s["reason"])) for s in decision.skipped]
    lines.append(results.notified(decision.notified))
    return _done(web, decision, text.request_approved(request_id), lines)


@guarded("validation", post=True)
def refuse(web: Web) -> Response:
    request_id = _request_id(web)
    reason = web.field("motif")
    if not reason:
        return web.render("demandes.html", 400, found=_waiting(web), error_id=request_id,
                          error=text.REFUSAL_NEEDS_REASON)
    decision = decisions.reject_request(web.ctx, request_id, reason=reason, actor=web.operator.login)
    return _done(web, decision, text.request_refused(request_id),
                 [text.NOTHING_APPLIED, results.notified(decision.notified)])


def _done(web: Web, decision: decisions.Decision, title: str, lines: list[str]) -> Response:
    return web.render("resultat.html", title=title, lines=lines,
                      back={"href": "/demandes", "label": text.BACK_TO_REQUESTS},
                      more={"href": f"/adherents/{decision.numero}", "label": text.see_adherent(decision.numero)})


routes = [
    Route("/demandes", request_list, methods=["GET"]),
    Route("/demandes/{id}/approuver", approve, methods=["POST"]),
    Route("/demandes/{id}/refuser", refuse, methods=["POST"]),
]
