"""`provisioner adherents …`: list the member companies, validate a subscription, unlock, reset the
administrator password. Thin: each command calls one use case of the service layer and prints what it
returns (`cli.output`); an unknown member number is a one-line error (exit 1)."""

from __future__ import annotations

import click

from provisioner.cli.app import cli
from provisioner.cli.options import agence, json_option, numero_argument
from provisioner.cli.output import echo_json, print_table, say
from provisioner.domain.vocabulary import AdherentStatus
from provisioner.wording import cli_lists as lists
from provisioner.wording import results
from provisioner.wording.labels import ADHERENT_STATUS, SKIP_REASON, label

ADHERENT_STATUSES = tuple(s.value for s in AdherentStatus)


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
                 for a in found), empty=lists.NO_ADHERENT)


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
    from provisioner.service.agence import subscriptions

    with agence() as ctx:
        result = subscriptions.activate(ctx, numero)
    if as_json:
        echo_json(result)
        return
    created = results.accounts_created(len(result.created), len(result.skipped))
    say(f"{results.subscription_validated(numero)} : {created} {results.DELEGATE_TOLD_NEXT_ROUND}")
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
    from provisioner.service.agence import companies

    with agence() as ctx:
        result = companies.unlock(ctx, numero)
    say(f"{results.unlocked(numero)}. {results.failures_cleared(result.failed_auth, was_locked=result.was_locked)}")


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
    from provisioner.service.agence import companies

    with agence() as ctx:
        result = companies.reset_admin_password(ctx, numero)
    say(f"{results.admin_password_sent(numero)}. {results.sent_to_delegate(result.sent_to)}")
