"""The summary of a batch: `outbox/lot-<batch>/synthese.json` and `synthese.html`, and the `batch_summary`
email to the batch's notification address."""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined

from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.mail.queue import enqueue
from provisioner.reports.files import write_atomic
from provisioner.reports.report_json import SCHEMA
from provisioner.service.unit_of_work import UnitOfWork
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


def summary(result: BatchResult, zip_name: str, received_at: str) -> dict[str, Any]:
    workbooks = [{k: v for k, v in line.items() if not k.startswith("_")} for line in result.lines]
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
    write_atomic(folder / SUMMARY_HTML, _environment().from_string(_HTML).render(s=data))
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
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(date_fr=date_fr, request_type=request_type_label, counts_summary=counts_summary,
                       nombre=nombre, status=lambda s: "erreur interne" if s == "error" else status_label(s))
    return env


_HTML = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Synthèse du lot {{ s.batch }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1f2933; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border: 1px solid #dde1e6; vertical-align: top; }
th { background: #f4f5f7; }
.accepted { color: #027a48; } .rejected, .error { color: #b42318; }
.duplicate { color: #52606d; } .held { color: #b54708; }
.refused { border-left: 4px solid #b42318; padding: .5rem 1rem; background: #fef3f2; }
</style>
</head>
<body>
<h1>Synthèse du lot « {{ s.file }} »</h1>
<p>Reçu le {{ s.received_at|date_fr }} – référence du lot {{ s.batch }}.</p>
{% if s.errors %}
<div class="refused">
<p><strong>Le lot n'a pas été traité.</strong></p>
{% for e in s.errors %}<p>{{ e.message }} <small>({{ e.code }})</small></p>{% endfor %}
</div>
{% else %}
<p>{{ s.workbooks|length|nombre("classeur traité", "classeurs traités") }} séparément :
{{ s.totals.get("accepted", 0)|nombre("accepté", "acceptés") }},
{% if s.totals.get("held") %}{{ s.totals.held|nombre("en attente", "en attente") }}, {% endif %}
{{ s.totals.get("rejected", 0)|nombre("rejeté", "rejetés") }},
{{ s.totals.get("duplicate", 0)|nombre("déjà traité", "déjà traités") }}{% if s.totals.get("error") %},
{{ s.totals.error|nombre("en erreur", "en erreur") }}{% endif %}.</p>
<table>
<thead><tr><th>N°</th><th>Classeur</th><th>Adhérent</th><th>Demande</th><th>Résultat</th>
<th>Changements</th><th>Rapport</th></tr></thead>
<tbody>
{% for w in s.workbooks %}
<tr>
<td>{{ w.index }}</td>
<td>{{ w.file }}</td>
<td>{{ w.adherent or "" }}{% if w.raison_sociale %}<br><small>{{ w.raison_sociale }}</small>{% endif %}</td>
<td>{{ w.request_type|request_type }}</td>
<td class="{{ w.status }}"><strong>{{ w.status|status }}</strong>
{% if w.errors %}<br>{{ w.errors|nombre("erreur", "erreurs") }}{% endif %}
{% if w.warnings %}<br>{{ w.warnings|nombre("avertissement", "avertissements") }}{% endif %}</td>
<td>{{ w.counts|counts_summary|join(", ") }}</td>
<td>{% if w.report %}<a href="{{ w.report }}">{{ w.submission_id }}</a>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endif %}
<p>Chaque classeur a son propre rapport ; pour un classeur « Contrôle seul », « accepté » signifie qu'il
serait accepté tel quel : rien n'a été appliqué.</p>
</body>
</html>
"""
