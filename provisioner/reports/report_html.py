"""rapport.html: the report of one submission, for the person who sent it.

Written for someone in an HR department, not for a developer: the outcome
first in one French sentence, then what changed, then what to correct, then
what to do next. Everything that comes from the workbook or the file name is
escaped by Jinja2's autoescape; this module only builds plain strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from provisioner.domain.diff import before_after
from provisioner.domain.vocabulary import RequestType, SubmissionStatus
from provisioner.reports.files import write_atomic
from provisioner.reports.report_json import normalise_report
from provisioner.reports.report_model import (
    ChangeEntry,
    CompanyChangeEntry,
    FieldEntry,
    FindingEntry,
    Report,
    RequestEntry,
)
from provisioner.reports.report_view import (
    ChangeGroup,
    ChangeRow,
    CompanyChangeRow,
    FieldRow,
    FindingRow,
    ReportView,
    RequestRow,
)
from provisioner.wording import contact, dates
from provisioner.wording import report_text as text
from provisioner.wording.labels import (
    COMPANY_CHANGE,
    REQUEST_KIND,
    REQUEST_TYPE,
    action_label,
    capital,
    in_workbook_order,
    label,
    teleservice_name,
)
from provisioner.wording.phrases import counts_sentence

REPORT_NAME = "rapport.html"

# Link roles → the file name the pipeline gives that output in the folder.
SUBSCRIPTION_FORM = "subscription_form"
ANNOTATED_WORKBOOK = "annotated_workbook"
DEFAULT_LINKS: dict[str, str] = {
    SUBSCRIPTION_FORM: "formulaire-abonnement.pdf",
    ANNOTATED_WORKBOOK: "bordereau-annote.xlsx",
}

_SUBMISSION_TIME = re.compile(r"S(\d{8}T\d{6})(?:-|$)")


def write_report_html(
    report: Mapping[str, object],
    folder: str | Path,
    *,
    links: dict[str, str] | None = None,
    tz: str = dates.PEOPLE_TIMEZONE,
) -> Path:
    """Write `folder/rapport.html` atomically and return its path.

    `links` maps a role (SUBSCRIPTION_FORM, ANNOTATED_WORKBOOK) to a file
    name in `folder`; None means DEFAULT_LINKS. A link is shown only when its
    file exists, so the report never points at nothing.
    """
    folder = Path(folder)
    html = render_report_html(report, links=existing_links(folder, links), tz=tz)
    return write_atomic(folder / REPORT_NAME, html)


def render_report_html(
    report: Mapping[str, object], *, links: Mapping[str, str] | None = None,
    tz: str = dates.PEOPLE_TIMEZONE,
) -> str:
    """The HTML text; `links` are taken as they are (already checked)."""
    view = build_view(normalise_report(report), links or {}, tz)
    return _environment().get_template("rapport.html.j2").render(view)


def existing_links(folder: Path, links: Mapping[str, str] | None) -> dict[str, str]:
    """The links whose target is a file directly inside `folder`."""
    wanted = DEFAULT_LINKS if links is None else links
    unknown = set(wanted) - set(DEFAULT_LINKS)
    if unknown:
        raise ValueError(f"unknown link role(s): {', '.join(sorted(unknown))}")
    # Only a bare file name: a report must not link outside its own folder.
    return {
        role: name for role, name in wanted.items()
        if name and Path(name).name == name and name not in (".", "..")
        and (folder / name).is_file()
    }


# --- The outcome sentence ----------------------------------------------------

def outcome_sentence(report: Mapping[str, object], tz: str = dates.PEOPLE_TIMEZONE) -> str:
    """The one French sentence that says what happened to the submission."""
    report = normalise_report(report)
    status, request_type = report["status"], report["request_type"]
    if status == SubmissionStatus.DUPLICATE:
        when = submission_time(report["duplicate_of"], dates.zone(tz))
        return text.duplicate_on(when) if when else text.DUPLICATE
    if status == SubmissionStatus.REJECTED:
        return text.rejected(len(report["errors"]), controle=request_type == RequestType.CONTROLE)
    if request_type == RequestType.CONTROLE:
        return text.CONTROLE_ACCEPTED
    if request_type == RequestType.ABONNEMENT:
        return text.subscription_recorded(report["counts"]["created"])
    if report["held"]:
        return text.HELD
    return text.accepted(counts_sentence(report["counts"]))


# --- The view the template renders -------------------------------------------

def build_view(report: Report, links: Mapping[str, str], tz: str) -> ReportView:
    """Everything the template shows, as plain strings, lists and flags."""
    zone = dates.zone(tz)
    status, request_type = report["status"], report["request_type"]
    controle = request_type == RequestType.CONTROLE
    return {
        "outcome": outcome_sentence(report, tz),
        "tone": _tone(report),
        "status": status,
        "request_type": request_type,
        "controle": controle,
        "held": report["held"],
        "submission_id": report["submission_id"],
        "file": report["file"],
        "received": dates.french(report["received_at"], zone),
        "adherent": report["adherent"],
        "raison_sociale": report["raison_sociale"],
        "request_type_label": REQUEST_TYPE.get(request_type or ""),
        "sha256": report["sha256"],
        "batch": report["batch"],
        "duplicate_of": report["duplicate_of"],
        "changes_heading": _changes_heading(report),
        "groups": group_changes(report["changes"]) if status == SubmissionStatus.ACCEPTED else [],
        "creates_or_resets": bool(report["counts"]["created"] or report["counts"]["reset_password"]),
        "company_changes": [_company_change(c, controle) for c in report["company_changes"]],
        "requests": [_request(r) for r in report["requests"]],
        "errors": [_finding(f) for f in report["errors"]],
        "warnings": [_finding(f) for f in report["warnings"]],
        # Every role present (None when absent): the template tests them by name.
        "links": {role: quote(links[role]) if links.get(role) else None for role in DEFAULT_LINKS},
        "address": contact.ADDRESS,
        "address_line": ", ".join(contact.ADDRESS),
    }


def group_changes(changes: list[ChangeEntry]) -> list[ChangeGroup]:
    """One table per téléservice, in the workbook's order; an unknown key last, as is."""
    groups: dict[str, list[ChangeRow]] = {}
    for change in changes:
        groups.setdefault(change["teleservice"], []).append({
            "action": action_label(change["action"]),
            "login": change["login"],
            "fields": _fields(change["fields"]),
        })
    return [{"name": teleservice_name(k), "rows": groups[k]} for k in in_workbook_order(groups)]


def _changes_heading(report: Report) -> str:
    if report["request_type"] == RequestType.CONTROLE:
        return text.CHANGES_CONTROLE
    if report["request_type"] == RequestType.ABONNEMENT:
        return text.CHANGES_SUBSCRIPTION
    if report["held"]:
        return text.CHANGES_HELD
    return text.CHANGES_DONE


def _fields(fields: list[FieldEntry]) -> list[FieldRow]:
    """Each value that changes, as a row of the before → after table (a secret: that it changed)."""
    rows: list[FieldRow] = []
    for field in fields:
        old, new = before_after(field)
        rows.append({"column": str(field["column"]), "old": old, "new": new})
    return rows


def _company_change(change: CompanyChangeEntry, controle: bool) -> CompanyChangeRow:
    if change["status"] == "applied":
        state = text.COMPANY_WOULD_APPLY if controle else text.COMPANY_APPLIED
    else:
        state = text.COMPANY_WOULD_WAIT if controle else text.COMPANY_WAITING
    return {
        "label": capital(label(COMPANY_CHANGE, change["kind"])),
        "summary": change["summary"] or "",
        "fields": _fields(change.get("fields") or []),
        "state": state,
        "waiting": change["status"] != "applied",
    }


def _request(request: RequestEntry) -> RequestRow:
    return {
        "id": request["id"],
        "kind": request["kind"],
        "label": capital(label(REQUEST_KIND, request["kind"])),
        "summary": request["summary"] or "",
    }


def _finding(finding: FindingEntry) -> FindingRow:
    if finding["cell"]:
        place = finding["cell"]
    elif finding["row"]:
        place = text.line(finding["row"])
    else:
        place = text.NO_PLACE
    return {
        "sheet": finding["sheet"] or text.WHOLE_FILE,
        "place": place,
        "column": finding["column"],
        "message": finding["message"],
        "code": finding["code"],
    }


def _tone(report: Report) -> str:
    """CSS class of the outcome banner."""
    if report["status"] == SubmissionStatus.REJECTED:
        return "bad"
    if report["status"] == SubmissionStatus.DUPLICATE:
        return "neutral"
    if report["request_type"] == RequestType.CONTROLE:
        return "info"
    if report["request_type"] == RequestType.ABONNEMENT or report["held"] or report["requests"]:
        return "wait"
    return "ok"


# --- Dates -------------------------------------------------------------------

def submission_time(submission_id: str | None, zone: tzinfo) -> str:
    """When a submission was received, read from its id (`S20261126T185500-…`, UTC)."""
    match = _SUBMISSION_TIME.match(submission_id or "")
    if not match:
        return ""
    moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return dates.french(moment, zone)


@cache
def _environment() -> Environment:
    # Autoescape unconditionally: the template's ".j2" suffix would defeat
    # select_autoescape, and the file name and every message are untrusted.
    return Environment(
        loader=PackageLoader("provisioner.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
