"""Every POST must come from a page of this site: its `Origin` (else its `Referer`) names our host.

The CSRF token already refuses a form posted from elsewhere; this check is
the second lock, and the only one on a form whose token an attacker could
read. Browsers send `Origin` with every POST; a client that sends neither
header (a script, the test client) is left to the token.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from provisioner.wording import web_errors as text

Render = Callable[[Request, int, str, str], Response]


def same_origin(headers: Headers) -> bool:
    host = headers.get("host", "")
    for name in ("origin", "referer"):
        value = headers.get(name)
        if value is not None:
            return bool(host) and urlsplit(value).netloc == host  # "null" (a sandboxed frame) has no netloc
    return True


class SameOrigin:
    """Refuses (403, French page) a POST whose Origin or Referer is another site's."""

    def __init__(self, app: ASGIApp, render: Render) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not same_origin(Headers(scope=scope)):
            await self.render(Request(scope), 403, text.ACTION_REFUSED, text.OTHER_ORIGIN)(scope, receive, send)
            return
        await self.app(scope, receive, send)
