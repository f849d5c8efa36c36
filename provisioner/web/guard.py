"""Who may see or do what: the signed-in operator, their role, and the CSRF token of every POST.

`@guarded(role)` turns a plain function `(Web) -> Response` into a Starlette
endpoint. It finds the session (else: to the sign-in page), checks the role
(else 403), and for a POST reads the form and checks its `csrf_token`
against the session's (else 403, nothing done). The function itself runs in
a worker thread: the use cases it calls are synchronous (database, argon2id).
An operator's mistake (an unknown number, a request decided already) becomes
a page with the use case's French message.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from provisioner.service.agence.mail_retry import UnknownMail
from provisioner.service.agence.operator_commands import AgenceError, UnknownAdherent, UnknownRequest
from provisioner.service.agence.operators import Operator, UnknownOperator
from provisioner.service.agence.revert import UnknownChangeSet
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.change_sets import UnknownRevert
from provisioner.service.read_models.errors import UnknownAccount, UnknownSubmission
from provisioner.web import sessions
from provisioner.web.render import PACKAGE, page
from provisioner.wording import web_errors as text

# Unknown things are 404; everything else an operator can get wrong is a conflict with the store's state.
NOT_FOUND = (UnknownAdherent, UnknownRequest, UnknownMail, UnknownOperator, UnknownSubmission, UnknownAccount,
             UnknownChangeSet, UnknownRevert)
FORM_MAX_FIELDS = 50


@dataclass
class Web:
    """What a page function gets: the request, the service context, who is signed in, the form."""

    request: Request
    ctx: ServiceContext
    session: sessions.Session
    form: FormData | None

    @property
    def operator(self) -> Operator:
        return self.session.operator

    def field(self, name: str, limit: int = 2000) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip()[:limit] if isinstance(value, str) else ""

    def query(self, name: str, limit: int = 100) -> str:
        """A list page's text filter, from the query string: trimmed and cut to `limit`."""
        return self.request.query_params.get(name, "").strip()[:limit]

    def choice(self, name: str, allowed: Collection[str]) -> str:
        """A list page's filter that takes one of `allowed`; anything else is no filter ('')."""
        value = self.request.query_params.get(name, "")
        return value if value in allowed else ""

    def day(self, name: str) -> date | None:
        """A list page's date filter (`2026-12-07`, as `<input type="date">` sends it); else no filter."""
        raw = self.query(name, 10)
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    def render(self, template: str, status_code: int = 200, **values: object) -> Response:
        return page(template, status_code, package=PACKAGE, operator=self.operator,
                    csrf_token=self.session.csrf_token, path=self.request.url.path, **values)


Endpoint = Callable[[Request], Awaitable[Response]]


def context_of(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def session_cookie(request: Request) -> str:
    return sessions.cookie_name(sessions.COOKIE, context_of(request).settings.web_secure_cookies)


def current_session(request: Request) -> sessions.Session | None:
    ctx = context_of(request)
    idle, lifetime = sessions.limits(ctx.settings)
    return sessions.find_session(ctx.engine, request.cookies.get(session_cookie(request)), ctx.clock(), idle,
                                 lifetime)


def local_path(value: str | None) -> str:
    """`value` when it is a path of this site (`/soumissions?page=2`), else "": never `//host`, `/\\host`,
    an absolute URL or a control character, which would send the operator elsewhere after sign-in."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return ""
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):  # browsers read `/\\host` as `//host`
        return ""
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else ""


def to_sign_in(request: Request) -> Response:
    """To the sign-in page, saying so when a session has ended, and back to this page afterwards."""
    params = {}
    if request.cookies.get(session_cookie(request)):
        params["fin"] = "1"  # a cookie came, but its session is over (idle, too old, signed out elsewhere)
    if request.method == "GET":  # a form posted without a session cannot be replayed: back to its page only
        target = local_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if target and target != "/":
            params["suivant"] = target
    return RedirectResponse("/connexion" + (f"?{urlencode(params)}" if params else ""), status_code=303)


def guarded(role: str, *, post: bool = False) -> Callable[[Callable[[Web], Response]], Endpoint]:
    def wrap(fn: Callable[[Web], Response]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            form = await request.form(max_files=0, max_fields=FORM_MAX_FIELDS) if post else None
            try:
                return await run_in_threadpool(_serve, fn, role, request, form)
            finally:
                if form is not None:
                    await form.close()
        endpoint.__name__ = fn.__name__
        return endpoint
    return wrap


def _serve(fn: Callable[[Web], Response], role: str, request: Request, form: FormData | None) -> Response:
    session = current_session(request)
    if session is None:
        return to_sign_in(request)
    # A GET never changes anything: it reads through the engine that never waits for a writer.
    ctx = context_of(request) if form is not None else request.app.state.read_ctx
    web = Web(request, ctx, session, form)
    if form is not None and not same_token(form.get("csrf_token"), session.csrf_token):
        return web.render("erreur.html", 403, title=text.ACTION_REFUSED, message=text.STALE_TOKEN)
    if not session.operator.can(role):
        return web.render("erreur.html", 403, title=text.ACCESS_REFUSED,
                          message=text.role_refused(session.operator.role))
    try:
        return fn(web)
    except AgenceError as error:
        status = 404 if isinstance(error, NOT_FOUND) else 409
        return web.render("erreur.html", status, title=text.IMPOSSIBLE if status == 409 else text.NOT_FOUND,
                          message=str(error))


def same_token(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
