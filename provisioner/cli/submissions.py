"""Submissions and history: `submissions list|show|revert` and `accounts history`.

Thin, like the other operators' commands (their printing is cli/output.py): each command calls one use
case of the service layer and prints what it returns. A refused revert
lists the accounts and the later changes, and exits 1.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any, cast

import click

from provisioner.cli.accounts import accounts_group
from provisioner.cli.app import cli
from provisioner.cli.options import agence, json_option
from provisioner.cli.output import echo_json, plain, print_table, say
from provisioner.domain.diff import field_line
from provisioner.wording import results
from provisioner.wording.labels import (
    ACCOUNT_STATUS,
    COMPANY_CHANGE,
    REQUEST_STATUS,
    SUBMISSION_STATUS,
    action_word,
    label,
)
from provisioner.wording.phrases import counts_sentence
from provisioner.wording.reverts import revert_mark, revert_state

if TYPE_CHECKING:
    from provisioner.service.read_models.change_sets import RevertDetail


def operator_name() -> str:
    """Who runs the command: the OS user, or "agence" when it cannot be told."""
    try:
        return getpass.getuser() or "agence"
    except (OSError, KeyError):
        return "agence"


def fields_text(fields: list[dict[str, Any]]) -> str:
    """`Email : a@x → b@x ; Mot de passe : changé (jamais affiché)`: a change's fields on one line."""
    return " ; ".join(field_line(f) for f in fields)


# -- submissions -------------------------------------------------------------------------

@cli.group("submissions")
def submissions_group() -> None:
    """Submissions received: list them, see one, undo one.

    \b
    Example:
        provisioner submissions list --adherent 123456
    """


@submissions_group.command("list")
@click.option("--adherent", "numero", metavar="NUMERO", help="Only this company's submissions.")
@json_option()
def submissions_list(numero: str | None, as_json: bool) -> None:
    """The latest submissions, newest first: file, company, outcome, counts, and whether it was undone.

    \b
    Example:
        provisioner submissions list --adherent 123456 --json
    """
    from provisioner.service.read_models.change_sets import list_submissions

    with agence() as ctx:
        found = list_submissions(ctx, adherent=numero)
    if as_json:
        echo_json(found)
        return
    print_table("Soumissions", ("Référence", "Reçue le", "Fichier", "Adhérent", "Résultat", "Changements",
                                "Annulée"),
                ((s["id"], s["received_at"], s["file"], s["adherent"], label(SUBMISSION_STATUS, s["status"]),
                  counts_sentence(s["counts"]), revert_mark(s["reverted_by"]))
                 for s in found), empty="Aucune soumission.")


@submissions_group.command("show")
@click.argument("submission_id", metavar="ID")
@json_option()
def submissions_show(submission_id: str, as_json: bool) -> None:
    """One submission (or revert, R…): outcome, each change field by field, and its revert if it was undone.

    \b
    Example:
        provisioner submissions show S20261201T093000-1a2b3c4d
        provisioner submissions show R20261202T101500-5e6f7a8b
    """
    from provisioner.service.read_models.change_sets import show_revert, show_submission

    if submission_id.startswith("R"):
        with agence() as ctx:
            _show_revert(show_revert(ctx, submission_id), as_json=as_json)
        return
    with agence() as ctx:
        found = show_submission(ctx, submission_id)
    if as_json:
        echo_json(found)
        return
    say(f"Soumission {found['id']} — « {found['file']} », adhérent {found['adherent'] or '?'}, reçue le "
        f"{plain(found['received_at'])} : bordereau {label(SUBMISSION_STATUS, found['status'])}.")
    if found["reverted_by"]:
        say(revert_state(found["reverted_by"], plain))
    print_table("Changements", ("Action", "Téléservice", "Login", "Détail"),
                ((action_word(c["action"]), c["teleservice"], c["login"],
                  fields_text(c.get("fields") or [])) for c in found["changes"]), empty="Aucun changement de compte.")
    if found["company_changes"]:
        print_table("Entreprise", ("Objet", "Détail", "État"),
                    ((label(COMPANY_CHANGE, c["kind"]),
                      fields_text(c.get("fields") or []) or c["summary"],
                      "appliqué" if c["status"] == "applied" else label(REQUEST_STATUS, c["status"]))
                     for c in found["company_changes"]), empty="")
    if found["errors"]:
        print_table("Erreurs", ("Code", "Feuille", "Cellule", "Message"),
                    ((e["code"], e["sheet"], e["cell"], e["message"]) for e in found["errors"]), empty="")


def _show_revert(found: RevertDetail, *, as_json: bool) -> None:
    if as_json:
        echo_json(found)
        return
    say(f"Annulation {found['id']} de {found['target']}, adhérent {found['adherent']}, le {plain(found['at'])} "
        f"({found['operator']})" + (f", motif : « {found['reason']} »" if found["reason"] else "")
        + (" ; forcée" if found["forced"] else "") + ".")
    if found["reverted_by"]:
        say(revert_state(found["reverted_by"], plain))
    print_table("Changements", ("Date", "Action", "Login", "Détail"),
                ((c["at"], action_word(c["action"]), c["login"] or "", fields_text(c["fields"]))
                 for c in found["history"]), empty="Aucun changement.")


@submissions_group.command("revert")
@click.argument("submission_id", metavar="ID")
@click.option("--reason", help="Why, in French: recorded and quoted in the email to the delegate.")
@click.option("--force", is_flag=True, help="Revert the accounts no later change touched, and leave the others.")
@json_option()
def submissions_revert(submission_id: str, reason: str | None, force: bool, as_json: bool) -> None:
    """Undo a submission (or a revert): every account it changed goes back to its state just before it.

    Created accounts are disabled (nothing is deleted); fields, categories, powers, passwords and the
    company's settings get their previous values. Refused (exit 1) when a later change touched one of
    those accounts, unless --force. The delegate on record is told by email.

    \b
    Example:
        provisioner submissions revert S20261201T093000-1a2b3c4d --reason "Fichier de l'an dernier"
    """
    from provisioner.service.agence.revert import LaterChanges, revert

    with agence() as ctx:
        try:
            done = revert(ctx, submission_id, operator=operator_name(), reason=reason, force=force)
        except LaterChanges as refused:
            _print_later(cast("list[dict[str, Any]]", refused.details["later"]))
            raise
    if as_json:
        echo_json(done)
        return
    say(f"Soumission {done.target} annulée ({done.id}).")
    print_table("Comptes rétablis", ("Login", "Téléservice", "Action", "Détail"),
                ((a["login"], a["teleservice"], action_word(a["action"]), fields_text(a["fields"]))
                 for a in done.reverted), empty="Aucun compte à rétablir.")
    for setting in done.settings:
        say(f"Réglage rétabli : {fields_text(setting['fields'])}.")
    if done.left:
        _print_later(done.left, title="Laissés tels quels (changés depuis)")
    say(results.notified(done.notified))


def _print_later(later: list[dict[str, Any]], title: str = "Changements postérieurs") -> None:
    print_table(title, ("Compte ou réglage", "Téléservice", "Changé le", "Action", "Par"),
                ((x["login"] or action_word(x["setting"]), x["teleservice"], e["at"],
                  action_word(e["action"]), e["change_set"] or e["actor"])
                 for x in later for e in x["later"]), empty="")


# -- accounts history --------------------------------------------------------------------

@accounts_group.command("history")
@click.argument("login")
@json_option()
def accounts_history(login: str, as_json: bool) -> None:
    """Every change of one account, oldest first: when, what (field by field), where it came from.

    \b
    Example:
        provisioner accounts history sara.ca
    """
    from provisioner.service.agence.history import UnknownLogin, account_history

    with agence() as ctx:
        try:
            found = account_history(ctx, login)
        except UnknownLogin as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        echo_json(found)
        return
    say(f"Compte {found['login']} ({found['teleservice']}, adhérent {found['adherent']}) : "
        f"{label(ACCOUNT_STATUS, found['status'])}.")
    print_table("Historique", ("Date", "Action", "Détail", "Origine", "Référence"),
                ((c["at"], action_word(c["action"]), fields_text(c["fields"]),
                  c["origin_label"], " ".join(x for x in (c["change_set"], c["reference"], c["reason"]) if x))
                 for c in found["changes"]), empty="Aucun changement enregistré.")
