"""The refusals every upload form shares (`/verifier`, `/envoyer`), in the order they cost.

A body declared too large is refused before anything (413); then the
client's address is counted against PROVISIONER_PORTAL_UPLOADS_PER_HOUR in
the store (429 past it); then the body is read as a stream, its bytes counted
(413), and refused if it stalls (408); then the form's CSRF token (403); then a file must be there (400).
Every refusal is a French page, and the temporary file is gone with the
block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from provisioner.portal import guard
from provisioner.portal.upload import OVERHEAD, TooLarge, TooSlow, Upload, UploadRefused, received
from provisioner.store.portal import take_hit
from provisioner.wording import portal as words

HOUR = timedelta(hours=1)


@asynccontextmanager
async def uploaded(request: Request) -> AsyncIterator[tuple[Upload, Response | None]]:
    """(the upload, None) when the form may be acted on, else (an empty upload, the refusal page)."""
    ctx = guard.context_of(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > ctx.max_bytes + OVERHEAD:
        yield Upload(), _too_large(request)
        return
    key = f"upload:{guard.client_address(request)}"
    allowed = await run_in_threadpool(take_hit, ctx.engine, key, limit=ctx.settings.portal_uploads_per_hour,
                                      window=HOUR, now=ctx.clock())
    if not allowed:
        yield Upload(), guard.refusal(request, 429, words.too_many_uploads(ctx.settings.portal_uploads_per_hour))
        return
    try:
        async with received(request, max_bytes=ctx.max_bytes, folder=ctx.settings.var_dir / "portal") as upload:
            if not guard.csrf_ok(request, upload.field("csrf_token")):
                yield upload, guard.refusal(request, 403, words.UPLOAD_EXPIRED)
            elif upload.path is None or not upload.size:
                yield upload, guard.refusal(request, 400, words.NO_FILE)
            else:
                yield upload, None
    except TooLarge:
        yield Upload(), _too_large(request)
    except TooSlow:
        yield Upload(), guard.refusal(request, 408, words.TOO_SLOW)
    except UploadRefused:
        yield Upload(), guard.refusal(request, 400, words.UNREADABLE_UPLOAD)


def _too_large(request: Request) -> Response:
    megabytes = f"{guard.context_of(request).settings.max_file_mb:g}".replace(".", ",")
    return guard.refusal(request, 413, words.too_large(megabytes))
