"""`/comptes?q=`: accounts found by login, name or email (prefix, ignoring case), across companies;
`/comptes/{login}`: one account, its details (never a secret) and every change it went through."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.service import history
from provisioner.service.read_models import accounts
from provisioner.service.read_models.paging import SEARCH_MIN
from provisioner.web.guard import Web, guarded, page_number


@guarded("lecture")
def account_search(web: Web) -> Response:
    q = web.query("q")
    found = accounts.search_accounts(web.ctx, q, page=page_number(web.request))
    return web.render("comptes.html", found=found, q=q, search_min=SEARCH_MIN)


@guarded("lecture")
def account_page(web: Web) -> Response:
    login = str(web.request.path_params["login"])[:64]
    account = accounts.account_detail(web.ctx, login)
    changes = history.account_history(web.ctx, account["login"])["changes"]
    return web.render("compte.html", c=account, changes=changes)


routes = [
    Route("/comptes", account_search, methods=["GET"]),
    Route("/comptes/{login}", account_page, methods=["GET"]),
]
