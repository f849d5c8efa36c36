"""`/operateurs` (admin): the back office's people; `/journal`: every operator action."""

from __future__ import annotations

from typing import Any

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
        return _listing(web, 400, "Le mot de passe et sa confirmation diffèrent : rien n'a été fait.")
    try:
        added = operators.add_operator(web.ctx, web.field("login", 100), web.field("role", 20), password,
                                       actor=web.operator.login)
    except operators.OperatorError as error:
        return _listing(web, 400, str(error))
    return _done(web, f"Opérateur {added.login} ajouté (rôle {added.role})")


@guarded("admin", post=True)
def operator_disable(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    if login == web.operator.login:  # refused before asking: no confirmation for what cannot be done
        return _listing(web, 409, str(operators.OwnAccount(what="désactiver")))
    ask = confirmation(web, f"Désactiver l'opérateur {login} ?",
                       [f"{login} ne pourra plus se connecter et ses sessions ouvertes seront fermées tout de suite.",
                        "Un administrateur pourra le réactiver ensuite (bouton « Réactiver ») ; ses sessions, elles, "
                        "ne reviendront pas."],
                       "Désactiver", "/operateurs")
    if ask is not None:
        return ask
    try:
        operators.disable_operator(web.ctx, login, actor=web.operator.login)
    except (operators.OwnAccount, operators.LastAdmin) as error:
        return _listing(web, 409, str(error))
    return _done(web, f"Opérateur {login} désactivé", "Ses sessions ouvertes sont fermées.")


@guarded("admin", post=True)
def operator_enable(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    operators.enable_operator(web.ctx, login, actor=web.operator.login)
    return _done(web, f"Opérateur {login} réactivé", "Il peut se connecter avec son mot de passe et son rôle.")


@guarded("admin", post=True)
def operator_role(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    role = web.field("role", 20)
    try:
        operators.change_role(web.ctx, login, role, actor=web.operator.login)
    except (operators.OwnAccount, operators.LastAdmin, operators.UnknownRole) as error:
        return _listing(web, 409, str(error))
    return _done(web, f"Opérateur {login} : rôle {role_label(role)}", "Le nouveau rôle vaut dès sa page suivante.")


@guarded("admin", post=True)
def operator_password(web: Web) -> Response:
    login = str(web.request.path_params["login"])
    password = web.field("password", 200)
    if password != web.field("confirmation", 200):
        return _listing(web, 400, "Le mot de passe et sa confirmation diffèrent : rien n'a été fait.")
    try:
        operators.reset_operator_password(web.ctx, login, password, actor=web.operator.login)
    except operators.WeakPassword as error:
        return _listing(web, 400, str(error))
    return _done(web, f"Mot de passe de l'opérateur {login} changé",
                 "Son blocage est levé et ses sessions ouvertes sont fermées.")


def role_label(role: str) -> str:
    return OPERATOR_ROLE.get(role, role)


def _done(web: Web, title: str, line: str = "") -> Response:
    return web.render("resultat.html", title=title, lines=[line] if line else [],
                      back={"href": "/operateurs", "label": "Retour aux opérateurs"})


def _journal_filters(web: Web) -> dict[str, Any]:
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
    return csv_response("journal.csv", ("Quand", "Qui", "Action", "Adhérent", "Sur", "Motif"),
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
