"""`submissions list|show|revert` and `accounts history`, run as an operator runs them: the real CLI in a subprocess."""

from __future__ import annotations

import getpass

import pytest

from tests.e2e.test_agence_cli import EXIT_ERROR, NUMERO, Service, everything_written, sqlite_service, subscribed
from tests.factory import ADMIN_PASSWORD

__all__ = ["sqlite_service"]  # the fixture, shared with the agence CLI's tests

REASON = "Fichier de l'an dernier"


def modify(service: Service, name: str, fonction: str, **more: str) -> str:
    rows = [{"action": "Modifier", "login": "sara.ca", "fonction": fonction}]
    rows += [{"action": "Modifier", "login": login, "fonction": value} for login, value in more.items()]
    [report] = service.process(service.update_book(name, users={"compte_adherent": rows[:1]} if not more else
                                                   {"compte_adherent": rows[:1], "td_interne": rows[1:]}))
    assert report["status"] == "accepted", report["errors"]
    return str(report["submission_id"])


@pytest.mark.slow
def test_an_operator_lists_shows_and_reverts_a_submission(sqlite_service: Service) -> None:
    service = sqlite_service
    subscribed(service)
    service.run("adherents", "activate", NUMERO)
    first = modify(service, "m1.xlsx", "Comptable", **{"hind.td": "Paie"})
    later = modify(service, "m2.xlsx", "Directrice")

    listed = service.json("submissions", "list", "--adherent", NUMERO)
    assert [s["id"] for s in listed[:2]] == [later, first] and listed[0]["reverted_by"] is None
    assert "m1.xlsx" in service.run("submissions", "list").stdout
    shown = service.run("submissions", "show", first).stdout
    assert "Fonction : Gestionnaire RH → Comptable" in shown and "sara.ca" in shown

    # sara.ca changed again since: refused, exit 1, the later change listed; nothing changed.
    refused = service.run("submissions", "revert", first, "--reason", REASON, expect=EXIT_ERROR)
    assert "sara.ca" in refused.stdout and later in refused.stdout
    assert "--force" in refused.stderr
    assert len(service.json("accounts", "history", "hind.td")["changes"]) == 2  # create, update: no revert

    done = service.json("submissions", "revert", first, "--reason", REASON, "--force")
    assert [x["login"] for x in done["left"]] == ["sara.ca"]
    assert [a["login"] for a in done["reverted"]] == ["hind.td"]
    assert done["operator"] == getpass.getuser()
    again = service.run("submissions", "revert", first, expect=EXIT_ERROR)
    assert "déjà été annulée" in again.stderr
    unknown = service.run("submissions", "revert", "S20000101T000000-00000000", expect=EXIT_ERROR)
    assert "Aucune soumission" in unknown.stderr

    history = service.json("accounts", "history", "hind.td")
    assert [(c["action"], c["origin"]) for c in history["changes"]] == [
        ("create", "subscription"), ("update", "submission"), ("update", "revert")]
    assert history["changes"][2]["reason"] == REASON
    text = service.run("accounts", "history", "hind.td").stdout
    assert "Fonction : Paie → Gestionnaire RH" in text and "Annulation" in text
    assert "Mot de passe : choisi (jamais affiché)" in text  # typed in the Abonnement: chosen, never shown
    assert service.json("submissions", "list")[1]["reverted_by"]["id"] == done["id"]
    assert "Aucun compte" in service.run("accounts", "history", "personne", expect=EXIT_ERROR).stderr

    [mail] = service.mails("submission_reverted")
    assert REASON in mail.body_text
    assert ADMIN_PASSWORD not in everything_written(service) and "$argon2" not in everything_written(service)


@pytest.mark.slow
def test_a_revert_of_a_revert_shows_the_submission_in_effect_again(sqlite_service: Service) -> None:
    service = sqlite_service
    subscribed(service)
    service.run("adherents", "activate", NUMERO)
    submission = modify(service, "m1.xlsx", "Comptable")
    first = service.json("submissions", "revert", submission, "--reason", REASON)["id"]
    second = service.json("submissions", "revert", first, "--reason", "Par erreur")["id"]

    # Before: `list` and `show S…` said « Annulée par R… », `show R…` knew no such submission.
    listed = service.run("submissions", "list").stdout.splitlines()
    [row] = [line.split("\t") for line in listed if line.startswith(submission)]
    assert row[-1] == f"rétablie ({second})"
    shown = service.run("submissions", "show", submission).stdout
    assert f"Annulée par {first} le " in shown and shown.count("de nouveau en vigueur") == 1
    revert_shown = service.run("submissions", "show", first).stdout
    assert revert_shown.startswith(f"Annulation {first} de {submission}, adhérent {NUMERO}, le ")
    assert f"Annulée par {second} le " in revert_shown and "Fonction : Comptable → Gestionnaire RH" in revert_shown
    assert service.json("submissions", "show", second)["undone"] is False


def test_every_submissions_command_and_accounts_history_have_help_with_an_example() -> None:
    from click.testing import CliRunner

    from provisioner.cli import submissions
    from provisioner.cli.app import cli

    assert submissions  # imported: registers the commands
    group = cli.commands["submissions"]
    names = [["submissions"], ["accounts", "history"]]
    names += [["submissions", name] for name in group.commands]  # type: ignore[attr-defined]
    assert len(names) == 5
    for name in names:
        result = CliRunner().invoke(cli, [*name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output and "provisioner " in result.output, name
