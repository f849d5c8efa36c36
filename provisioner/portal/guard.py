"""What every portal page shares: its CSRF cookie, the client's address, refusals as French pages.

CSRF is a double submit: a random token in a cookie of the portal's own
(HttpOnly, SameSite=Strict, `__Host-` prefixed behind HTTPS) and in every
form; a POST whose field differs from its cookie does nothing. The portal
has no session: nothing a page shows depends on who asks, only on the jeton
in its address.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from provisioner.config import Settings
from provisioner.service.context import ServiceContext
from provisioner.web.client_address import client_address as web_client_address
from provisioner.web.client_address import trusted_networks
from provisioner.web.guard import same_token
from provisioner.web.render import page
from provisioner.wording.portal import Refusal

PACKAGE = "provisioner.portal"
COOKIE = "portail_csrf"
NO_INDEX = "noindex, nofollow"


def context_of(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def cookie_name(settings: Settings) -> str:
    # `__Host-`: the browser takes it only from HTTPS, for this host alone, on every path.
    return f"__Host-{COOKIE}" if settings.web_secure_cookies else COOKIE


def csrf_token(request: Request) -> str:
    """The browser's token if it has a sane one (several tabs share it), else a new one."""
    given = request.cookies.get(cookie_name(context_of(request).settings), "")
    return given if 32 <= len(given) <= 64 and given.replace("-", "").replace("_", "").isalnum() \
        else secrets.token_urlsafe(32)


def csrf_ok(request: Request, given: str) -> bool:
    """The form's token is its cookie's, and the browser, when it says, posted from a page of ours.

    The second half holds where the first may not: a sibling subdomain can write
    a plain `portail_csrf` cookie of its choosing (no `__Host-` without secure
    cookies), but the browser names its page `same-site`, not `same-origin`.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    return same_token(given, request.cookies.get(cookie_name(context_of(request).settings), ""))


def render(request: Request, template: str, status_code: int = 200, *, private: bool = False,
           **values: object) -> Response:
    """A portal page with its form token; `private` pages (a jeton's) are also kept out of search engines."""
    token = csrf_token(request)
    response = page(template, status_code, package=PACKAGE, csrf_token=token, **values)
    settings = context_of(request).settings
    response.set_cookie(cookie_name(settings), token, httponly=True, samesite="strict", path="/",
                        secure=settings.web_secure_cookies)
    if private:
        response.headers["x-robots-tag"] = NO_INDEX
    return response


def refusal(request: Request, status_code: int, words: Refusal) -> Response:
    """Every refusal: a French page saying what happened and what to do; nothing was kept."""
    return render(request, "erreur.html", status_code, private=True, title=words.title, message=words.message,
                  advice=words.advice)


def client_address(request: Request) -> str:
    """Who to count an upload or a prefill against (web.client_address), behind `portal_trusted_proxies`."""
    return web_client_address(request, trusted_networks(context_of(request).settings.portal_trusted_proxies))
