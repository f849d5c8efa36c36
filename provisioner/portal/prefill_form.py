"""`POST /classeur-prerempli`: the company's pre-filled workbook, emailed to its delegate on record.

The page says the same thing whether or not the number exists, is active or
has a delegate's address, and answers before the workbook is built (the work
runs after the response), so neither its words nor its time tell. A few a day
per company (PROVISIONER_PORTAL_PREFILLS_PER_DAY), counted for any number,
and the address's hourly limit, both in the store: the store is reached
before the answer, so with the database down the page is a 503 and nothing
is queued.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from provisioner.portal import guard
from provisioner.portal.intake_form import HOUR
from provisioner.service.agence.prefill_mail import email_prefilled
from provisioner.service.context import ServiceContext
from provisioner.store.portal import take_hit
from provisioner.wording import portal as words

log = logging.getLogger(__name__)

NUMERO = re.compile(r"[0-9]{4,10}")
DAY = timedelta(days=1)
MAX_BODY = 4096


async def ask(request: Request) -> Response:
    form = await _small_form(request)
    if form is None:
        return guard.refusal(request, 400, words.PREFILL_UNREADABLE)
    if not guard.csrf_ok(request, form.get("csrf_token", "")):
        return guard.refusal(request, 403, words.PREFILL_EXPIRED)
    numero = form.get("adherent", "").strip()
    if not NUMERO.fullmatch(numero):
        return guard.refusal(request, 400, words.BAD_NUMERO)
    ctx = guard.context_of(request)
    settings = ctx.settings
    if not await run_in_threadpool(take_hit, ctx.engine, f"prefill-from:{guard.client_address(request)}",
                                   limit=settings.portal_uploads_per_hour, window=HOUR, now=ctx.clock()):
        return guard.refusal(request, 429, words.TOO_MANY_PREFILLS_FROM)
    if not await run_in_threadpool(take_hit, ctx.engine, f"prefill:{numero}", limit=settings.portal_prefills_per_day,
                                   window=DAY, now=ctx.clock()):
        return guard.refusal(request, 429, words.too_many_prefills(settings.portal_prefills_per_day))
    response = guard.render(request, "prerempli.html", numero=numero)
    response.background = BackgroundTask(_send, ctx, numero)
    return response


def _send(ctx: ServiceContext, numero: str) -> None:
    try:
        email_prefilled(ctx, numero)
    except Exception as error:  # after the answer: nobody to tell but the log (never a value)
        log.error("prefilled workbook for adherent=%s not queued: %s", numero, type(error).__name__)


async def _small_form(request: Request) -> dict[str, str] | None:
    """The url-encoded form, read with a cap (a form of ours is a few hundred bytes)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return None
    except ClientDisconnect:
        return None
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=5)
    return {name: values[0] for name, values in fields.items()}
