"""A second step, without JavaScript, before an action that cannot be undone.

The first POST (the list's button) changes nothing: it answers a page that
says what will happen, with a form that posts the same fields again plus
`confirmer=oui`. Only that second POST acts. The token is checked on both
(guard.py), so a forged first step leads nowhere.
"""

from __future__ import annotations

from starlette.responses import Response

from provisioner.web.guard import Web

CONFIRM_FIELD = "confirmer"
KEPT_OUT = frozenset({"csrf_token", CONFIRM_FIELD})


def confirmation(web: Web, title: str, lines: list[str], button: str, back: str) -> Response | None:
    """None when the operator has confirmed; else the page that asks them to (nothing done yet)."""
    if web.field(CONFIRM_FIELD) == "oui":
        return None
    fields = [(k, v) for k, v in (web.form.multi_items() if web.form is not None else [])
              if k not in KEPT_OUT and isinstance(v, str)]
    return web.render("confirmer.html", title=title, lines=lines, button=button, back=back,
                      action_url=web.request.url.path, fields=fields)
