"""`/soumissions`: recent submissions with filters; `/soumissions/{id}`: its report, files and emails."""

from __future__ import annotations

import re
from datetime import date

from starlette.responses import FileResponse, Response
from starlette.routing import Route

from provisioner.reports.dashboard import ANNOTATED, REPORT_HTML, SUBSCRIPTION_FORM
from provisioner.service import lookup
from provisioner.store.tables import SUBMISSION_STATUSES
from provisioner.web.guard import Web, guarded, page_number

SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# What a submission's folder may hold, and how each is offered (never a path taken from the request).
FILES = {
    REPORT_HTML: ("Rapport (HTML)", "text/html; charset=utf-8"),
    "rapport.json": ("Rapport (JSON)", "application/json"),
    ANNOTATED: ("Bordereau annoté", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    SUBSCRIPTION_FORM: ("Formulaire d'abonnement (PDF)", "application/pdf"),
}


@guarded("lecture")
def submission_list(web: Web) -> Response:
    params = web.request.query_params
    adherent = params.get("adherent", "").strip()[:10]
    status = params.get("statut", "")
    status = status if status in SUBMISSION_STATUSES else ""
    day = _day(params.get("date", ""))
    found = lookup.list_submissions(web.ctx, adherent=adherent, status=status, day=day,
                                    page=page_number(web.request))
    return web.render("soumissions.html", found=found, statuses=SUBMISSION_STATUSES,
                      filters={"adherent": adherent, "statut": status, "date": day.isoformat() if day else ""})


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


@guarded("lecture")
def submission_page(web: Web) -> Response:
    submission_id = web.request.path_params["id"]
    if not SUBMISSION_ID.fullmatch(submission_id):
        raise lookup.UnknownSubmission(id=submission_id[:40])
    detail = lookup.submission_detail(web.ctx, submission_id)
    folder = web.ctx.outbox / submission_id
    files = [{"name": name, "label": label} for name, (label, _) in FILES.items() if (folder / name).is_file()]
    return web.render("soumission.html", s=detail, report=detail["report"], files=files)


@guarded("lecture")
def submission_file(web: Web) -> Response:
    submission_id, name = web.request.path_params["id"], web.request.path_params["name"]
    if not SUBMISSION_ID.fullmatch(submission_id) or name not in FILES:
        raise lookup.UnknownSubmission(id=submission_id[:40])
    lookup.submission_detail(web.ctx, submission_id)  # only the files of a submission the store knows
    path = web.ctx.outbox / submission_id / name
    if not path.is_file():
        raise lookup.UnknownSubmission(id=submission_id)
    return FileResponse(path, media_type=FILES[name][1], filename=f"{submission_id}-{name}",
                        content_disposition_type="attachment")


routes = [
    Route("/soumissions", submission_list, methods=["GET"]),
    Route("/soumissions/{id}", submission_page, methods=["GET"]),
    Route("/soumissions/{id}/fichiers/{name}", submission_file, methods=["GET"]),
]
