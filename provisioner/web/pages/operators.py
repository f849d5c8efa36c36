"""`/operateurs` (admin): the back office's people; `/journal`: every operator action."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from starlette.responses import Response
from starlette.routing import Route

from provisioner.service.agence import operators
from provisioner.service.read_models import audit
from provisioner.service.read_models.exports import in_chunks
from provisioner.store.tables import OPERATOR_ROLES
from provisioner.store.tables import audit as audit_table
from provisioner.web import words
from provisioner.web.confirm import confirmation
from provisioner.web.csv_export import csv_response, spreadsheet_time
from provisioner.web.guard import Web, guarded, page_number
from provisioner.wording import results
from provisioner.wording import web_pages as text
from provisioner.wording.labels import EVENT, OPERATOR_ROLE, label


def _listing(web: Web, status_code: int = 200, error: str = "") -> Response:
    return web.render("operateurs.html", status_code, found=operators.list_operators(web.ctx), roles=OPERATOR_ROLES,
                      error=error, password_min=operators.PASSWORD_MIN)


@guarded("admin")
def operator_list(web: Web) -> Response:
    return _listing(web)


@guarded("admin", post=True)
def operator_add(web: Web) -> Response:
    password = web.field("password", 200)
    if password != web.field("confirmation", 200):
        return _listing(web, 400, text.NOTHING_DONE_PASSWORDS)
    try:
        added = operators.add_operator(web.ctx, web.field("login", 100), web.field("role", 20), password,
                                       actor=web.operator.login)
    except operators.OperatorError as error:
        return _listing(web, 400, str(error))
    return _done(web, results.operator_added(added.login, added.role))


@guarded("admin", post=True)
def operator_disable(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    if login == web.operator.login:  # refused before asking: no confirmation for what cannot be done
        return _listing(web, 409, str(operators.OwnAccount(what="désactiver")))
    ask = confirmation(web, text.disable_question(login), text.disable_what(login), text.DISABLE_BUTTON,
                       "/operateurs")
    if ask is not None:
        return ask
    try:
        operators.disable_operator(web.ctx, login, actor=web.operator.login)
    except (operators.OwnAccount, operators.LastAdmin) as error:
        return _listing(web, 409, str(error))
    return _done(web, results.operator_disabled(login), text.SESSIONS_CLOSED)


@guarded("admin", post=True)
def operator_enable(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    operators.enable_operator(web.ctx, login, actor=web.operator.login)
    return _done(web, results.operator_enabled(login), text.ENABLED_WHAT)


@guarded("admin", post=True)
def operator_role(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    role = web.field("role", 20)
    try:
        operators.change_role(web.ctx, login, role, actor=web.operator.login)
    except (operators.OwnAccount, operators.LastAdmin, operators.UnknownRole) as error:
        return _listing(web, 409, str(error))
    return _done(web, results.operator_role(login, role_label(role)), text.ROLE_FROM_NEXT_PAGE)


@guarded("admin", post=True)
def operator_password(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    password = web.field("password", 200)
    if password != web.field("confirmation", 200):
        return _listing(web, 400, text.NOTHING_DONE_PASSWORDS)
    try:
        operators.reset_operator_password(web.ctx, login, password, actor=web.operator.login)
    except operators.WeakPassword as error:
        return _listing(web, 400, str(error))
    return _done(web, results.operator_password_changed(login), text.PASSWORD_CHANGED_WHAT)


def role_label(role: str) -> str:
    return OPERATOR_ROLE.get(role, role)


def _done(web: Web, title: str, line: str = "") -> Response:
    return web.render("resultat.html", title=title, lines=[line] if line else [],
                      back={"href": "/operateurs", "label": text.BACK_TO_OPERATORS})


class JournalFilters(TypedDict):
    """The journal's filters, as the read model takes them (audit.journal, audit.filter_journal)."""

    actor: str
    action: str
    day: date | None


def _journal_filters(web: Web) -> JournalFilters:
    return {"actor": web.query("operateur", 64), "action": web.choice("action", EVENT), "day": web.day("date")}


@guarded("lecture")
def journal(web: Web) -> Response:
    chosen = _journal_filters(web)
    found = audit.journal(web.ctx, **chosen, page=page_number(web.request))
    day = chosen["day"]
    filters = {"operateur": chosen["actor"], "action": chosen["action"], "date": day.isoformat() if day else ""}
    return web.render("journal.html", found=found, filters=filters, actions=EVENT)


@guarded("lecture")
def journal_export(web: Web) -> Response:
    """Every audit row the page's filters keep, newest first."""
    query = audit.filter_journal(audit.journal_columns(), **_journal_filters(web))
    rows = (audit.audit_row(r) for r in in_chunks(web.ctx, query, [audit_table.c.id], audit.JournalColumns,
                                                  descending=True))
    return csv_response("journal.csv", text.JOURNAL_HEADER,
                        ([spreadsheet_time(r["at"]), words.actor(r["actor"]).text, label(EVENT, r["action"]),
                          r["adherent_numero"], words.target(r["target"]).text, r["reason"]] for r in rows))


routes = [
    Route("/operateurs", operator_list, methods=["GET"]),
    Route("/operateurs", operator_add, methods=["POST"]),
    Route("/operateurs/{login}/desactiver", operator_disable, methods=["POST"]),
    Route("/operateurs/{login}/mot-de-passe", operator_password, methods=["POST"]),
    Route("/operateurs/{login}/reactiver", operator_enable, methods=["POST"]),
    Route("/operateurs/{login}/role", operator_role, methods=["POST"]),
    Route("/journal", journal, methods=["GET"]),
    Route("/journal.csv", journal_export, methods=["GET"]),
]
