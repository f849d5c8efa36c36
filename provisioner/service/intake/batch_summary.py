"""The summary of a batch: `outbox/lot-<batch>/synthese.json` and `synthese.html`, and the `batch_summary`
email to the batch's notification address."""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict, cast

from jinja2 import Environment, PackageLoader, StrictUndefined

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.mail.queue import enqueue
from provisioner.reports.files import write_atomic
from provisioner.reports.report_json import SCHEMA
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.wording import intake as intake_text
from provisioner.wording.dates import date_fr
from provisioner.wording.labels import request_type_label, status_label
from provisioner.wording.phrases import counts_summary, nombre

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext
    from provisioner.service.intake.batch import BatchResult

log = logging.getLogger(__name__)

SUMMARY_JSON = "synthese.json"
SUMMARY_HTML = "synthese.html"


def summary_folder(ctx: ServiceContext, batch_id: str) -> Path:
    return ctx.outbox / f"lot-{batch_id}"


class SummaryLine(TypedDict):
    """A member as synthese.json lists it: its BatchLine without `_notify`, with its report's link."""

    index: int
    file: str
    status: str
    submission_id: str | None
    adherent: str | None
    raison_sociale: NotRequired[str | None]
    request_type: str | None
    errors: int
    warnings: int
    counts: dict[str, int]
    report: str | None


class BatchSummary(TypedDict):
    """synthese.json."""

    schema: int
    batch: str
    file: str
    received_at: str
    status: str  # processed | refused
    errors: list[dict[str, str]]  # the zip's own refusal: code, message
    totals: dict[str, int]  # by status, and `workbooks`
    workbooks: list[SummaryLine]


def summary(result: BatchResult, zip_name: str, received_at: str) -> BatchSummary:
    # Built from the line as it is (its keys in their order), less what is private to the service.
    workbooks = [cast(SummaryLine, {k: v for k, v in line.items() if not k.startswith("_")}) for line in result.lines]
    for line in workbooks:
        line["report"] = f"../{line['submission_id']}/rapport.html" if line["submission_id"] else None
    statuses = (SubmissionStatus.ACCEPTED, SubmissionStatus.HELD, SubmissionStatus.REJECTED, SubmissionStatus.DUPLICATE,
                "error")
    return {
        "schema": SCHEMA, "batch": result.batch_id, "file": zip_name, "received_at": received_at,
        "status": "refused" if result.refused else "processed",
        "errors": ([{"code": result.refused.code, "message": result.refused.message}] if result.refused else []),
        "totals": {s: result.count(s) for s in statuses if result.count(s)} | {"workbooks": len(workbooks)},
        "workbooks": workbooks,
    }


def write_summary(ctx: ServiceContext, result: BatchResult, zip_name: str, received_at: str) -> Path:
    data = summary(result, zip_name, received_at)
    folder = summary_folder(ctx, result.batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / SUMMARY_JSON, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    write_atomic(folder / SUMMARY_HTML, _environment().get_template("synthese.html.j2").render(s=data))
    return folder


def queue_summary(ctx: ServiceContext, result: BatchResult, zip_name: str, received_at: str) -> None:
    address = next((line["_notify"] for line in result.lines if line.get("_notify")), None)
    if address is None or not result.lines:
        log.info("batch id=%s: no notification address, no summary email", result.batch_id)
        return
    items = [{"file": line["file"],
              "status": SubmissionStatus.REJECTED if line["status"] == "error" else line["status"],
              "adherent": line["adherent"], "request_type": line["request_type"],
              "submission_id": line["submission_id"] or "—", "errors": line["errors"],
              "warnings": line["warnings"]} for line in result.lines]
    html = summary_folder(ctx, result.batch_id) / SUMMARY_HTML
    with UnitOfWork(ctx) as uow:
        enqueue(uow.mails, kind="batch_summary", recipients=[address],
                context={"batch": {"file": zip_name, "received_at": received_at}, "items": items},
                attachments=[html], now=ctx.clock())
        uow.commit()


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("provisioner.service.intake", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(date_fr=date_fr, request_type=request_type_label, counts_summary=counts_summary,
                       nombre=nombre, status=lambda s: intake_text.INTERNAL_ERROR if s == "error" else status_label(s))
    return env
