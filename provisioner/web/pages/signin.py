"""Signing in and out.

The sign-in form is itself protected from cross-site posts (double submit:
a random token in a SameSite=Strict cookie and in the form). A wrong
password, an unknown login, a disabled or locked operator: one answer.
Failures are also counted per client address (web/throttle.py): past the
limit the address gets a 429 before any password is checked.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from provisioner.service.agence import operators
from provisioner.web import sessions, throttle
from provisioner.web.client_address import client_address, trusted_networks
from provisioner.web.guard import Web, context_of, current_session, guarded, local_path, same_token, session_cookie
from provisioner.web.render import page
from provisioner.wording import web_errors as text

LOGIN_CSRF_COOKIE = "provisioner_login_csrf"


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    secure = context_of(request).settings.web_secure_cookies
    response.set_cookie(sessions.cookie_name(name, secure), value, httponly=True, samesite="strict", path="/",
                        secure=secure)


def _login_csrf(request: Request) -> str:
    secure = context_of(request).settings.web_secure_cookies
    return request.cookies.get(sessions.cookie_name(LOGIN_CSRF_COOKIE, secure), "")


def _form(request: Request, status_code: int = 200, error: str = "", *, login: str = "", next_path: str = "",
          notice: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = page("connexion.html", status_code, operator=None, csrf_token=token, path="/connexion",
                    error=error, notice=notice, login=login, suivant=next_path)
    _cookie(response, request, LOGIN_CSRF_COOKIE, token)
    return response


async def sign_in_form(request: Request) -> Response:
    next_path = local_path(request.query_params.get("suivant"))
    session = await run_in_threadpool(current_session, request)
    if session is not None:
        return RedirectResponse(next_path or "/", status_code=303)
    notice = text.SESSION_ENDED if request.query_params.get("fin") == "1" else ""
    return _form(request, next_path=next_path, notice=notice)


async def sign_in(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=10) as form:
        login, password, token = form.get("login"), form.get("password"), form.get("csrf_token")
        next_path = local_path(str(form.get("suivant") or ""))
    typed = login[:64] if isinstance(login, str) else ""
    if not same_token(token, _login_csrf(request)):
        return _form(request, 403, text.SIGNIN_EXPIRED,
                     login=typed, next_path=next_path)
    if not isinstance(login, str) or not isinstance(password, str) or not login or not password:
        return _form(request, 400, text.SIGNIN_MISSING, login=typed,
                     next_path=next_path)
    ctx = context_of(request)
    address = client_address(request, trusted_networks(ctx.settings.web_trusted_proxy))
    if await run_in_threadpool(throttle.too_many, ctx.engine, address, ctx.clock(), ctx.settings.web_signin_per_ip):
        minutes = int(throttle.WINDOW.total_seconds() // 60)
        return _form(request, 429, text.too_many_sign_ins(minutes), login=typed, next_path=next_path)
    operator = await run_in_threadpool(operators.authenticate, ctx, login[:200], password[:200])
    if operator is None:
        await run_in_threadpool(throttle.record_failure, ctx.engine, address, ctx.clock())
        return _form(request, 401, text.SIGNIN_REFUSED, login=typed, next_path=next_path)
    cookie, _session = await run_in_threadpool(sessions.open_session, ctx.engine, operator, ctx.clock())
    await run_in_threadpool(sessions.forget_idle, ctx.engine, ctx.clock(), *sessions.limits(ctx.settings))
    response = RedirectResponse(next_path or "/", status_code=303)
    _cookie(response, request, sessions.COOKIE, cookie)
    response.delete_cookie(sessions.cookie_name(LOGIN_CSRF_COOKIE, ctx.settings.web_secure_cookies), path="/")
    return response


@guarded("lecture", post=True)
def sign_out(web: Web) -> Response:
    name = session_cookie(web.request)
    sessions.close_session(web.ctx.engine, web.request.cookies.get(name, ""))
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(name, path="/")
    return response


routes = [
    Route("/connexion", sign_in_form, methods=["GET"]),
    Route("/connexion", sign_in, methods=["POST"]),
    Route("/deconnexion", sign_out, methods=["POST"]),
]
