"""A fiduciary's zip of workbooks: each member processed on its own, then one summary for the batch.

The zip is hostile like any file: its directory is checked before anything
is inflated (entries, total size, ratio per entry), members are known by the
base name of their entry only (no path is ever built from it), directories,
`__MACOSX/`, dotfiles and lock files are skipped, and each member is
inflated in bounded chunks to a scratch file of our own name. A member that
is not a readable `.xlsx` gets its own rejected report and does not stop
the others.

Progress is kept in the claim's sidecar (the batch id, each member's line):
a batch interrupted by a stop or a crash resumes where it was, and a member
that was processed is not processed again.

Outputs: `outbox/lot-<batch>/synthese.json` and `synthese.html`, and a
`batch_summary` email to the batch's notification address.
"""

from __future__ import annotations

import logging
import secrets
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, StrictUndefined

from provisioner.domain.vocabulary import RequestType
from provisioner.mail.queue import enqueue
from provisioner.reports.files import write_atomic
from provisioner.service import claimed_file, faults
from provisioner.service.names import display_name
from provisioner.service.unit_of_work import UnitOfWork
from provisioner.wording.dates import date_fr
from provisioner.wording.labels import request_type_label, status_label
from provisioner.wording.phrases import counts_summary, nombre
from provisioner.workbook.safety import MAX_ENTRIES, MAX_TOTAL_UNCOMPRESSED, ZIP_MAGIC, zip_caps_fault

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext
    from provisioner.service.inbox import ClaimInfo, Workspace
    from provisioner.service.submission import Outcome

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
SUMMARY_JSON = "synthese.json"
SUMMARY_HTML = "synthese.html"
AUTH_CODES = frozenset({"AUTH_FAILED", "ACCOUNT_LOCKED"})
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # the zip local file header, 30 bytes


class BatchRefused(Exception):
    """The zip itself cannot be taken; `code` and `message` (French) say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass
class BatchResult:
    batch_id: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    refused: BatchRefused | None = None

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line["status"] == status)


def new_batch_id(now: datetime) -> str:
    return f"L{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def is_batch(path: Path, name: str) -> bool:
    """A `.zip` by its name AND its bytes, and not a workbook that was given a `.zip` name."""
    if PurePosixPath(name.lower()).suffix != ".zip":
        return False
    with path.open("rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return True  # a broken zip: refused as a batch, with a message about the zip
    return not {"[Content_Types].xml", "xl/workbook.xml"} <= names


def handle_batch(ctx: ServiceContext, workspace: Workspace, work: Path, info: ClaimInfo, *,
                 should_stop: Callable[[], bool] = lambda: False,
                 on_member: Callable[[int, int], None] | None = None) -> BatchResult | None:
    """Process every member of the claimed zip `work`; None when stopped before the end (resumed later).

    On return the zip has left the work folder: deleted once every member was
    handled, or quarantined when the zip itself was refused.
    """
    resumed = "batch" in info.extra
    batch_id = info.extra.get("batch") or new_batch_id(ctx.clock())
    received_at = info.extra.get("received_at") or ctx.clock().isoformat(timespec="seconds")
    done: dict[str, dict[str, Any]] = dict(info.extra.get("done") or {})
    workspace.remember(work, batch=batch_id, received_at=received_at)
    result = BatchResult(batch_id)
    try:
        with zipfile.ZipFile(work) as archive:
            members = _members(archive)
            scratch = work.with_name(work.name + ".d")
            scratch.mkdir(exist_ok=True)
            for position, (index, display, entry) in enumerate(members, start=1):
                if should_stop():
                    log.info("batch id=%s stopped after %d of %d workbooks", batch_id, position - 1, len(members))
                    return None
                key = str(index)
                if key not in done:
                    known = {line["submission_id"] for line in done.values() if line["submission_id"]}
                    done[key] = _member(ctx, archive, entry, scratch / f"m{index:03d}", display, index,
                                        batch_id, info.claimed_at if resumed else None, known)
                    workspace.remember(work, done=done)
                    workspace.heartbeat()
                result.lines.append(done[key])
                if on_member:
                    on_member(position, len(members))
    except BatchRefused as refused:
        result.refused = refused
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
        if faults.classify(error, ctx.settings) is not None:
            raise  # our disk, not the zip: the batch stays claimed and resumes where it was
        claimed_file.log_failure("batch", batch_id, error)
        result.refused = BatchRefused("FILE_UNREADABLE", "Le fichier .zip est endommagé ou incomplet : "
                                      "recréez l'archive et déposez-la à nouveau.")
    _write_summary(ctx, result, info.name, received_at)
    if result.refused is not None:
        claimed_file.quarantine(ctx, work, batch_id, info.name)
        log.warning("batch id=%s refused code=%s", batch_id, result.refused.code)
    else:
        if not info.extra.get("summary_queued"):
            _queue_summary(ctx, result, info.name, received_at)
            workspace.remember(work, summary_queued=True)
        work.unlink(missing_ok=True)
    log.info("batch id=%s workbooks=%d accepted=%d rejected=%d duplicate=%d", batch_id, len(result.lines),
             result.count("accepted"), result.count("rejected"), result.count("duplicate"))
    return result


# -- the zip's directory ---------------------------------------------------------


def _members(archive: zipfile.ZipFile) -> list[tuple[int, str, zipfile.ZipInfo]]:
    """(number in the zip, base name, entry) of the members to process, after the directory checks."""
    infos = archive.infolist()
    fault = zip_caps_fault(infos)  # the caps of any zip (safety.py)
    if fault == "entries":
        raise BatchRefused("FILE_TOO_LARGE", f"Le lot contient {len(infos)} éléments ; la limite est de "
                           f"{MAX_ENTRIES} classeurs par fichier .zip. Répartissez-les en plusieurs lots.")
    if fault == "total":
        raise BatchRefused("FILE_TOO_LARGE", "Le lot décompressé dépasse "
                           f"{MAX_TOTAL_UNCOMPRESSED // (1024 * 1024)} Mo. Répartissez les classeurs en "
                           "plusieurs lots.")
    if fault == "ratio":
        raise BatchRefused("FILE_TOO_LARGE", "Le fichier .zip se décompresse à une taille anormale "
                           "(fichier piégé ?). Recréez l'archive avec les seuls classeurs.")
    members = []
    for index, info in enumerate(infos, start=1):
        display = member_name(info)
        if display is not None:
            members.append((index, display, info))
    if not members:
        raise BatchRefused("FILE_UNREADABLE", "Le fichier .zip ne contient aucun classeur.")
    return members


def member_name(info: zipfile.ZipInfo) -> str | None:
    """The base name of a member to process, or None for what a batch may hold besides workbooks."""
    raw = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: zipfile read it as cp437
        try:
            raw = raw.encode("cp437").decode("utf-8")
        except UnicodeError:
            try:
                raw = raw.encode("cp437").decode("cp850")  # Windows' OEM code page in French
            except UnicodeError:
                pass
    parts = [p for p in raw.replace("\\", "/").split("/") if p]
    if info.is_dir() or not parts or parts[0] == "__MACOSX":
        return None
    base = parts[-1]
    if base.startswith((".", "~$")) or base.lower() in ("thumbs.db", "desktop.ini"):
        return None
    return display_name(base)


# -- one member ------------------------------------------------------------------


def _member(ctx: ServiceContext, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, scratch: Path, display: str,
            index: int, batch_id: str, resumed_since: datetime | None, known: set[str]) -> dict[str, Any]:
    ref = f"{batch_id}#{index}"
    try:
        _extract(archive, entry, scratch, ctx.max_bytes + 1)
        outcome = claimed_file.handle_one(ctx, scratch, display, resumed_since=resumed_since, batch=batch_id,
                                    known=known)
    except Exception as error:  # one member never stops the others
        if faults.classify(error, ctx.settings) is not None:
            raise  # the database or a folder of ours: the batch waits, this member is not at fault
        claimed_file.log_failure("batch member", ref, error)
        if scratch.exists():
            claimed_file.quarantine(ctx, scratch, f"{batch_id}-{index:03d}", display)
        return {"index": index, "file": display, "status": "error", "submission_id": None, "adherent": None,
                "request_type": None, "errors": 0, "warnings": 0, "counts": {}, "_notify": None}
    return _line(index, display, outcome)


def _extract(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, limit: int) -> None:
    """Inflate `entry` to `target`, at most `limit` bytes; what cannot be inflated is kept as stored.

    A member over the limit is cut at limit + 1 bytes: its report then says
    it is too large. An encrypted or damaged member keeps its stored bytes,
    which its report calls unreadable.
    """
    written = 0
    try:
        with archive.open(entry) as source, target.open("wb") as sink:
            while written < limit and (chunk := source.read(min(CHUNK, limit - written))):
                sink.write(chunk)
                written += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError):
        target.write_bytes(_stored_bytes(archive, entry, limit))


def _stored_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    handle = archive.fp
    if handle is None:
        return b""
    try:
        handle.seek(entry.header_offset)
        header = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        handle.seek(header[-2] + header[-1], 1)  # file name and extra field
        return handle.read(min(entry.compress_size, limit))
    except (OSError, struct.error):
        return b""


def _line(index: int, display: str, outcome: Outcome) -> dict[str, Any]:
    report = outcome.report
    status = "held" if report.get("held") and outcome.status == "accepted" else outcome.status
    return {
        "index": index, "file": display, "status": status, "submission_id": outcome.submission_id,
        "adherent": report.get("adherent"), "raison_sociale": report.get("raison_sociale"),
        "request_type": report.get("request_type"), "errors": len(report.get("errors") or []),
        "warnings": len(report.get("warnings") or []), "counts": dict(report.get("counts") or {}),
        "_notify": _notification_address(outcome),
    }


def _notification_address(outcome: Outcome) -> str | None:
    """The workbook's `Email de notification`, when it may be trusted: an Abonnement or an authenticated one."""
    parsed = outcome.parsed
    if parsed is None or outcome.status == "duplicate":
        return None
    address = parsed.adherent.value("email_notification") or None
    request_type = parsed.request_type
    if request_type == RequestType.ABONNEMENT:
        return address
    codes = {f.get("code") for f in outcome.report.get("errors") or []}
    authenticated = (request_type in (RequestType.MISE_A_JOUR, RequestType.CONTROLE) and parsed.numero.isdigit()
                     and not codes & AUTH_CODES)
    return address if authenticated else None


# -- the summary -------------------------------------------------------------------


def summary_folder(ctx: ServiceContext, batch_id: str) -> Path:
    return ctx.outbox / f"lot-{batch_id}"


def summary(result: BatchResult, zip_name: str, received_at: str) -> dict[str, Any]:
    workbooks = [{k: v for k, v in line.items() if not k.startswith("_")} for line in result.lines]
    for line in workbooks:
        line["report"] = f"../{line['submission_id']}/rapport.html" if line["submission_id"] else None
    statuses = ("accepted", "held", "rejected", "duplicate", "error")
    return {
        "schema": 1, "batch": result.batch_id, "file": zip_name, "received_at": received_at,
        "status": "refused" if result.refused else "processed",
        "errors": ([{"code": result.refused.code, "message": result.refused.message}] if result.refused else []),
        "totals": {s: result.count(s) for s in statuses if result.count(s)} | {"workbooks": len(workbooks)},
        "workbooks": workbooks,
    }


def _write_summary(ctx: ServiceContext, result: BatchResult, zip_name: str, received_at: str) -> Path:
    import json

    data = summary(result, zip_name, received_at)
    folder = summary_folder(ctx, result.batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / SUMMARY_JSON, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    write_atomic(folder / SUMMARY_HTML, _environment().from_string(_HTML).render(s=data))
    return folder


def _queue_summary(ctx: ServiceContext, result: BatchResult, zip_name: str, received_at: str) -> None:
    address = next((line["_notify"] for line in result.lines if line.get("_notify")), None)
    if address is None or not result.lines:
        log.info("batch id=%s: no notification address, no summary email", result.batch_id)
        return
    items = [{"file": line["file"], "status": "rejected" if line["status"] == "error" else line["status"],
              "adherent": line["adherent"], "request_type": line["request_type"],
              "submission_id": line["submission_id"] or "—", "errors": line["errors"],
              "warnings": line["warnings"]} for line in result.lines]
    html = summary_folder(ctx, result.batch_id) / SUMMARY_HTML
    with UnitOfWork(ctx) as uow:
        enqueue(uow.conn, kind="batch_summary", recipients=[address],
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
