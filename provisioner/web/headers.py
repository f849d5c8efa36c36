"""The security headers of every response, for the back office and any other app of ours (the portal).

`SecurityHeaders(app, csp=..., hsts=...)` wraps an ASGI app. Every page
but the static files is `no-store` (they show personal data, and a shared
browser must not keep them). HSTS is sent only when the cookies are
`Secure`, that is when the site is served over HTTPS.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No script at all, styles from our own file only, no framing, forms post only to us.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
# None of the browser's powerful features is ever needed by a page of ours.
PERMISSIONS = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
               "interest-cohort=(), fullscreen=(), display-capture=()")
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/static/"


def header_list(csp: str = CSP, *, hsts: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (not `Cache-Control`, which depends on the path)."""
    found = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", PERMISSIONS.encode()),
    ]
    return [*found, HSTS] if hsts else found


class SecurityHeaders:
    """Adds the security headers to every HTTP response of `app`."""

    def __init__(self, app: ASGIApp, *, csp: str = CSP, hsts: bool = False) -> None:
        self.app = app
        self.headers = header_list(csp, hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control" or static]
                headers += self.headers
                if not static:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
