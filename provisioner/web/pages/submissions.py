"""`/soumissions`: recent submissions with filters; `/soumissions/{id}`: its report, files and emails, and
the button that undoes it; `/annulations/{id}`: a revert, which can itself be undone.

Undoing calls the CLI's use case (service.revert.revert) with the signed-in
operator, which records the action in the audit. A refusal because later
changes touched the accounts shows them on the page, and nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypedDict

from starlette.responses import FileResponse, Response
from starlette.routing import Route

from provisioner.reports.dashboard import ANNOTATED, REPORT_HTML, SUBSCRIPTION_FORM
from provisioner.reports.report_model import Report
from provisioner.service.agence import revert as reverting
from provisioner.service.read_models import change_sets as changes
from provisioner.service.read_models.duplicates import duplicate_report, list_duplicates
from provisioner.service.read_models.errors import UnknownSubmission
from provisioner.service.read_models.exports import in_chunks
from provisioner.service.read_models.submissions import (
    SORTS,
    Cursor,
    SubmissionRow,
    filter_submissions,
    list_submissions,
    submission_columns,
    submission_detail,
)
from provisioner.store.tables import SUBMISSION_STATUSES
from provisioner.store.tables import submissions as submissions_table
from provisioner.web.csv_export import csv_response, spreadsheet_time
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import dates
from provisioner.wording import web_pages as text
from provisioner.wording.labels import DOOR, REQUEST_TYPE, SUBMISSION_BADGE, label

SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# What a submission's folder may hold, and how each is offered (never a path taken from the request).
FILES = {
    REPORT_HTML: (text.REPORT_HTML_FILE, "text/html; charset=utf-8"),
    "rapport.json": (text.REPORT_JSON_FILE, "application/json"),
    ANNOTATED: (text.ANNOTATED_FILE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    SUBSCRIPTION_FORM: (text.FORM_FILE, "application/pdf"),
}


DUPLICATE = "duplicate"  # a status the list filters on, though a duplicate has no row (read_models.duplicates)
SORT_LABELS = text.SUBMISSION_SORTS


class Filters(TypedDict):
    """The list's filters, as the read model takes them (list_submissions, filter_submissions)."""

    adherent: str
    status: str
    day: date | None
    batch: str


def _filters(web: Web) -> Filters:
    return {"adherent": web.query("adherent", 10), "status": web.choice("statut", SUBMISSION_STATUSES),
            "day": web.day("date"), "batch": web.query("lot", 64)}


@guarded("lecture")
def submission_list(web: Web) -> Response:
    if web.query("statut", 16) == DUPLICATE:
        return _duplicate_list(web)
    chosen = _filters(web)
    sort = web.choice("tri", SORTS) or "recent"
    after = Cursor.parse(web.query("apres", 80))
    found = list_submissions(web.ctx, **chosen, sort=sort, page=page_number(web.request), after=after)
    day = chosen["day"]
    filters = {"adherent": chosen["adherent"], "statut": chosen["status"], "date": day.isoformat() if day else "",
               "lot": chosen["batch"], "tri": "" if sort == "recent" else sort}
    return web.render("soumissions.html", found=found, statuses=(*SUBMISSION_STATUSES, DUPLICATE), filters=filters,
                      sorts=SORT_LABELS)


def _duplicate_list(web: Web) -> Response:
    """Files received again: the company, the batch and the sort apply to submissions only (a duplicate's
    company is in its report, not in the store), so the page says so rather than ignore them silently."""
    day = web.day("date")
    found = list_duplicates(web.ctx, day=day, page=page_number(web.request))
    ignored = bool(web.query("adherent", 10) or web.query("lot", 64) or web.query("tri", 16))
    filters = {"statut": DUPLICATE, "date": day.isoformat() if day else "", "adherent": "", "lot": "", "tri": ""}
    return web.render("soumissions_doublons.html", found=found, statuses=(*SUBMISSION_STATUSES, DUPLICATE),
                      filters=filters, sorts=SORT_LABELS, ignored=ignored, doors=DOOR)


@guarded("lecture")
def submission_export(web: Web) -> Response:
    """Every submission the page's filters keep, newest first."""
    query = filter_submissions(submission_columns(), **_filters(web))
    rows = in_chunks(web.ctx, query, [submissions_table.c.received_at, submissions_table.c.id], SubmissionRow,
                     descending=True)
    return csv_response("soumissions.csv", text.SUBMISSIONS_HEADER,
                        ([spreadsheet_time(r["received_at"]), r["id"], r["file_name"], r["adherent_numero"],
                          label(REQUEST_TYPE, r["request_type"] or ""), label(SUBMISSION_BADGE, r["status"]),
                          r["errors"] or 0] for r in rows))


def _submission_id(web: Web) -> str:
    submission_id = str(web.request.path_params["id"])
    if not SUBMISSION_ID.fullmatch(submission_id):
        raise UnknownSubmission(id=submission_id[:40])
    return submission_id


def _show_submission(web: Web, status_code: int = 200, **revert_form: object) -> Response:
    submission_id = _submission_id(web)
    detail = submission_detail(web.ctx, submission_id)
    folder = web.ctx.outbox / submission_id
    files = [{"name": name, "label": label} for name, (label, _) in FILES.items() if (folder / name).is_file()]
    return web.render("soumission.html", status_code, s=detail, report=detail["report"], files=files,
                      undone=changes.revert_of(web.ctx, submission_id), **_form_state(revert_form))


def _form_state(given: Mapping[str, object]) -> dict[str, object]:
    """What the revert form shows: a refusal's message and the later changes, the reason typed."""
    return {"revert_error": given.get("error", ""), "later": given.get("later", []),
            "reason": given.get("reason", ""), "force": given.get("force", False)}


@guarded("lecture")
def submission_page(web: Web) -> Response:
    try:
        return _show_submission(web)
    except UnknownSubmission:
        duplicate = _duplicate_report(web)
        if duplicate is None:
            raise
    original = str(duplicate["duplicate_of"])
    return web.render("resultat.html", title=text.duplicate_title(duplicate.get("submission_id") or ""),
                      lines=[text.duplicate_line(duplicate.get("file") or "",
                                                 dates.french(duplicate.get("received_at")))],
                      back={"href": "/soumissions", "label": text.BACK_TO_SUBMISSIONS},
                      more={"href": f"/soumissions/{original}", "label": text.see_original(original)})


def _duplicate_report(web: Web) -> Report | None:
    """A duplicate has no row of its own (its file's SHA-256 is the original's): its report in the outbox
    says which submission it repeats."""
    report = duplicate_report(web.ctx.outbox, _submission_id(web))
    if report is None:
        return None
    original = report.get("duplicate_of")
    return report if isinstance(original, str) and SUBMISSION_ID.fullmatch(original) else None


def _show_revert(web: Web, status_code: int = 200, **revert_form: object) -> Response:
    revert_id = _submission_id(web)
    found = changes.show_revert(web.ctx, revert_id)
    return web.render("annulation.html", status_code, r=found, **_form_state(revert_form))


@guarded("lecture")
def revert_page(web: Web) -> Response:
    return _show_revert(web)


def _undo(web: Web, show: Callable[..., Response]) -> Response:
    target = _submission_id(web)
    reason, force = web.field("motif", 500), web.field("forcer") == "oui"
    if not reason:
        return show(web, 400, error=text.REVERT_NEEDS_REASON, force=force)
    try:
        done = reverting.revert(web.ctx, target, operator=web.operator.login, reason=reason, force=force)
    except reverting.LaterChanges as refused:
        return show(web, 409, error=text.revert_refused(refused.details["changed"]), later=refused.details["later"],
                    reason=reason)
    except reverting.AlreadyReverted as already:
        return show(web, 409, error=str(already))
    return web.render("annulee.html", done=done)


@guarded("validation", post=True)
def revert_submission(web: Web) -> Response:
    return _undo(web, _show_submission)


@guarded("validation", post=True)
def revert_revert(web: Web) -> Response:
    return _undo(web, _show_revert)


@guarded("lecture")
def submission_file(web: Web) -> Response:
    submission_id, name = _submission_id(web), web.request.path_params["name"]
    if name not in FILES:
        raise UnknownSubmission(id=submission_id[:40])
    submission_detail(web.ctx, submission_id)  # only the files of a submission the store knows
    path = web.ctx.outbox / submission_id / name
    if not path.is_file():
        raise UnknownSubmission(id=submission_id)
    return FileResponse(path, media_type=FILES[name][1], filename=f"{submission_id}-{name}",
                        content_disposition_type="attachment")


routes = [
    Route("/soumissions", submission_list, methods=["GET"]),
    Route("/soumissions.csv", submission_export, methods=["GET"]),
    Route("/soumissions/{id}", submission_page, methods=["GET"]),
    Route("/soumissions/{id}/fichiers/{name}", submission_file, methods=["GET"]),
    Route("/soumissions/{id}/annuler", revert_submission, methods=["POST"]),
    Route("/annulations/{id}", revert_page, methods=["GET"]),
    Route("/annulations/{id}/annuler", revert_revert, methods=["POST"]),
]
