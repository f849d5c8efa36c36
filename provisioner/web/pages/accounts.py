"""`/comptes?q=`: accounts found by login, name or email (prefix, ignoring case), across companies;
`/comptes/{login}`: one account, its details (never a secret) and every change it went through."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from provisioner.domain.vocabulary import Teleservice
from provisioner.service.agence import history
from provisioner.service.read_models import accounts
from provisioner.service.read_models.exports import in_chunks
from provisioner.service.read_models.paging import SEARCH_MIN
from provisioner.store.tables import ACCOUNT_STATUSES, adherents
from provisioner.store.tables import accounts as account_table
from provisioner.web.csv_export import csv_response
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import web_pages as text
from provisioner.wording.labels import ACCOUNT_STATUS, label, teleservice_name

TELESERVICE_KEYS = tuple(t.value for t in Teleservice)
SORT_LABELS = text.ACCOUNT_SORTS


def _filters(web: Web) -> dict[str, str]:
    return {"q": web.query("q"), "teleservice": web.choice("teleservice", TELESERVICE_KEYS),
            "status": web.choice("statut", ACCOUNT_STATUSES), "sort": web.choice("tri", accounts.SORTS) or "login"}


@guarded("lecture")
def account_search(web: Web) -> Response:
    chosen = _filters(web)
    found = accounts.search_accounts(web.ctx, chosen["q"], teleservice=chosen["teleservice"],
                                     status=chosen["status"], sort=chosen["sort"], page=page_number(web.request))
    return web.render("comptes.html", found=found, q=chosen["q"], search_min=SEARCH_MIN,
                      teleservice=chosen["teleservice"], statut=chosen["status"], teleservices=TELESERVICE_KEYS,
                      statuses=ACCOUNT_STATUSES, sorts=SORT_LABELS,
                      tri="" if chosen["sort"] == "login" else chosen["sort"])


@guarded("lecture")
def account_export(web: Web) -> Response:
    """Every account the page's filters keep (every account without any), by login (a keyset needs a key
    without blanks: a name may be empty)."""
    chosen = _filters(web)
    q = chosen["q"] if len(chosen["q"]) >= SEARCH_MIN else ""
    matching = accounts.matching_accounts(web.ctx, q, teleservice=chosen["teleservice"],
                                          status=chosen["status"]).subquery()
    query = (accounts.found_columns().add_columns(account_table.c.login_key)
             .join(matching, matching.c.id == account_table.c.id)
             .join(adherents, adherents.c.id == account_table.c.adherent_id))
    rows = in_chunks(web.ctx, query, [account_table.c.login_key, account_table.c.id], accounts.AccountFound)
    return csv_response("comptes.csv", text.ACCOUNTS_HEADER,
                        ([r["login"], teleservice_name(r["teleservice"]), label(ACCOUNT_STATUS, r["status"]),
                          r["nom"], r["prenom"], r["email"], r["numero"], r["raison_sociale"]] for r in rows))


@guarded("lecture")
def account_page(web: Web) -> Response:
    login = str(web.request.path_params["login"])[:64]
    account = accounts.account_detail(web.ctx, login)
    changes = history.account_history(web.ctx, account["login"])["changes"]
    return web.render("compte.html", c=account, changes=changes)


routes = [
    Route("/comptes", account_search, methods=["GET"]),
    Route("/comptes.csv", account_export, methods=["GET"]),
    Route("/comptes/{login}", account_page, methods=["GET"]),
]
