"""The Agence Virtuelle's commands: companies, requests, accounts and the state of the service.

Thin: each command opens the service context, calls one use case of
`provisioner.service.agence` (or one read of `provisioner.service.read_models`)
and prints what it returns, as a table or, with `--json`, as JSON for scripts (times in ISO 8601 with their offset). A
table goes to a terminal drawn to its width; piped or redirected, it is
written whole as tab-separated values (a heading line, then one line per
row), for scripts and mails. Times for people are in Casablanca time. An
unknown member number or request is a one-line error (exit 1); a malformed
argument is a usage error (exit 2). Values typed by outsiders (names, file
names) are printed as plain text, never read as rich markup or terminal
control sequences.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from provisioner.cli.app import cli, open_or_exit
from provisioner.domain.vocabulary import AdherentStatus, Teleservice
from provisioner.wording import dates
from provisioner.wording.labels import (
    ACCOUNT_STATUS,
    ADHERENT_STATUS,
    REQUEST_KIND_SHORT,
    REQUEST_STATUS,
    SKIP_REASON,
    label,
    status_label,
)

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext

F = TypeVar("F", bound=Callable[..., Any])  # a decorated command keeps its type

NUMERO = re.compile(r"[0-9]{4,10}")
ADHERENT_STATUSES = tuple(s.value for s in AdherentStatus)


# -- shared by every command ------------------------------------------------------------

@contextmanager
def agence() -> Iterator[ServiceContext]:
    """The service context; an operator's mistake (unknown number…) becomes a one-line error, exit 1."""
    from provisioner.service.operator_commands import AgenceError

    with open_or_exit() as ctx:
        try:
            yield ctx
        except AgenceError as error:
            raise click.ClickException(str(error)) from None


def _check_numero(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not NUMERO.fullmatch(value):
        raise click.BadParameter("a member number is 4 to 10 digits, e.g. 123456")
    return value


def numero_argument() -> Callable[[F], F]:
    return click.argument("numero", callback=_check_numero)


def json_option() -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of a table.")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return dates.aware(value).isoformat(timespec="seconds")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def plain(value: Any) -> str:
    """Printable text: no control character from a workbook reaches the terminal."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return dates.short(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))


def print_table(title: str, headings: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str,
                titled: bool = False) -> None:
    """A table for a terminal; with no terminal, tab-separated values, whole (`titled`: a `# title`
    line first, for the commands that print several tables)."""
    rows = list(rows)
    if not sys.stdout.isatty():
        print_tsv(title if titled else None, headings, rows)
        return
    console = Console(highlight=False)
    if not rows:
        if empty:
            console.print(Text(empty))
        return
    table = Table(*headings, title=title, title_justify="left")
    for row in rows:
        table.add_row(*(Text(plain(cell)) for cell in row))  # Text: never parsed as markup
    console.print(table)


def print_tsv(title: str | None, headings: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    # plain() turns tabs and line breaks into U+FFFD: a value never splits a line or a column.
    lines = ([f"# {plain(title)}"] if title else []) + ["\t".join(plain(h) for h in headings)]
    lines += ["\t".join(plain(cell) for cell in row) for row in rows]
    click.echo("\n".join(lines))


def say(message: str) -> None:
    click.echo(plain(message))


# -- adherents ---------------------------------------------------------------------------

@cli.group("adherents")
def adherents_group() -> None:
    """Member companies: list them, validate a subscription, unlock, reset the administrator password.

    \b
    Example:
        provisioner adherents list --status pending
    """


@adherents_group.command("list")
@click.option("--status", type=click.Choice(ADHERENT_STATUSES),
              help="Only companies in this state (pending: subscription waiting for validation).")
@json_option()
def adherents_list(status: str | None, as_json: bool) -> None:
    """List member companies: state, delegate, accounts, users waiting, lock.

    \b
    Example:
        provisioner adherents list --status pending --json
    """
    from provisioner.service.read_models.companies import list_adherents

    with agence() as ctx:
        found = list_adherents(ctx, status)
    if as_json:
        echo_json(found)
        return
    print_table("Adhérents", ("Numéro", "Raison sociale", "Statut", "Délégué", "Email délégué", "Comptes",
                              "En attente", "Bloqué", "Inscrit le"),
                ((a["numero"], a["raison_sociale"], label(ADHERENT_STATUS, a["status"]), a["delegue"],
                  a["delegue_email"], a["accounts"], a["waiting_users"], a["locked"], a["created_at"])
                 for a in found), empty="Aucun adhérent.")


@adherents_group.command("activate")
@numero_argument()
@json_option()
def adherents_activate(numero: str, as_json: bool) -> None:
    """Validate a subscription once the signed form has arrived.

    The company becomes active; the users of its Abonnement workbook are
    created (a login taken since is not, and is listed); the delegate on
    record is told by email, and each user given a generated password gets
    it at their own address.

    \b
    Example:
        provisioner adherents activate 123456
    """
    from provisioner.service import subscriptions

    with agence() as ctx:
        result = subscriptions.activate(ctx, numero)
    if as_json:
        echo_json(result)
        return
    say(f"Abonnement de l'adhérent {numero} validé : {len(result.created)} compte(s) créé(s), "
        f"{len(result.skipped)} non créé(s). La personne déléguée est prévenue par email.")
    print_table("Comptes créés", ("Login", "Téléservice", "Mot de passe généré"),
                ((u["login"], u["teleservice"], u["generated_password"]) for u in result.created), empty="",
                titled=True)
    print_table("Non créés", ("Login", "Téléservice", "Raison"),
                ((u["login"], u["teleservice"], label(SKIP_REASON, u["reason"])) for u in result.skipped),
                empty="", titled=True)


@adherents_group.command("unlock")
@numero_argument()
def adherents_unlock(numero: str) -> None:
    """Lift a company's lock after failed authentications, and reset its failure count.

    \b
    Example:
        provisioner adherents unlock 123456
    """
    from provisioner.service import companies

    with agence() as ctx:
        result = companies.unlock(ctx, numero)
    if result.was_locked:
        say(f"Adhérent {numero} débloqué ({result.failed_auth} échec(s) effacé(s)).")
    else:
        say(f"Adhérent {numero} : il n'était pas bloqué ; compteur d'échecs remis à zéro "
            f"({result.failed_auth} avant).")


@adherents_group.command("reset-password")
@numero_argument()
def adherents_reset_password(numero: str) -> None:
    """Give the company a new administrator password, after its signed letter.

    The password is generated, stored hashed and emailed to the delegate on
    record only; it is never printed. The company's lock is lifted too.

    \b
    Example:
        provisioner adherents reset-password 123456
    """
    from provisioner.service import companies

    with agence() as ctx:
        result = companies.reset_admin_password(ctx, numero)
    say(f"Nouveau mot de passe administrateur de l'adhérent {numero} envoyé par email à la personne "
        f"déléguée enregistrée ({result.sent_to}). Il n'est affiché nulle part.")


# -- requests ----------------------------------------------------------------------------

@cli.group("requests")
def requests_group() -> None:
    """Changes waiting for a signed letter: list them, approve or reject them.

    \b
    Example:
        provisioner requests list
    """


@requests_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Every request, decided ones too (default: waiting).")
@json_option()
def requests_list(show_all: bool, as_json: bool) -> None:
    """List the requests waiting for the Agence Virtuelle's decision.

    \b
    Example:
        provisioner requests list --all --json
    """
    from provisioner.service.read_models.requests import list_requests

    with agence() as ctx:
        found = list_requests(ctx, None if show_all else "waiting")
    if as_json:
        echo_json(found)
        return
    print_table("Demandes", ("N°", "Adhérent", "Type", "Statut", "Reçue le", "Détail"),
                ((r["id"], r["numero"], label(REQUEST_KIND_SHORT, r["kind"]),
                  label(REQUEST_STATUS, r["status"]), r["created_at"], _detail(r["kind"], r["payload"]))
                 for r in found), empty="Aucune demande en attente." if not show_all else "Aucune demande.")


def _detail(kind: str, payload: dict[str, Any]) -> str:
    if kind == "mass_disable":
        logins = ", ".join(str(c["login"]) for c in payload.get("changes", []) if c.get("action") == "disable")
        return f"{payload.get('disable', '?')} désactivation(s) sur {payload.get('active', '?')} actifs : {logins}"
    before = payload.get("before") or {}
    return "; ".join(f"{k} : {before.get(k) or '∅'} → {v}" for k, v in (payload.get("changes") or {}).items())


@requests_group.command("approve")
@click.argument("request_id", metavar="ID", type=click.IntRange(min=1))
def requests_approve(request_id: int) -> None:
    """Approve a waiting request and apply it; the delegate is told by email.

    A held workbook (mass deactivation) is applied change by change against
    the accounts of today: a login gone or taken since is skipped and listed.

    \b
    Example:
        provisioner requests approve 12
    """
    from provisioner.service import decisions

    with agence() as ctx:
        decision = decisions.approve_request(ctx, request_id)
    say(f"Demande {request_id} ({label(REQUEST_KIND_SHORT, decision.kind)}, adhérent {decision.numero}) "
        f"{REQUEST_STATUS['approved']} : {len(decision.applied)} changement(s) appliqué(s), "
        f"{len(decision.skipped)} ignoré(s).")
    for skipped in decision.skipped:
        say(f"  ignoré : {skipped['teleservice']}:{skipped['login']} "
            f"({label(SKIP_REASON, skipped['reason'])})")
    _say_notified(decision.notified)


@requests_group.command("reject")
@click.argument("request_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--reason", help="Why, in French: quoted in the email to the delegate.")
def requests_reject(request_id: int, reason: str | None) -> None:
    """Reject a waiting request: nothing of it is applied; the delegate is told by email.

    \b
    Example:
        provisioner requests reject 12 --reason "Lettre non signée"
    """
    from provisioner.service import decisions

    with agence() as ctx:
        decision = decisions.reject_request(ctx, request_id, reason=reason)
    say(f"Demande {request_id} ({label(REQUEST_KIND_SHORT, decision.kind)}, adhérent {decision.numero}) "
        f"{REQUEST_STATUS['rejected']} : rien n'a été appliqué.")
    _say_notified(decision.notified)


def _say_notified(addresses: list[str]) -> None:
    say(f"Email envoyé à : {', '.join(addresses)}." if addresses else
        "Aucune adresse de personne déléguée enregistrée : personne n'a été prévenu.")


# -- accounts ----------------------------------------------------------------------------

@cli.group("accounts")
def accounts_group() -> None:
    """User accounts of the téléservices.

    \b
    Example:
        provisioner accounts list --adherent 123456
    """


@accounts_group.command("list")
@click.option("--adherent", "numero", metavar="NUMERO", callback=_check_numero, help="Only this company's accounts.")
@click.option("--teleservice", type=click.Choice([t.value for t in Teleservice]),
              help="Only the accounts of this téléservice.")
@json_option()
def accounts_list(numero: str | None, teleservice: str | None, as_json: bool) -> None:
    """List accounts: login, téléservice, status, name, email, powers, categories (never a secret).

    \b
    Example:
        provisioner accounts list --adherent 123456 --teleservice td_interne
    """
    from provisioner.service.read_models.accounts import list_accounts

    with agence() as ctx:
        found = list_accounts(ctx, adherent=numero, teleservice=teleservice)
    if as_json:
        echo_json(found)
        return
    print_table("Comptes", ("Adhérent", "Login", "Téléservice", "Statut", "Nom", "Prénom", "Fonction", "Email",
                            "Pouvoirs", "Catégories"),
                ((a["adherent"], a["login"], a["teleservice"], label(ACCOUNT_STATUS, a["status"]),
                  a["nom"], a["prenom"], a["fonction"], a["email"], ", ".join(a["powers"]),
                  " ".join(a["categories"]))
                 for a in found), empty="Aucun compte.")


# -- status ------------------------------------------------------------------------------

@cli.command("status")
@json_option()
def status_command(as_json: bool) -> None:
    """The state of the service: its health, submissions, files waiting, emails, subscriptions and requests.

    The health comes first: what the running service found failing (« base
    de données injoignable depuis 10 h 32 », « outbox non inscriptible »),
    read from var/health.json, so it is shown even while the database is
    down (then only the health is shown, and the exit code is 1).
    Subscriptions waiting for more than 48 hours are flagged, and the
    companies locked after failed authentications are listed.

    \b
    Example:
        provisioner status --json
    """
    from provisioner.cli.app import settings_or_exit
    from provisioner.service import faults
    from provisioner.service.context import open_context
    from provisioner.service.health import describe_all, read_health
    from provisioner.service.read_models.status import status
    from provisioner.store.db import StoreUnavailable
    from provisioner.store.tables import utcnow

    settings = settings_or_exit()
    health = read_health(settings)
    try:
        with open_context(settings) as ctx:
            state = status(ctx, ctx.clock())
    except Exception as error:  # the database is down: say what the running service recorded
        if not isinstance(error, StoreUnavailable) and faults.classify(error, settings) is None:
            raise
        health["messages"] = describe_all(health, utcnow())
        reason = str(error) if isinstance(error, StoreUnavailable) else type(error).__name__
        if as_json:
            echo_json({"at": utcnow(), "health": health, "database": {"reachable": False, "error": reason}})
        else:
            _print_health(health["messages"])
            say(f"Base de données injoignable maintenant : {reason}")
        raise SystemExit(1) from None
    health["messages"] = describe_all(health, state["at"])
    shown = {"health": health, **state}
    if as_json:
        echo_json(shown)
        return
    _print_status(shown)


def _print_health(messages: list[str]) -> None:
    if not messages:
        say("Santé du service : aucune anomalie signalée")
    for message in messages:
        say(f"ANOMALIE : {message}")


def _print_status(state: dict[str, Any]) -> None:
    inbox, emails = state["inbox"], state["emails"]
    say(f"État du service au {plain(state['at'])}")
    _print_health(state["health"]["messages"])
    say(f"Boîte de dépôt {inbox['path']} : {inbox['files']} fichier(s) en attente"
        + ("" if inbox["exists"] else " (dossier absent)"))
    say(f"Emails : {emails['pending']} en attente d'envoi, {emails['failed']} en échec")
    print_table("Soumissions", ("Statut", "24 dernières heures", "Total"),
                ((status_label(s), c["last_24h"], c["total"]) for s, c in sorted(state["submissions"].items())),
                empty="Aucune soumission.", titled=True)
    print_table("Soumissions non terminées", ("Soumission", "Statut", "Adhérent", "Reçue le", "Fichier"),
                ((u["id"], status_label(u["status"]), u["adherent"], u["received_at"], u["file"])
                 for u in state["unfinished"]),
                empty="Aucune soumission en cours ou inachevée.", titled=True)
    print_table("Abonnements en attente de validation", ("Adhérent", "Raison sociale", "Depuis", "Heures", "> 48 h"),
                ((s["numero"], s["raison_sociale"], s["since"], s["age_hours"], "EN RETARD" if s["overdue"] else "")
                 for s in state["subscriptions_waiting"]), empty="Aucun abonnement en attente.", titled=True)
    print_table("Adhérents bloqués", ("Adhérent", "Raison sociale", "Échecs", "Jusqu'au"),
                ((b["numero"], b["raison_sociale"], b["failed_auth"], b["locked_until"]) for b in state["locked"]),
                empty="Aucun adhérent bloqué.", titled=True)
    print_table("Demandes en attente", ("N°", "Adhérent", "Type", "Depuis", "Heures"),
                ((r["id"], r["numero"], label(REQUEST_KIND_SHORT, r["kind"]), r["since"], r["age_hours"])
                 for r in state["requests_waiting"]), empty="Aucune demande en attente.", titled=True)
