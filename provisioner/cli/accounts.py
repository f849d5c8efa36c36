"""`provisioner accounts list`: the user accounts of the téléservices, never a secret. (`accounts history`
is added to this group by cli/submissions.py, with the other reads of the history.)"""

from __future__ import annotations

import click

from provisioner.cli.app import cli
from provisioner.cli.options import agence, check_numero, json_option
from provisioner.cli.output import echo_json, print_table
from provisioner.domain.vocabulary import Teleservice
from provisioner.wording import cli_lists as lists
from provisioner.wording.labels import ACCOUNT_STATUS, label


@cli.group("accounts")
def accounts_group() -> None:
    """User accounts of the téléservices.

    \b
    Example:
        provisioner accounts list --adherent 123456
    """


@accounts_group.command("list")
@click.option("--adherent", "numero", metavar="NUMERO", callback=check_numero, help="Only this company's accounts.")
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
                 for a in found), empty=lists.NO_ACCOUNT)
