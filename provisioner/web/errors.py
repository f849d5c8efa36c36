"""Error pages in French, in the site's layout, for the back office and any other app of ours (the portal).

`ErrorPages(render, settings)` gives a Starlette app its exception handlers
(`handlers()`) and the middleware that stands outside it (`barrier(app)`):

- 404 and 405 (with the `Allow` header of every route of that path, not of
  the first one only), and any other HTTP error, as a page;
- a fault of the service's own parts (the database cannot be reached) as a
  503 « base de données injoignable », logged once when it starts and once
  when it ends, not once per request;
- a bug as a 500, logged in one line (its type and the innermost function of
  ours it went through: never its message, which may quote a value from the store).

`render(request, status, title, message)` draws the page: each app its own layout.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provisioner.config import Settings
from provisioner.service.intake import faults
from provisioner.wording import web_errors as text
from provisioner.wording.intake import PART_LABELS

log = logging.getLogger(__name__)

Render = Callable[[Request, int, str, str], Response]
RETRY_AFTER_SECONDS = 60
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def page_text(status: int, part: str = "") -> tuple[str, str]:
    """The French title and message of an error status."""
    title, message = text.PAGES.get(status, (text.other_status(status), text.OTHER_STATUS_MESSAGE))
    return title, message.format(part=part[:1].upper() + part[1:])


def allowed_methods(request: Request) -> str:
    """Every method some route of this path takes: a path may be served by several routes (GET and POST)."""
    methods: set[str] = set()
    for route in getattr(request.app, "routes", []):
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods, key=lambda m: (*METHOD_ORDER, m).index(m)))


class ErrorPages:
    def __init__(self, render: Render, settings: Settings) -> None:
        self.render = render
        self.settings = settings
        self.database_down = False

    def handlers(self) -> dict[type[Exception], Callable[[Request, Exception], Response]]:
        return {HTTPException: self.http_error, Exception: self.server_error}

    def http_error(self, request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        headers = dict(error.headers or {}) if isinstance(error, HTTPException) else {}
        if status == 405:
            headers["Allow"] = allowed_methods(request)
        response = self.render(request, status, *page_text(status))
        response.headers.update(headers)
        return response

    def server_error(self, request: Request, error: Exception) -> Response:
        fault = faults.classify(error, self.settings)
        if fault is None:
            return self.render(request, 500, *page_text(500))
        response = self.render(request, 503, *page_text(503, PART_LABELS.get(fault.part, fault.part)))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def barrier(self, app: ASGIApp) -> ASGIApp:
        """`app` wrapped so that what escapes it is logged in one line, and answered when nothing was yet."""

        async def guarded_app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = False

            async def watch(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    if message["status"] < 500 and self.database_down:
                        self.database_down = False
                        log.warning("back office: the database answers again")
                await send(message)

            try:
                await app(scope, receive, watch)
            except Exception as error:  # Starlette answered already (handlers above) and raises it again
                self._log(scope, error)
                if not started:
                    await self.server_error(Request(scope), error)(scope, receive, send)

        return guarded_app

    def _log(self, scope: Scope, error: Exception) -> None:
        fault = faults.classify(error, self.settings)
        if fault is not None and fault.part == faults.DATABASE:
            if not self.database_down:
                self.database_down = True
                log.error("back office: the database cannot be reached (%s); pages answer 503 until it is back",
                          fault.detail)
            return
        frames = [f for f in traceback.extract_tb(error.__traceback__) if "site-packages" not in f.filename]
        where = f"{frames[-1].name} ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else "?"
        log.error("back office: %s in %s on %s %s", fault.detail if fault else type(error).__name__, where,
                  scope.get("method", "?"), scope.get("path", "?"))

