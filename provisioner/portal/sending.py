"""`POST /envoyer` and `GET /suivi/{jeton}`: a workbook handed to the shared intake, then followed.

The upload goes to the same intake as the inbox and the mailbox
(service/intake/drop.py: same pipeline, same exactly-once, same outputs) with the
portal's origin, whose reference is the SHA-256 of a new jeton: the jeton is
in the browser's address only. The jeton's row is written before the
deposit and removed if the deposit fails, so a 503 leaves neither a file
nor a page behind. `/suivi` shows the file waiting, then each submission it
became (a zip's members, with the batch's summary) with its report and, for
a rejection, its annotated copy; it refreshes itself (a meta refresh: no
script) until the outcome is there.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from provisioner.domain.vocabulary import Door
from provisioner.portal import guard
from provisioner.portal.checking import COPY_NAME, gone, xlsx_response
from provisioner.portal.intake_form import uploaded
from provisioner.service.context import ServiceContext
from provisioner.service.intake.drop import Origin, deposit
from provisioner.service.read_models.followed import Followed, batch_finished, followed
from provisioner.store import portal as store
from provisioner.wording import portal as words

KIND = "suivi"
FOLLOWED_FOR = timedelta(days=30)
LATE = timedelta(minutes=15)  # still waiting after this: the page says whom to ask
REFRESH_SECONDS = 5


class DropUnavailable(Exception):
    """The shared drop folder cannot take the file (full, read-only, missing): the service's fault."""


async def send(request: Request) -> Response:
    async with uploaded(request) as (upload, refused):
        if refused is not None:
            return refused
        assert upload.path is not None
        jeton = secrets.token_urlsafe(32)
        await run_in_threadpool(hand_over, guard.context_of(request), jeton, upload.path, upload.name)
    wake = request.app.state.wake
    if wake is not None:
        wake()  # inside `serve`: a round now, not at the next poll
    return RedirectResponse(f"/suivi/{jeton}", status_code=303)


def hand_over(ctx: ServiceContext, jeton: str, path: Path, name: str) -> None:
    """The jeton, then the deposit; a failed deposit takes the jeton back."""
    store.add_token(ctx.engine, jeton, kind=KIND, name=name, content=None, now=ctx.clock(), lifetime=FOLLOWED_FOR)
    try:
        deposit(ctx.settings, path, name, Origin(Door.PORTAL, store.digest(jeton)))
    except OSError as error:
        store.remove_token(ctx.engine, jeton)
        raise DropUnavailable(type(error).__name__) from None
    except BaseException:
        store.remove_token(ctx.engine, jeton)
        raise


async def follow(request: Request) -> Response:
    ctx = request.app.state.read_ctx
    jeton = request.path_params["jeton"]
    token = await run_in_threadpool(store.find_token, ctx.engine, jeton, KIND, ctx.clock())
    if token is None:
        return gone(request)
    items = await run_in_threadpool(followed, ctx, Door.PORTAL, store.digest(jeton))
    batch = next((item.batch_id for item in items if item.batch_id), None)
    done = bool(items) and (batch is None or await run_in_threadpool(batch_finished, ctx, batch))
    response = guard.render(request, "suivi.html", private=True, jeton=jeton, name=token.name,
                            received_at=token.created_at, items=items, batch=batch, done=done,
                            late=not done and ctx.clock() - token.created_at > LATE,
                            refresh=None if done else REFRESH_SECONDS, annotated_link=annotated_link)
    return response


async def followed_copy(request: Request) -> Response:
    """The annotated copy of the followed file's rejection (`?soumission=` picks a zip's member)."""
    ctx = request.app.state.read_ctx
    jeton = request.path_params["jeton"]
    if await run_in_threadpool(store.find_token, ctx.engine, jeton, KIND, ctx.clock()) is None:
        return gone(request)
    items = await run_in_threadpool(followed, ctx, Door.PORTAL, store.digest(jeton))
    wanted = request.query_params.get("soumission", "")
    copy = next((item.annotated for item in items if item.annotated and (not wanted or item.id == wanted)), None)
    if copy is None:
        return guard.refusal(request, 404, words.NO_ANNOTATED_COPY)
    data = await run_in_threadpool(copy.read_bytes)
    return xlsx_response(data, COPY_NAME)


def annotated_link(jeton: str, item: Followed, several: bool) -> str:
    link = f"/suivi/{jeton}/{COPY_NAME}"
    return f"{link}?soumission={item.id}" if several else link
