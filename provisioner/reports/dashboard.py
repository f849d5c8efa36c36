"""outbox/index.html: what the Agence Virtuelle checks at a glance, rebuilt after each poll.

One static page that opens from the shared outbox folder: no server, no
script, no external asset (inline CSS, an inline SVG chart), links relative
to the outbox. What needs doing comes first (subscriptions waiting, past 48
hours standing out; requests; locked companies; emails stuck), then where
people stumble (the most frequent error codes of the last 7 days), then the
last submissions with a link to each report.

What it shows is read by the dashboard's read model
(`service.read_models.dashboard.collect`, shared with the web's `/`) and
the page is written by `service.dashboard_page`; this module only turns
those facts (and the health lines) into HTML, and imports no service.
Everything that comes from outside (file names, company names, messages) is
autoescaped by Jinja2; this module builds plain strings and numbers only.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from provisioner.domain.finding_codes import FindingCode
from provisioner.domain.vocabulary import MailStatus, SubmissionStatus
from provisioner.reports.dashboard_view import (
    Bar,
    Chart,
    DashboardView,
    Link,
    LockedLine,
    MailLine,
    RequestLine,
    SubmissionLine,
    SubscriptionLine,
    Tile,
    UnfinishedLine,
)
from provisioner.wording import dashboard_text as text
from provisioner.wording import dates
from provisioner.wording.labels import (
    MAIL_BADGE,
    REQUEST_KIND_SHORT,
    REQUEST_TYPE,
    SUBMISSION_BADGE,
    capital,
    label,
)
from provisioner.wording.phrases import counts_sentence, held_sentence, waiting_for_smtp

if TYPE_CHECKING:  # the read model's shapes only: nothing of the service runs here
    from provisioner.service.read_models.dashboard import Facts, RequestWithSummary
    from provisioner.service.read_models.mails import MailToWatch
    from provisioner.service.read_models.status import LockedCompany, WaitingSubscription
    from provisioner.service.read_models.submissions import ErrorCode, RecentSubmission, Unfinished

RECENT_LIMIT = 100
REFRESH_SECONDS = 60  # the page reloads itself: an open tab stays current between polls
FILE_NAME_SHOWN = 80  # longer names are cut in the table; the full name is in the tooltip

# The names each output has in a submission's folder (service.outputs, service.batch).
REPORT_HTML = "rapport.html"
ANNOTATED = "bordereau-annote.xlsx"
SUBSCRIPTION_FORM = "formulaire-abonnement.pdf"
BATCH_SUMMARY = "synthese.html"

# The tone (CSS class) of a submission's and an email's badge; the words are wording.labels'.
STATUS_TONE: dict[str, str] = {SubmissionStatus.ACCEPTED: "ok", SubmissionStatus.REJECTED: "bad",
                               SubmissionStatus.DUPLICATE: "neutral", SubmissionStatus.HELD: "wait",
                               SubmissionStatus.PROCESSING: "wait"}
MAIL_TONE: dict[str, str] = {MailStatus.PENDING: "wait", MailStatus.FAILED: "bad"}

# The bar chart's geometry, in SVG user units (it scales with the page).
CHART_WIDTH = 640
CHART_ROW = 44
CHART_BAR = 18
CHART_BAR_MAX = 440  # leaves room for the count written after the longest bar


def render_page(facts: Facts, outbox: Path, now: datetime, zone: tzinfo | None, health: list[str]) -> str:
    """The page from the facts, with links to the files each submission left in `outbox`."""
    view = build_view(facts, outbox, now, zone)
    return _environment().get_template("index.html.j2").render(view, degraded=False, health=health)


def render_degraded(now: datetime, zone: tzinfo | None, health: list[str]) -> str:
    """The short page shown while the facts cannot be read: what fails (`health`) and when it was written."""
    return _environment().get_template("index.html.j2").render(
        degraded=True, generated=dates.french(now, zone), refresh=REFRESH_SECONDS, health=health)


# --- What the page shows --------------------------------------------------------------


def build_view(facts: Facts, outbox: Path | None, now: datetime, zone: tzinfo | None = None) -> DashboardView:
    """The page's values. With an `outbox`, links to the files each submission left there (those that
    exist); without (the web, which serves them from each submission's page), no file is looked at."""
    emails = facts.emails
    return {
        "generated": dates.french(now, zone),
        "refresh": REFRESH_SECONDS,
        "overdue_text": text.OVERDUE,
        "tiles": _tiles(facts),
        "subscriptions": [_subscription(s, zone) for s in facts.subscriptions.rows],
        "requests": [_request(r, outbox, now, zone) for r in facts.requests.rows],
        "locked": [_locked(c, zone) for c in facts.locked.rows],
        "counts": {"subscriptions": facts.subscriptions.total, "requests": facts.requests.total,
                   "locked": facts.locked.total},
        "mails": [_mail(m, zone) for m in facts.mails],
        "mail_counts": {"pending": emails["pending"], "failed": emails["failed"]},
        "waiting_for_smtp": waiting_for_smtp(emails["waiting_for_smtp"]) if emails["waiting_for_smtp"] else "",
        "mails_cut": len(facts.mails) < emails["pending"] + emails["failed"],
        "unfinished": [_unfinished(u, zone) for u in facts.unfinished],
        "chart": _chart(facts.codes),
        "error_days": facts.error_window.days,
        "recent": [_submission(s, outbox, zone) for s in facts.recent],
        "recent_limit": RECENT_LIMIT,
    }


def _tiles(facts: Facts) -> list[Tile]:
    """The counts at the top of the page; a tile that needs action takes a warning tone."""
    waiting, overdue = facts.subscriptions.total, facts.overdue
    requests, locked = facts.requests.total, facts.locked.total
    emails, inbox = facts.emails, facts.inbox
    received = sum(facts.received.values())
    rejected = facts.received.get(SubmissionStatus.REJECTED, 0)
    return [
        _tile(text.SUBSCRIPTIONS_TILE, waiting,
              text.overdue_among(overdue) if overdue else "", "bad" if overdue else _busy(waiting),
              "#abonnements"),
        _tile(text.REQUESTS_TILE, requests, "", _busy(requests), "#demandes"),
        _tile(text.LOCKED_TILE, locked, "", _busy(locked), "#blocages"),
        _tile(text.MAILS_TILE, emails["pending"],
              text.failed(emails["failed"]) if emails["failed"] else
              text.WAITING_FOR_SMTP if emails["waiting_for_smtp"] else "",
              "bad" if emails["failed"] or emails["waiting_for_smtp"] else _busy(emails["pending"]), "#emails"),
        _tile(text.INBOX_TILE, inbox["files"],
              "" if inbox["exists"] else text.INBOX_MISSING,
              "neutral" if inbox["exists"] else "bad", ""),
        _tile(text.RECEIVED_TILE, received,
              text.rejected_among(rejected) if rejected else "", "neutral", "#envois"),
    ]


def _tile(label: str, value: int, detail: str, tone: str, anchor: str) -> Tile:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "anchor": anchor}


def _busy(count: int) -> str:
    return "wait" if count else "ok"


def _subscription(item: WaitingSubscription, zone: tzinfo | None) -> SubscriptionLine:
    return {"numero": item["numero"], "name": item["raison_sociale"] or "",
            "since": dates.french(item["since"], zone), "age": text.age(item["age_hours"]),
            "overdue": bool(item["overdue"])}


def _request(item: RequestWithSummary, outbox: Path | None, now: datetime, zone: tzinfo | None) -> RequestLine:
    submission = item["submission_id"]
    return {"id": item["id"], "numero": item["numero"], "name": item["raison_sociale"] or "",
            "kind": capital(label(REQUEST_KIND_SHORT, item["kind"])),
            "summary": item["summary"],
            "since": dates.french(item["created_at"], zone),
            "age": text.age((now - item["created_at"]).total_seconds() / 3600),
            "report": _link(outbox, submission, REPORT_HTML) if submission and outbox else None}


def _locked(item: LockedCompany, zone: tzinfo | None) -> LockedLine:
    return {"numero": item["numero"], "name": item["raison_sociale"] or "",
            "failures": item["failed_auth"], "until": dates.french(item["locked_until"], zone)}


def _mail(item: MailToWatch, zone: tzinfo | None) -> MailLine:
    return {"created": dates.french(item["created_at"], zone),
            "recipients": ", ".join(str(r) for r in item["recipients"] or ()) or text.NO_RECIPIENT,
            "subject": item["subject"], "status": label(MAIL_BADGE, item["status"]),
            "tone": MAIL_TONE.get(item["status"], "neutral"), "attempts": item["attempts"],
            # The next attempt matters once one has failed; before, it is "at the next poll".
            "next": dates.french(item["next_attempt_at"], zone)
            if item["status"] == MailStatus.PENDING and item["attempts"] else "",
            "error": item["last_error"] or ""}


def _unfinished(item: Unfinished, zone: tzinfo | None) -> UnfinishedLine:
    return {"id": item["id"], "file": item["file"], "adherent": item["adherent"] or "",
            "received": dates.french(item["received_at"], zone)}


def _submission(row: RecentSubmission, outbox: Path | None, zone: tzinfo | None) -> SubmissionLine:
    counts = row["counts"] if isinstance(row["counts"], dict) else {}
    return {
        "id": row["id"], "received": dates.french(row["received_at"], zone),
        "file": _shorten(row["file_name"], FILE_NAME_SHOWN), "file_full": row["file_name"],
        "numero": row["adherent_numero"] or "",
        "name": row["report_name"] or row["store_name"] or "",
        "type": REQUEST_TYPE.get(row["request_type"] or "", ""),
        "status": label(SUBMISSION_BADGE, row["status"]), "tone": STATUS_TONE.get(row["status"], "neutral"),
        "changed": held_sentence(counts) if row["status"] == SubmissionStatus.HELD
        else counts_sentence(counts, unchanged=True),
        "errors": row["errors"] or 0, "warnings": row["warnings"] or 0,
        "links": _submission_links(outbox, row) if outbox else [],
    }


def _submission_links(outbox: Path, row: RecentSubmission) -> list[Link]:
    """Links to what the submission left in the outbox, only those whose file exists."""
    wanted = [(text.REPORT_LINK, row["id"], REPORT_HTML), (text.ANNOTATED_LINK, row["id"], ANNOTATED),
              (text.FORM_LINK, row["id"], SUBSCRIPTION_FORM)]
    if row["batch_id"]:
        wanted.append((text.BATCH_LINK, f"lot-{row['batch_id']}", BATCH_SUMMARY))
    links: list[Link] = []
    for title, folder, name in wanted:
        href = _link(outbox, folder, name)
        if href:
            links.append({"label": title, "href": href})
    return links


def _link(outbox: Path, folder: str, name: str) -> str | None:
    """`folder/name` relative to the outbox when that file exists; never a path outside it."""
    if not folder or "/" in folder or "\\" in folder or folder in (".", ".."):
        return None
    if not (outbox / folder / name).is_file():
        return None
    return f"{quote(folder)}/{quote(name)}"


def _code_label(code: str) -> str:
    """A code stored by an older release may be unknown now: it is shown without a label."""
    try:
        return FindingCode(code).label
    except ValueError:
        return ""


def _chart(codes: list[ErrorCode]) -> Chart:
    """Bars of the SVG chart, geometry computed here so the template only places them."""
    most = max((files for _, files, _ in codes), default=0)
    bars: list[Bar] = []
    for index, (code, files, occurrences) in enumerate(codes):
        top = index * CHART_ROW
        width = max(2, round(CHART_BAR_MAX * files / most)) if most else 0
        bars.append({
            "code": code, "label": _code_label(code), "files": files, "occurrences": occurrences,
            "text_y": top + 14, "bar_y": top + 20, "width": width, "count_x": width + 8,
            "count": text.chart_count(files, occurrences),
        })
    return {"bars": bars, "width": CHART_WIDTH, "height": max(1, len(codes)) * CHART_ROW,
            "bar_height": CHART_BAR}


# --- Small helpers -------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _environment() -> Environment:
    # Autoescape unconditionally: ".j2" would defeat select_autoescape, and
    # file names, company names and messages are untrusted.
    return Environment(loader=PackageLoader("provisioner.reports", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)
