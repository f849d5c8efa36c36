"""The ASGI application: the routes of every area, the static CSS, the error pages and the security headers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from provisioner.config import ConfigError
from provisioner.service.context import ServiceContext
from provisioner.store.db import reader
from provisioner.web.client_address import trusted_networks
from provisioner.web.errors import ErrorPages
from provisioner.web.headers import SecurityHeaders
from provisioner.web.origin import SameOrigin
from provisioner.web.pages import (
    accounts,
    adherents,
    dashboard,
    mails,
    operators,
    requests,
    signin,
    submissions,
)
from provisioner.web.render import page

STATIC = Path(__file__).with_name("static")


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An error page in the back office's layout, without asking the store who is signed in (it may be down)."""
    return page("erreur.html", status, operator=None, csrf_token="", path=request.url.path, title=title,
                message=message)


async def favicon(request: Request) -> Response:
    """Browsers ask /favicon.ico before reading the page's <link rel="icon">: the same picture."""
    del request
    return RedirectResponse("/static/favicon.svg", status_code=301)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for area in (signin, dashboard, submissions, adherents, requests, accounts, mails, operators):
        found += area.routes
    found.append(Route("/favicon.ico", favicon, methods=["GET"]))
    found.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    return found


def create_app(ctx: ServiceContext) -> ASGIApp:
    try:
        trusted_networks(ctx.settings.web_trusted_proxy)
    except ValueError:
        raise ConfigError("PROVISIONER_WEB_TRUSTED_PROXY: not a list of addresses or networks") from None
    errors = ErrorPages(error_page, ctx.settings)
    app = Starlette(routes=routes(), exception_handlers=errors.handlers())
    app.state.ctx = ctx
    # Pages that only read use an engine that never waits for the pipeline's write lock (SQLite).
    app.state.read_ctx = dataclasses.replace(ctx, engine=reader(ctx.engine))
    return SecurityHeaders(errors.barrier(SameOrigin(app, error_page)), hsts=ctx.settings.web_secure_cookies)
