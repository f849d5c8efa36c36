"""The ASGI application: the routes of every area, the static CSS, and the security headers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provisioner.service.context import ServiceContext
from provisioner.store.db import reader
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

STATIC = Path(__file__).with_name("static")
# No script at all, styles from our own file only, no framing, forms post only to us.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds the security headers to every response; every page but the stylesheet is `no-store`
    (they show personal data, and a shared browser must not keep them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control" or static]
                headers += HEADERS
                if not static:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes() -> list[BaseRoute]:
    found: list[BaseRoute] = []
    for area in (signin, dashboard, submissions, adherents, requests, accounts, mails, operators):
        found += area.routes
    found.append(Mount("/static", StaticFiles(directory=STATIC), name="static"))
    return found


def create_app(ctx: ServiceContext) -> ASGIApp:
    app = Starlette(routes=routes())
    app.state.ctx = ctx
    # Pages that only read use an engine that never waits for the pipeline's write lock (SQLite).
    app.state.read_ctx = dataclasses.replace(ctx, engine=reader(ctx.engine))
    return SecurityHeaders(app)
