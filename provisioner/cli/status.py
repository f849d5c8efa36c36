"""`provisioner status`: the state of the service, its health first (read from var/health.json, so that it
is shown even while the database is down)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provisioner.cli.app import cli
from provisioner.cli.options import json_option
from provisioner.cli.output import echo_json, plain, print_table, say
from provisioner.wording import cli_lists as lists
from provisioner.wording import cli_status as text
from provisioner.wording.labels import REQUEST_KIND_SHORT, label, status_label

if TYPE_CHECKING:
    from provisioner.service.read_models.status import ServiceStatus


@cli.command("status")
@json_option()
def status_command(as_json: bool) -> None:
    """The state of the service: its health, submissions, files waiting, emails, subscriptions and requests.

    The health comes first: what the running service found failing (« base
    de données injoignable depuis 10 h 32 », « outbox non inscriptible »),
    read from var/health.json, so it is shown even while the database is
    down (then only the health is shown, and the exit code is 1). The
    folders are probed too, and a health.json the service has not rewritten
    for a while is said to be too old to trust (exit code 1 in both cases).
    Subscriptions waiting for more than 48 hours are flagged, and the
    companies locked after failed authentications are listed.

    \b
    Example:
        provisioner status --json
    """
    from provisioner.cli.app import settings_or_exit
    from provisioner.service.context import open_context
    from provisioner.service.intake import faults
    from provisioner.service.intake.health import read_health
    from provisioner.service.intake.health_view import assess
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
        messages, _ = assess(settings, health, utcnow())
        reason = str(error) if isinstance(error, StoreUnavailable) else type(error).__name__
        if as_json:
            echo_json({"at": utcnow(), "health": {**health, "messages": messages},
                       "database": {"reachable": False, "error": reason}})
        else:
            _print_health(messages)
            say(text.database_down(reason))
        raise SystemExit(1) from None
    messages, untrusted = assess(settings, health, state["at"])
    if as_json:
        echo_json({"health": {**health, "messages": messages}, **state})
    else:
        _print_status(state, messages)
    if untrusted:  # what the service recorded is too old, or misses what status found failing itself
        raise SystemExit(1)


def _print_health(messages: list[str]) -> None:
    if not messages:
        say(text.HEALTHY)
    for message in messages:
        say(text.anomaly(message))


def _print_status(state: ServiceStatus, messages: list[str]) -> None:
    inbox, emails = state["inbox"], state["emails"]
    say(text.state_at(plain(state["at"])))
    _print_health(messages)
    say(text.inbox_waiting(inbox["path"], inbox["files"], exists=inbox["exists"]))
    for name in inbox["unreadable"]:
        say(text.unreadable_in_inbox(name))
    say(text.emails(emails["pending"], emails["failed"]))
    if emails["waiting_for_smtp"]:
        say(text.smtp_missing(emails["waiting_for_smtp"]))
    print_table("Soumissions", ("Statut", "24 dernières heures", "Total"),
                ((status_label(s), c["last_24h"], c["total"]) for s, c in sorted(state["submissions"].items())),
                empty=lists.NO_SUBMISSION, titled=True)
    print_table("Soumissions non terminées", ("Soumission", "Statut", "Adhérent", "Reçue le", "Fichier"),
                ((u["id"], status_label(u["status"]), u["adherent"], u["received_at"], u["file"])
                 for u in state["unfinished"]),
                empty=text.NO_UNFINISHED, titled=True)
    print_table("Abonnements en attente de validation", ("Adhérent", "Raison sociale", "Depuis", "Heures", "> 48 h"),
                ((s["numero"], s["raison_sociale"], s["since"], s["age_hours"], text.OVERDUE if s["overdue"] else "")
                 for s in state["subscriptions_waiting"]), empty=text.NO_SUBSCRIPTION_WAITING, titled=True)
    print_table("Adhérents bloqués", ("Adhérent", "Raison sociale", "Échecs", "Jusqu'au"),
                ((b["numero"], b["raison_sociale"], b["failed_auth"], b["locked_until"]) for b in state["locked"]),
                empty=text.NO_COMPANY_LOCKED, titled=True)
    print_table("Demandes en attente", ("N°", "Adhérent", "Type", "Depuis", "Heures"),
                ((r["id"], r["numero"], label(REQUEST_KIND_SHORT, r["kind"]), r["since"], r["age_hours"])
                 for r in state["requests_waiting"]), empty=lists.NO_REQUEST_WAITING, titled=True)
