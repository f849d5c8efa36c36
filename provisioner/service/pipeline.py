"""One submitted file, from its bytes to its report: check → authenticate → plan → hash → apply.

Whole or nothing: the account changes, the submission record (keyed by the
file's SHA-256) and the emails to send commit in ONE transaction. The slow
part, hashing, runs between a short planning transaction and the write
transaction, which plans again against the store of that moment (another
workbook may have taken a login meanwhile). Outputs are written after the
commit and the submission is marked finished. When they cannot be written
(the outbox read-only or full, the database gone before `finished_at` is
set), the workbook stays applied and its outputs are owed: the outcome says
so (`pending`), and the service writes them later from the stored report
(`service.owed`). A crash in between is finished the same way, or when the
same bytes come again (`_resume`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, exc, update

from provisioner.domain.findings import Finding, Severity, error
from provisioner.domain.plan import Plan, make_plan
from provisioner.domain.vocabulary import RequestType
from provisioner.security import lockout
from provisioner.security.hashing import verify_admin
from provisioner.service import faults, notices
from provisioner.service.context import Context
from provisioner.service.names import display_name
from provisioner.service.outputs import write_outputs
from provisioner.service.report import build_report, new_submission_id
from provisioner.service.secrets_plan import Hashes, hash_plan
from provisioner.store import repository as repo
from provisioner.store.tables import submissions
from provisioner.wording import dates
from provisioner.workbook.checker import check_file
from provisioner.workbook.model import ParsedWorkbook
from provisioner.workbook.planner_input import planner_input

log = logging.getLogger(__name__)

AUTH_FAILED_MESSAGE = ("Authentification refusée : le numéro d'adhérent ou le mot de passe de l'administrateur "
                       "(feuille Délégué, « Mot de passe ») est incorrect. Vérifiez-les ; après plusieurs "
                       "échecs l'accès est bloqué pour un temps.")


@dataclass
class Outcome:
    submission_id: str
    status: str  # accepted | rejected | duplicate
    report: dict[str, Any]
    folder: Path
    parsed: ParsedWorkbook | None = None
    findings: list[Finding] = field(default_factory=list)  # errors and warnings, for the annotated copy
    pending: faults.Fault | None = None  # committed, but its outputs could not be written: owed

    @property
    def ok(self) -> bool:
        return self.status in ("accepted", "duplicate")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def process_file(ctx: Context, path: Path, *, name: str | None = None, batch: str | None = None) -> Outcome:
    """Run the whole pipeline on one file; never raises for a bad file."""
    started = time.monotonic()
    name = display_name(name or path.name)
    now = ctx.clock()
    sha = sha256_file(path)
    with ctx.engine.begin() as conn:
        prior = repo.find_submission(conn, sha)
    if prior is not None:
        if prior.finished_at is None and prior.report is not None:
            return _resume(ctx, path, prior)
        return _duplicate(ctx, name, sha, now, prior, batch)
    result = check_file(path, name=name, max_bytes=ctx.max_bytes,
                        max_abonnement_users=ctx.settings.abonnement_max_users)
    run = _Run(ctx, path, name, sha, now, batch, result.workbook, [*result.errors, *result.warnings])
    try:
        outcome = run.execute()
    except exc.IntegrityError:
        # The same bytes, handled at the same moment by another lane or instance, committed
        # first (submissions.sha256 is unique): this one is its duplicate, and changed nothing.
        with ctx.engine.begin() as conn:
            prior = repo.find_submission(conn, sha)
        if prior is None:
            raise
        return _duplicate(ctx, name, sha, now, prior, batch)
    finish_or_owe(ctx, outcome)
    _log(outcome, time.monotonic() - started)
    return outcome


def reject_unread(ctx: Context, path: Path, *, name: str, message: str) -> Outcome:
    """A rejection as FILE_UNREADABLE without reading the file (the loop's safety cap), with its report."""
    sha = sha256_file(path)
    now = ctx.clock()
    with ctx.engine.begin() as conn:
        prior = repo.find_submission(conn, sha)
    if prior is not None:
        return _duplicate(ctx, name, sha, now, prior, None)
    outcome = _Run(ctx, path, name, sha, now, None, None, [error("FILE_UNREADABLE", message)]).execute()
    finish_or_owe(ctx, outcome)
    return outcome


def finish_or_owe(ctx: Context, outcome: Outcome) -> None:
    """`finish_outputs`, and when it fails, whatever the reason, the outputs are owed: never raised.

    The workbook is committed: failing now would have the file treated again
    (or quarantined) though it was applied. The submission's `finished_at`
    stays NULL, which is what `service.owed` looks for each round.
    """
    try:
        finish_outputs(ctx, outcome)
    except Exception as error:
        outcome.pending = faults.classify(error, ctx.settings, writing=faults.OUTBOX) or faults.Fault(
            "outputs", type(error).__name__)
        log.error("submission id=%s applied; outputs pending: %s %s", outcome.submission_id,
                  outcome.pending.part, outcome.pending.detail)


def finish_outputs(ctx: Context, outcome: Outcome) -> None:
    """After the commit: write the outputs, then mark the submission finished (a crash between is resumed)."""
    write_outputs(ctx, outcome)
    with ctx.engine.begin() as conn:
        conn.execute(update(submissions).where(submissions.c.id == outcome.submission_id)
                     .values(finished_at=ctx.clock()))


def _log(outcome: Outcome, seconds: float) -> None:
    counts = outcome.report.get("counts") or {}
    log.info("submission id=%s adherent=%s outcome=%s errors=%d created=%s updated=%s disabled=%s "
             "duration_ms=%d", outcome.submission_id, outcome.report.get("adherent"), outcome.status,
             len(outcome.report.get("errors", [])), counts.get("created", 0), counts.get("updated", 0),
             counts.get("disabled", 0), seconds * 1000)


class _Run:
    """One submission's journey; attributes hold what each step learnt."""

    def __init__(self, ctx: Context, path: Path, name: str, sha: str, now: datetime, batch: str | None,
                 parsed: ParsedWorkbook | None, findings: list[Finding]) -> None:
        self.ctx, self.path, self.name, self.sha, self.now, self.batch = ctx, path, name, sha, now, batch
        self.parsed = parsed
        self.findings = findings
        self.id = new_submission_id(now)
        self.request_type = parsed.request_type if parsed else None
        self.numero = parsed.numero if parsed else ""
        self.authenticated = False
        self.company: Any = None
        self.plan: Plan | None = None
        self.just_locked = False

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    def execute(self) -> Outcome:
        if self.parsed is None or self.request_type is None or not self.numero.isdigit():
            return self._commit_rejection()
        with self.ctx.engine.begin() as conn:
            self._authenticate(conn)
            if self.authenticated or self.request_type == RequestType.ABONNEMENT:
                self._plan(conn)
            if self.has_errors or self.request_type == RequestType.CONTROLE:
                return self._finish(conn)
        hashes = hash_plan(self.plan or Plan(), self._admin_password(), self.ctx.hasher)
        try:
            with self.ctx.engine.begin() as conn:
                return self._apply(conn, hashes)
        except exc.IntegrityError:
            # Another lane or instance took a login at the same moment: judge again. The same
            # bytes committed first fail again here, and process_file reports the duplicate.
            log.warning("submission id=%s conflicted with a concurrent one; re-planning", self.id)
            with self.ctx.engine.begin() as conn:
                return self._apply(conn, hashes)

    # -- steps --------------------------------------------------------------

    def _authenticate(self, conn: Connection) -> None:
        assert self.parsed is not None
        self.company = repo.find_adherent(conn, self.numero, for_update=True)
        if self.request_type == RequestType.ABONNEMENT:
            if self.company is not None:
                self._error("ADHERENT_EXISTS", f"L'adhérent {self.numero} est déjà abonné aux TéléServices. "
                            "Pour modifier ses comptes, choisissez « Mise à jour » et saisissez le mot de "
                            "passe de l'administrateur.", **self.parsed.adherent.where("type_demande"))
            return
        password = self.parsed.delegue.value("password")
        if not password:
            # Not an attempt (a pre-filled workbook sent without it): REQUIRED says so, and
            # nothing is counted towards the lock, for a known company or not.
            return
        where = self.parsed.delegue.where("password")
        settings = self.ctx.settings
        if self.company is not None and lockout.is_locked(self.company.locked_until, self.now):
            verify_admin(None, password)  # same cost as any other answer
            self._error("ACCOUNT_LOCKED", "Trop de tentatives d'authentification échouées : l'accès est "
                        f"bloqué jusqu'au {_french_time(self.company.locked_until)}. Réessayez "
                        "ensuite ou contactez l'Agence Virtuelle.", **where)
            return
        hash_ = self.company.admin_password_hash if self.company is not None else None
        if not verify_admin(hash_, password):
            if self.company is not None:
                after = lockout.after_failure(self.company.failed_auth, self.company.locked_until, self.now,
                                              lock_after=settings.lock_after, lock_minutes=settings.lock_minutes)
                repo.set_adherent(conn, self.company.id, failed_auth=after.failed_auth,
                                  locked_until=after.locked_until)
                self.just_locked = after.just_locked
                if after.just_locked:
                    self.company = repo.find_adherent(conn, self.numero)
            self._error("AUTH_FAILED", AUTH_FAILED_MESSAGE, **where)
            return
        self.authenticated = True
        if self.company.failed_auth or self.company.locked_until:
            state = lockout.after_success()
            repo.set_adherent(conn, self.company.id, failed_auth=state.failed_auth,
                              locked_until=state.locked_until)
        if self.company.status != "active":
            self._error("ADHERENT_PENDING", "L'abonnement de votre entreprise n'a pas encore été validé par "
                        "l'Agence Virtuelle : les mises à jour seront possibles après cette validation "
                        "(sous 48 heures après réception du formulaire signé).",
                        **self.parsed.adherent.where("type_demande"))

    def _plan(self, conn: Connection) -> None:
        assert self.parsed is not None
        if self.request_type != RequestType.ABONNEMENT and (self.company is None or self.company.status != "active"):
            return
        view = repo.load_view(conn, self.company if self.request_type != RequestType.ABONNEMENT else None,
                              _logins(self.parsed))
        self.plan = make_plan(planner_input(self.parsed), view)
        self.findings = _merge(self.findings, self.plan.findings)

    def _apply(self, conn: Connection, hashes: Hashes) -> Outcome:
        assert self.parsed is not None
        # Plan again inside the write transaction: the store may have moved while we hashed.
        self.findings = [f for f in self.findings if self.plan is None or f not in self.plan.findings]
        self.company = repo.find_adherent(conn, self.numero, for_update=True)
        if self.request_type == RequestType.ABONNEMENT and self.company is not None:
            self._error("ADHERENT_EXISTS", f"L'adhérent {self.numero} est déjà abonné aux TéléServices.",
                        **self.parsed.adherent.where("type_demande"))
            return self._finish(conn)
        self._plan(conn)
        if self.has_errors:
            return self._finish(conn)
        hashes = hash_plan(self.plan or Plan(), self._admin_password(), self.ctx.hasher, hashes)
        from provisioner.service.apply import apply_plan

        applied = apply_plan(conn, self, hashes)
        return self._finish(conn, applied)

    def _finish(self, conn: Connection, applied: dict[str, Any] | None = None) -> Outcome:
        applied = applied or {}
        status = "rejected" if self.has_errors else "accepted"
        report = build_report(
            submission_id=self.id, file=self.name, sha256=self.sha, received_at=self.now,
            adherent=self.numero or None, raison_sociale=self._raison_sociale(),
            request_type=self.request_type, status=status, findings=self.findings,
            plan=self.plan if status == "accepted" else None,
            company_changes=applied.get("company_changes") or self._would_company_changes(),
            requests=applied.get("requests"), batch=self.batch)
        db_status = "held" if report["held"] else status
        repo.insert_submission(conn, id=self.id, sha256=self.sha, file_name=self.name, received_at=self.now,
                               adherent_numero=self.numero[:10] or None, request_type=self.request_type,
                               status=db_status, report=report, batch_id=self.batch)
        notices.queue_outcome(conn, self, report)
        # The outputs are written by process_file once this transaction has committed.
        return Outcome(self.id, status, report, self.ctx.outbox / self.id, self.parsed, list(self.findings))

    def _commit_rejection(self) -> Outcome:
        with self.ctx.engine.begin() as conn:
            return self._finish(conn)

    # -- helpers ------------------------------------------------------------

    def _error(self, code: str, message: str, **where: Any) -> None:
        self.findings.append(error(code, message, **where))

    def _admin_password(self) -> str | None:
        if self.parsed is None:
            return None
        if self.request_type == RequestType.ABONNEMENT:
            return self.parsed.delegue.value("password") or None
        return self.plan.admin_password if self.plan is not None else None

    def _raison_sociale(self) -> str | None:
        if self.company is not None and self.authenticated:
            return cast("str | None", self.company.raison_sociale)
        if self.parsed is not None and self.request_type == RequestType.ABONNEMENT:
            return self.parsed.adherent.value("raison_sociale") or None
        return None

    def _would_company_changes(self) -> list[dict[str, Any]]:
        if self.plan is None or self.request_type != RequestType.CONTROLE or self.has_errors:
            return []
        from provisioner.service.apply import request_line, settings_changes

        would = [request_line(r) for r in self.plan.requests]
        would += settings_changes(self.plan, applied=False)  # shown as "would be applied"
        return would


def _resume(ctx: Context, path: Path, prior: Any) -> Outcome:
    """A crash came between the commit and the outputs: write them now, from the stored report."""
    result = check_file(path, name=(prior.report or {}).get("file") or path.name, max_bytes=ctx.max_bytes)
    outcome = stored_outcome(ctx, prior, result.workbook)
    finish_or_owe(ctx, outcome)
    if outcome.pending is None:
        log.info("submission id=%s resumed: outputs written after a restart", prior.id)
    return outcome


def stored_outcome(ctx: Context, row: Any, parsed: ParsedWorkbook | None) -> Outcome:
    """The outcome of a committed submission, from its stored report and the workbook read again."""
    report = dict(row.report)
    findings = [Finding(**f) for f in report.get("errors", [])]
    findings += [Finding(**f, severity=Severity.WARNING) for f in report.get("warnings", [])]
    return Outcome(row.id, report["status"], report, ctx.outbox / row.id, parsed, findings)


def _duplicate(ctx: Context, name: str, sha: str, now: datetime, prior: Any, batch: str | None) -> Outcome:
    submission_id = new_submission_id(now)
    when = _french_time(prior.received_at)
    finding = error("DUPLICATE", f"Ce fichier a déjà été reçu le {when} (soumission {prior.id}) : il n'est pas "
                    "traité une seconde fois et rien n'a été modifié. Pour une nouvelle demande, enregistrez "
                    "un nouveau fichier.")
    report = build_report(submission_id=submission_id, file=name, sha256=sha, received_at=now,
                          adherent=prior.adherent_numero, raison_sociale=None,
                          request_type=prior.request_type, status="duplicate", findings=[],
                          duplicate_of=prior.id, batch=batch)
    report["warnings"] = [dict(finding.to_dict())]
    outcome = Outcome(submission_id, "duplicate", report, ctx.outbox / submission_id)
    write_outputs(ctx, outcome)
    with ctx.engine.begin() as conn:
        notices.queue_duplicate(conn, ctx, report, prior)
    log.info("submission id=%s duplicate_of=%s", submission_id, prior.id)
    return outcome


def _logins(parsed: ParsedWorkbook) -> list[str]:
    logins = [v for _, t in parsed.tables() for v in t.frame["login"].tolist() if v]
    return logins + [v for v in parsed.categories.frame["login"].tolist() if v]


def _merge(first: list[Finding], later: list[Finding]) -> list[Finding]:
    """Later findings on a cell the first ones already flag are dropped: one finding per cell."""
    cells = {(f.sheet, f.cell) for f in first if f.cell}
    return first + [f for f in later if not f.cell or (f.sheet, f.cell) not in cells]


def _french_time(moment: datetime | None) -> str:
    return dates.french(moment) or "?"
