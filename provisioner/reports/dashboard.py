"""outbox/index.html: what the Agence Virtuelle checks at a glance, rebuilt after each poll.

One static page that opens from the shared outbox folder: no server, no
script, no external asset (inline CSS, an inline SVG chart), links relative
to the outbox. What needs doing comes first (subscriptions waiting, past 48
hours standing out; requests; locked companies; emails stuck), then where
people stumble (the most frequent error codes of the last 7 days), then the
last submissions with a link to each report.

The state of the service is read through the Agence Virtuelle's use cases
(`service.agence.status`, `list_requests`); only what they do not give
(recent submissions, the emails themselves, error codes) is queried here.
Everything that comes from outside (file names, company names, messages) is
autoescaped by Jinja2; this module builds plain strings and numbers only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Connection, func, select

from provisioner.reports.files import write_atomic
from provisioner.reports.report_html import DISPLAY_TIMEZONE, counts_summary, french_datetime
from provisioner.service import agence, faults
from provisioner.service.health import describe_all, read_health
from provisioner.store.tables import adherents, mail_queue, submissions
from provisioner.workbook.layout import REQUEST_TYPES

if TYPE_CHECKING:
    from provisioner.service.context import Context

INDEX_NAME = "index.html"
RECENT_LIMIT = 100
MAIL_LIMIT = 50
ERROR_WINDOW = timedelta(days=7)
TOP_CODES = 8
REFRESH_SECONDS = 60  # the page reloads itself: an open tab stays current between polls
FILE_NAME_SHOWN = 80  # longer names are cut in the table; the full name is in the tooltip
# A temporary file left by a process killed while writing the page: removed
# once surely abandoned (another instance may be writing its own right now).
STALE_TEMPORARY = timedelta(minutes=10)

# The names each output has in a submission's folder (service.outputs, service.batch).
REPORT_HTML = "rapport.html"
ANNOTATED = "bordereau-annote.xlsx"
SUBSCRIPTION_FORM = "formulaire-abonnement.pdf"
BATCH_SUMMARY = "synthese.html"

OVERDUE_TEXT = "en attente depuis plus de 48 h"
HEALTH_DATABASE_NOW = "base de données injoignable"

STATUS_LABELS = {
    "accepted": ("Accepté", "ok"),
    "rejected": ("Refusé", "bad"),
    "duplicate": ("Déjà reçu", "neutral"),
    "held": ("Accepté, en attente d'approbation", "wait"),
    "processing": ("En cours", "wait"),
}
REQUEST_TYPE_LABELS = {key: label for label, key in REQUEST_TYPES.items()}
REQUEST_KIND_LABELS = {
    "delegue_change": "Changement de personne déléguée",
    "company_change": "Coordonnées de l'entreprise",
    "mass_disable": "Désactivation massive",
}
MAIL_STATUS_LABELS = {"pending": ("En attente", "wait"), "failed": ("Échec", "bad")}
# Where people stumble, in words the Agence Virtuelle can act on (the template, its instructions).
CODE_LABELS = {
    "FILE_TYPE": "fichier qui n'est pas un .xlsx",
    "FILE_UNREADABLE": "fichier illisible ou protégé",
    "FILE_TOO_LARGE": "fichier trop volumineux",
    "TEMPLATE_MISMATCH": "modèle modifié ou ancien",
    "REQUIRED": "valeur obligatoire manquante",
    "INVALID_VALUE": "valeur hors liste",
    "INVALID_FORMAT": "format incorrect (email, téléphone, login, numéro)",
    "PASSWORD_POLICY": "mot de passe non conforme",
    "PASSWORD_MISMATCH": "confirmation du mot de passe différente",
    "SECRET_QUESTIONS": "questions secrètes incomplètes",
    "LOGIN_DUPLICATE": "login en double dans le fichier",
    "LOGIN_TAKEN": "login déjà pris",
    "USER_NOT_FOUND": "compte introuvable",
    "CATEGORY_MISSING": "utilisateur sans catégorie",
    "CATEGORY_UNKNOWN_LOGIN": "catégories pour un login inconnu",
    "EASYPAIEMENT_ROLE": "E@syPaiement : ni ordonnateur ni validateur",
    "EASYPAIEMENT_VALIDATORS": "E@syPaiement : validateurs insuffisants",
    "AUTH_FAILED": "authentification refusée",
    "ACCOUNT_LOCKED": "accès bloqué",
    "ADHERENT_PENDING": "abonnement pas encore validé",
    "ADHERENT_EXISTS": "abonnement déjà enregistré",
    "HIDDEN_CONTENT": "contenu masqué",
}

# The bar chart's geometry, in SVG user units (it scales with the page).
CHART_WIDTH = 640
CHART_ROW = 44
CHART_BAR = 18
CHART_BAR_MAX = 440  # leaves room for the count written after the longest bar


def dashboard_path(outbox: Path) -> Path:
    return outbox / INDEX_NAME


def write_dashboard(ctx: Context) -> None:
    """Rebuild `outbox/index.html` (atomically: a reader sees the old page or the new one)."""
    ctx.outbox.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(ctx.outbox)
    write_atomic(dashboard_path(ctx.outbox), render_dashboard(ctx))


def render_dashboard(ctx: Context, *, tz: str = DISPLAY_TIMEZONE) -> str:
    """The page; while the database is down, a short page that says so (the health, from var/)."""
    now = ctx.clock()
    health = describe_all(read_health(ctx.settings), now)
    try:
        facts = collect(ctx, now)
    except Exception as error:
        if faults.classify(error, ctx.settings) is None:
            raise
        return _environment().get_template("index.html.j2").render(
            degraded=True, generated=french_datetime(now, _zone(tz)), refresh=REFRESH_SECONDS,
            health=health or [HEALTH_DATABASE_NOW])
    view = build_view(facts, ctx.outbox, now, _zone(tz))
    return _environment().get_template("index.html.j2").render(view, degraded=False, health=health)


# --- What the store says --------------------------------------------------------------


@dataclass
class Facts:
    """Everything the page shows, as read from the store (no formatting yet)."""

    status: dict[str, Any]
    requests: list[dict[str, Any]]
    recent: list[dict[str, Any]] = field(default_factory=list)
    mails: list[dict[str, Any]] = field(default_factory=list)
    codes: list[tuple[str, int, int]] = field(default_factory=list)  # code, files, occurrences


def collect(ctx: Context, now: datetime) -> Facts:
    facts = Facts(agence.status(ctx, now), agence.list_requests(ctx, "waiting"))
    with ctx.engine.connect() as conn:
        facts.recent = recent_submissions(conn)
        facts.mails = mails_to_watch(conn)
        facts.codes = frequent_error_codes(conn, now - ERROR_WINDOW)
    return facts


def recent_submissions(conn: Connection, limit: int = RECENT_LIMIT) -> list[dict[str, Any]]:
    """The last submissions, newest first, with the company's name when the store knows it.

    Only the parts of each report the page shows are read, in SQL (the same
    JSON operators on SQLite and PostgreSQL): a rejected 5,000-row workbook
    has a report of megabytes, mostly findings the page only counts.
    """
    report = submissions.c.report
    query = (select(submissions.c.id, submissions.c.file_name, submissions.c.received_at,
                    submissions.c.adherent_numero, submissions.c.request_type, submissions.c.status,
                    submissions.c.batch_id, report["counts"].label("counts"),
                    report["raison_sociale"].as_string().label("report_name"),
                    func.json_array_length(report["errors"]).label("errors"),
                    func.json_array_length(report["warnings"]).label("warnings"),
                    adherents.c.raison_sociale.label("store_name"))
             .outerjoin(adherents, adherents.c.numero == submissions.c.adherent_numero)
             .order_by(submissions.c.received_at.desc(), submissions.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in conn.execute(query)]


def mails_to_watch(conn: Connection, limit: int = MAIL_LIMIT) -> list[dict[str, Any]]:
    """Emails not sent yet or given up on, failures first; never a body (it may hold a password)."""
    query = (select(mail_queue.c.id, mail_queue.c.kind, mail_queue.c.recipients, mail_queue.c.subject,
                    mail_queue.c.status, mail_queue.c.attempts, mail_queue.c.next_attempt_at,
                    mail_queue.c.last_error, mail_queue.c.created_at)
             .where(mail_queue.c.status.in_(("pending", "failed")))
             .order_by(mail_queue.c.status.desc(), mail_queue.c.created_at).limit(limit))
    return [dict(row._mapping) for row in conn.execute(query)]


def frequent_error_codes(conn: Connection, since: datetime, top: int = TOP_CODES) -> list[tuple[str, int, int]]:
    """(code, files, occurrences) of the rejected submissions since `since`, most files first.

    Ranked by files rather than occurrences: one workbook with 500 blank
    cells says less about the template than 20 workbooks with one each.
    """
    query = select(submissions.c.report["errors"]).where(submissions.c.received_at >= since,
                                                         submissions.c.status == "rejected")
    files: Counter[str] = Counter()
    occurrences: Counter[str] = Counter()
    for (errors,) in conn.execute(query):
        codes = [str(e.get("code")) for e in errors or () if isinstance(e, dict)]
        occurrences.update(codes)
        files.update(set(codes))
    ranked = sorted(files, key=lambda code: (-files[code], -occurrences[code], code))
    return [(code, files[code], occurrences[code]) for code in ranked[:top]]


# --- What the page shows --------------------------------------------------------------


def build_view(facts: Facts, outbox: Path, now: datetime, zone: tzinfo) -> dict[str, Any]:
    status = facts.status
    waiting = [_subscription(s, zone) for s in status["subscriptions_waiting"]]
    emails = status["emails"]
    return {
        "generated": french_datetime(now, zone),
        "refresh": REFRESH_SECONDS,
        "overdue_text": OVERDUE_TEXT,
        "tiles": _tiles(status, len(facts.requests)),
        "subscriptions": waiting,
        "requests": [_request(r, outbox, now, zone) for r in facts.requests],
        "locked": [_locked(c, zone) for c in status["locked"]],
        "mails": [_mail(m, zone) for m in facts.mails],
        "mail_counts": {"pending": emails["pending"], "failed": emails["failed"]},
        "mails_cut": len(facts.mails) < emails["pending"] + emails["failed"],
        "unfinished": [_unfinished(u, zone) for u in status["unfinished"]],
        "chart": _chart(facts.codes),
        "error_days": ERROR_WINDOW.days,
        "recent": [_submission(s, outbox, zone) for s in facts.recent],
        "recent_limit": RECENT_LIMIT,
    }


def _tiles(status: Mapping[str, Any], requests: int) -> list[dict[str, Any]]:
    """The counts at the top of the page; a tile that needs action takes a warning tone."""
    waiting = status["subscriptions_waiting"]
    overdue = sum(1 for s in waiting if s["overdue"])
    emails = status["emails"]
    last_day = status["submissions"]
    received = sum(c["last_24h"] for c in last_day.values())
    rejected = last_day.get("rejected", {}).get("last_24h", 0)
    return [
        _tile("Abonnements à valider", len(waiting),
              f"dont {overdue} {OVERDUE_TEXT}" if overdue else "", "bad" if overdue else _busy(len(waiting)),
              "#abonnements"),
        _tile("Demandes à traiter", requests, "", _busy(requests), "#demandes"),
        _tile("Entreprises bloquées", len(status["locked"]), "", _busy(len(status["locked"])), "#blocages"),
        _tile("Emails en attente", emails["pending"],
              f"{emails['failed']} en échec" if emails["failed"] else "",
              "bad" if emails["failed"] else _busy(emails["pending"]), "#emails"),
        _tile("Fichiers dans la boîte de dépôt", status["inbox"]["files"],
              "" if status["inbox"]["exists"] else "dossier introuvable",
              "neutral" if status["inbox"]["exists"] else "bad", ""),
        _tile("Envois des dernières 24 h", received,
              f"dont {_count(rejected, 'refusé', 'refusés')}" if rejected else "", "neutral", "#envois"),
    ]


def _tile(label: str, value: int, detail: str, tone: str, anchor: str) -> dict[str, Any]:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "anchor": anchor}


def _busy(count: int) -> str:
    return "wait" if count else "ok"


def _subscription(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    return {"numero": item["numero"], "name": item["raison_sociale"] or "",
            "since": french_datetime(item["since"], zone), "age": age_text(item["age_hours"]),
            "overdue": bool(item["overdue"])}


def _request(item: Mapping[str, Any], outbox: Path, now: datetime, zone: tzinfo) -> dict[str, Any]:
    submission = item.get("submission_id")
    return {"id": item["id"], "numero": item["numero"], "name": item["raison_sociale"] or "",
            "kind": REQUEST_KIND_LABELS.get(item["kind"], item["kind"]),
            "summary": agence.request_summary(item["kind"], dict(item.get("payload") or {})),
            "since": french_datetime(item["created_at"], zone),
            "age": age_text((now - item["created_at"]).total_seconds() / 3600),
            "report": _link(outbox, submission, REPORT_HTML) if submission else None}


def _locked(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    return {"numero": item["numero"], "name": item["raison_sociale"] or "",
            "failures": item["failed_auth"], "until": french_datetime(item["locked_until"], zone)}


def _mail(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    label, tone = MAIL_STATUS_LABELS.get(item["status"], (item["status"], "neutral"))
    return {"created": french_datetime(item["created_at"], zone),
            "recipients": ", ".join(str(r) for r in item["recipients"] or ()) or "(aucun destinataire valide)",
            "subject": item["subject"], "status": label, "tone": tone, "attempts": item["attempts"],
            # The next attempt matters once one has failed; before, it is "at the next poll".
            "next": french_datetime(item["next_attempt_at"], zone)
            if item["status"] == "pending" and item["attempts"] else "",
            "error": item["last_error"] or ""}


def _unfinished(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    return {"id": item["id"], "file": item["file"], "adherent": item["adherent"] or "",
            "received": french_datetime(item["received_at"], zone)}


def _submission(row: Mapping[str, Any], outbox: Path, zone: tzinfo) -> dict[str, Any]:
    label, tone = STATUS_LABELS.get(row["status"], (row["status"], "neutral"))
    counts = row["counts"] if isinstance(row["counts"], dict) else {}
    changed = counts_summary(counts) if counts else ""
    unchanged = int(counts.get("unchanged", 0) or 0)
    if unchanged:
        changed = ", ".join(p for p in (changed, f"{unchanged} inchangé{'s' if unchanged > 1 else ''}") if p)
    return {
        "id": row["id"], "received": french_datetime(row["received_at"], zone),
        "file": _shorten(row["file_name"], FILE_NAME_SHOWN), "file_full": row["file_name"],
        "numero": row["adherent_numero"] or "",
        "name": row["report_name"] or row["store_name"] or "",
        "type": REQUEST_TYPE_LABELS.get(row["request_type"] or "", ""),
        "status": label, "tone": tone, "changed": changed,
        "errors": row["errors"] or 0, "warnings": row["warnings"] or 0,
        "links": _submission_links(outbox, row),
    }


def _submission_links(outbox: Path, row: Mapping[str, Any]) -> list[dict[str, str]]:
    """Links to what the submission left in the outbox, only those whose file exists."""
    wanted = [("Rapport", row["id"], REPORT_HTML), ("Bordereau annoté", row["id"], ANNOTATED),
              ("Formulaire", row["id"], SUBSCRIPTION_FORM)]
    if row["batch_id"]:
        wanted.append(("Lot", f"lot-{row['batch_id']}", BATCH_SUMMARY))
    links = []
    for label, folder, name in wanted:
        href = _link(outbox, folder, name)
        if href:
            links.append({"label": label, "href": href})
    return links


def _link(outbox: Path, folder: str, name: str) -> str | None:
    """`folder/name` relative to the outbox when that file exists; never a path outside it."""
    if not folder or "/" in folder or "\\" in folder or folder in (".", ".."):
        return None
    if not (outbox / folder / name).is_file():
        return None
    return f"{quote(folder)}/{quote(name)}"


def _chart(codes: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Bars of the SVG chart, geometry computed here so the template only places them."""
    most = max((files for _, files, _ in codes), default=0)
    bars = []
    for index, (code, files, occurrences) in enumerate(codes):
        top = index * CHART_ROW
        width = max(2, round(CHART_BAR_MAX * files / most)) if most else 0
        label = CODE_LABELS.get(code, "")
        bars.append({
            "code": code, "label": label, "files": files, "occurrences": occurrences,
            "text_y": top + 14, "bar_y": top + 20, "width": width, "count_x": width + 8,
            "count": f"{_count(files, 'fichier', 'fichiers')} · "
                     f"{_count(occurrences, 'erreur', 'erreurs')}",
        })
    return {"bars": bars, "width": CHART_WIDTH, "height": max(1, len(codes)) * CHART_ROW,
            "bar_height": CHART_BAR}


# --- Small helpers -------------------------------------------------------------------


def age_text(hours: float) -> str:
    """'2 j 5 h', '7 h', '25 min': how long something has waited, as a person says it."""
    minutes = max(0, int(hours * 60))
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return f"{days} j {rest // 60} h"
    if rest >= 60:
        return f"{rest // 60} h"
    return f"{rest} min"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # a machine without time-zone data still shows a true (UTC) time


def _remove_stale_temporaries(outbox: Path) -> None:
    cutoff = time.time() - STALE_TEMPORARY.total_seconds()
    for leftover in _temporaries(outbox):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass  # gone already (another instance), or not ours to remove: harmless


def _temporaries(outbox: Path) -> Iterable[Path]:
    # write_atomic's naming: ".index.html.<random>.tmp" beside the page.
    return outbox.glob(f".{INDEX_NAME}.*.tmp")


@cache
def _environment() -> Environment:
    # Autoescape unconditionally: ".j2" would defeat select_autoescape, and
    # file names, company names and messages are untrusted.
    return Environment(loader=PackageLoader("provisioner.reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)
