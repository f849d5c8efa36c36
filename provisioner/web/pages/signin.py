"""Signing in and out.

The sign-in form is itself protected from cross-site posts (double submit:
a random token in a SameSite=Strict cookie and in the form). A wrong
password, an unknown login, a disabled or locked operator: one answer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from provisioner.service import operators
from provisioner.web import sessions
from provisioner.web.guard import Web, context_of, current_session, guarded, same_token
from provisioner.web.render import page

LOGIN_CSRF_COOKIE = "provisioner_login_csrf"
REFUSED = ("Identifiant ou mot de passe incorrect. Après 5 échecs de suite, la connexion est bloquée "
           "30 minutes : un administrateur peut la débloquer en changeant votre mot de passe.")


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/",
                        secure=context_of(request).settings.web_secure_cookies)


def _form(request: Request, status_code: int = 200, error: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = page("connexion.html", status_code, operator=None, csrf_token=token, path="/connexion",
                    error=error)
    _cookie(response, request, LOGIN_CSRF_COOKIE, token)
    return response


async def sign_in_form(request: Request) -> Response:
    session = await run_in_threadpool(current_session, request)
    if session is not None:
        return RedirectResponse("/", status_code=303)
    return _form(request)


async def sign_in(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=10) as form:
        login, password, token = form.get("login"), form.get("password"), form.get("csrf_token")
    if not same_token(token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _form(request, 403, "Le formulaire a expiré : rien n'a été fait. Saisissez à nouveau vos identifiants.")
    if not isinstance(login, str) or not isinstance(password, str) or not login or not password:
        return _form(request, 400, "Saisissez votre identifiant et votre mot de passe.")
    ctx = context_of(request)
    operator = await run_in_threadpool(operators.authenticate, ctx, login[:200], password[:200])
    if operator is None:
        return _form(request, 401, REFUSED)
    cookie, _session = await run_in_threadpool(sessions.open_session, ctx.engine, operator, ctx.clock())
    idle = timedelta(minutes=ctx.settings.web_idle_minutes)
    await run_in_threadpool(sessions.forget_idle, ctx.engine, ctx.clock(), idle)  # rows no cookie can use
    response = RedirectResponse("/", status_code=303)
    _cookie(response, request, sessions.COOKIE, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@guarded("lecture", post=True)
def sign_out(web: Web) -> Response:
    token = web.request.cookies.get(sessions.COOKIE, "")
    sessions.close_session(web.ctx.engine, token)
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


routes = [
    Route("/connexion", sign_in_form, methods=["GET"]),
    Route("/connexion", sign_in, methods=["POST"]),
    Route("/deconnexion", sign_out, methods=["POST"]),
]
