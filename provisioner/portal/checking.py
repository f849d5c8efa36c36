"""`POST /verifier` and its annotated copy: the store-free check, as `provisioner check` does it.

The file is parsed in the isolated reader (a child process under memory and
time limits) and checked in a worker thread, never on the event loop. Nothing
reaches the account store; the only thing kept is the annotated copy (built
from the values read, secrets emptied), encrypted in the store under a jeton
for an hour, then gone.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from provisioner.domain.findings import Finding
from provisioner.portal import guard
from provisioner.portal.intake_form import uploaded
from provisioner.security.secret_key import current
from provisioner.service.context import ServiceContext
from provisioner.service.intake.names import display_name
from provisioner.store import portal as store
from provisioner.wording import portal as words
from provisioner.workbook.checker import check_file
from provisioner.workbook.secret_scrub import Scrubber, secret_values

KIND = "verification"
KEPT = timedelta(hours=1)
COPY_NAME = "classeur-annote.xlsx"


@dataclass(frozen=True)
class Shown:
    """A finding as the page lists it, its text scrubbed of any secret the workbook held."""

    error: bool
    code: str
    sheet: str
    cell: str
    message: str


@dataclass(frozen=True)
class Verified:
    name: str
    request_type: str | None
    numero: str
    findings: tuple[Shown, ...]
    errors: int
    warnings: int
    jeton: str | None  # the annotated copy's, when there is something to mark


# Checks at once from this portal. Each waits in a worker thread for one of the two readers the scheduler
# also uses: unbounded, a burst of uploads would take every worker thread (the jeton pages need one too)
# and starve the inbox's reads. Past it, a French 503 at once rather than a queue.
CHECKS_AT_ONCE = 4
_checks = threading.BoundedSemaphore(CHECKS_AT_ONCE)


async def verify(request: Request) -> Response:
    async with uploaded(request) as (upload, refused):
        if refused is not None:
            return refused
        assert upload.path is not None
        if not _checks.acquire(blocking=False):
            return busy(request)
        try:
            verified = await run_in_threadpool(check_and_keep, guard.context_of(request), upload.path,
                                               display_name(upload.name))
        finally:
            _checks.release()
    return guard.render(request, "verification.html", private=True, result=verified)


def busy(request: Request) -> Response:
    return guard.refusal(request, 503, words.BUSY)


def check_and_keep(ctx: ServiceContext, path: Path, name: str) -> Verified:
    """Check the file; keep its annotated copy under a new jeton when it has anything to mark."""
    result = check_file(path, name=name, max_bytes=ctx.max_bytes,
                        max_abonnement_users=ctx.settings.abonnement_max_users)
    scrub = Scrubber(secret_values(result.workbook))
    jeton = None
    if result.findings:
        from provisioner.workbook.rebuild import build_copy  # openpyxl-free but heavy: only when needed

        copy = build_copy(result.workbook, result.findings, annotate=True)
        jeton = secrets.token_urlsafe(32)
        store.add_token(ctx.engine, jeton, kind=KIND, name=name, content=current().encrypt(copy),
                        now=ctx.clock(), lifetime=KEPT)
    parsed = result.workbook
    return Verified(name, parsed.request_type if parsed else None, (parsed.numero or "") if parsed else "",
                    tuple(_shown(f, scrub) for f in result.findings), len(result.errors), len(result.warnings),
                    jeton)


def _shown(finding: Finding, scrub: Scrubber) -> Shown:
    where = finding.cell or (f"ligne {finding.row}" if finding.row else "") or (finding.column or "")
    return Shown(finding.is_error, finding.code, scrub(finding.sheet or "Classeur"), scrub(where),
                 scrub(finding.message))


async def annotated_copy(request: Request) -> Response:
    ctx = request.app.state.read_ctx  # a read: never waits for the pipeline's writes (SQLite)
    jeton = request.path_params["jeton"]
    found = await run_in_threadpool(store.find_token, ctx.engine, jeton, KIND, ctx.clock(), with_content=True)
    if found is None or found.content is None:
        return gone(request)
    return xlsx_response(current().decrypt(found.content), COPY_NAME)


def gone(request: Request) -> Response:
    return guard.refusal(request, 404, words.LINK_EXPIRED)


def xlsx_response(data: bytes, filename: str) -> Response:
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": f'attachment; filename="{filename}"',
                             "x-robots-tag": guard.NO_INDEX})
