"""`/comptes?q=`: accounts found by login, name or email (prefix, ignoring case), across companies."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.service import lookup
from provisioner.web.guard import Web, guarded, page_number


@guarded("lecture")
def account_search(web: Web) -> Response:
    q = web.request.query_params.get("q", "").strip()[:100]
    found = lookup.search_accounts(web.ctx, q, page=page_number(web.request))
    return web.render("comptes.html", found=found, q=q, search_min=lookup.SEARCH_MIN)


routes = [Route("/comptes", account_search, methods=["GET"])]
