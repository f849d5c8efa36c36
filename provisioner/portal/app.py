"""The portal's ASGI application: its routes, its stylesheet, the back office's security headers.

A separate application from the back office (provisioner/web/), on its own
listener: it serves none of the back office's routes and shares no cookie or
session with it; what they share is code (the headers and CSP, the Jinja2
environment's filters, the stylesheet).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import exc
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from provisioner.config import ConfigError
from provisioner.portal import checking, guard, prefill_form, sending
from provisioner.service.context import ServiceContext
from provisioner.store.db import StoreUnavailable, reader
from provisioner.web.client_address import trusted_networks
from provisioner.web.headers import SecurityHeaders
from provisioner.wording import portal as words
from provisioner.workbook.isolation import ReaderUnavailable
from provisioner.workbook.template import DEFAULT_FILE_NAME, template_bytes

STATIC = Path(__file__).with_name("static")


async def home(request: Request) -> Response:
    settings = guard.context_of(request).settings
    megabytes = f"{settings.max_file_mb:g}".replace(".", ",")
    return guard.render(request, "accueil.html", megabytes=megabytes)


@functools.cache
def _template() -> bytes:
    return template_bytes()  # the same bytes for a given version: built once


async def blank_template(request: Request) -> Response:
    data = await run_in_threadpool(_template)
    return checking.xlsx_response(data, DEFAULT_FILE_NAME)


async def unavailable(request: Request, _error: Exception) -> Response:
    """The database (or the reader) does not answer: say so; the request left nothing behind."""
    return guard.refusal(request, 503, words.UNAVAILABLE)


async def not_found(request: Request, _error: Exception) -> Response:
    return guard.refusal(request, 404, words.NOT_FOUND)


async def wrong_method(request: Request, _error: Exception) -> Response:
    return guard.refusal(request, 405, words.WRONG_METHOD)


async def broken(request: Request, _error: Exception) -> Response:
    """A fault of ours (the log has it): a French page too, never Starlette's bare English text."""
    return guard.refusal(request, 500, words.BROKEN)


def routes() -> list[Route | Mount]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/modele.xlsx", blank_template, methods=["GET"]),
        Route("/verifier", checking.verify, methods=["POST"]),
        Route("/verification/{jeton}/classeur-annote.xlsx", checking.annotated_copy, methods=["GET"]),
        Route("/envoyer", sending.send, methods=["POST"]),
        Route("/suivi/{jeton}", sending.follow, methods=["GET"]),
        Route("/suivi/{jeton}/classeur-annote.xlsx", sending.followed_copy, methods=["GET"]),
        Route("/classeur-prerempli", prefill_form.ask, methods=["POST"]),
        # The portal's stylesheet, then the back office's: one look, one file each.
        Mount("/static", StaticFiles(directory=STATIC, packages=[("provisioner.web", "static")]), name="static"),
    ]


def create_portal_app(ctx: ServiceContext, *, wake: Callable[[], None] | None = None) -> ASGIApp:
    """The portal for `ctx`; `wake` (the scheduler's, inside `serve`) is called after each deposit."""
    try:
        trusted_networks(ctx.settings.portal_trusted_proxies)
    except ValueError:
        raise ConfigError("PROVISIONER_PORTAL_TRUSTED_PROXIES: not a list of addresses or networks") from None
    failures: dict[type[Exception] | int, Callable[..., object]] = {
        error: unavailable for error in (exc.OperationalError, exc.InterfaceError, StoreUnavailable,
                                         ReaderUnavailable, sending.DropUnavailable)}
    failures.update({404: not_found, 405: wrong_method, Exception: broken})
    app = Starlette(routes=routes(), exception_handlers=failures)  # type: ignore[arg-type]
    app.state.ctx = ctx
    app.state.read_ctx = dataclasses.replace(ctx, engine=reader(ctx.engine))
    app.state.wake = wake
    return SecurityHeaders(app, hsts=ctx.settings.web_secure_cookies)
