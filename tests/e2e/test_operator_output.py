"""What operators read from the list commands, piped into a script or a mail: whole values, in French,
in Casablanca time; JSON with ISO times and their offset. The real command, in a subprocess, no terminal."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_agence_cli import NUMERO, Service, sqlite_service  # noqa: F401 - a fixture
from tests.factory import user

LONG_EMAIL = "sara.alaoui-benjelloun.responsable-paie@boulangerie-al-baraka-et-fils-casablanca.ma"
FONCTION = "Responsable de la paie et des déclarations sociales"


def active_company(service: Service) -> None:
    users = {"compte_adherent": [user("sara.alaoui.benjelloun.ca", "compte_adherent", email=LONG_EMAIL,
                                      fonction=FONCTION)]}
    [report] = service.process(service.book("abonnement.xlsx", users=users, categories=[]))
    assert report["status"] == "accepted", report["errors"]
    service.run("adherents", "activate", NUMERO)


def tsv(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.slow
def test_list_commands_piped_write_whole_values_in_french_in_casablanca_time(sqlite_service: Service) -> None:
    # One company for every look (each command is a process of its own: a few seconds each).
    active_company(sqlite_service)
    bad = sqlite_service.root / "bad.xlsx"
    bad.write_bytes(b"pas un classeur")
    sqlite_service.run("process", bad, expect=1)

    # accounts list: every value whole, the Fonction among them
    [heading, row] = tsv(sqlite_service.run("accounts", "list").stdout)
    assert heading == ["Adhérent", "Login", "Téléservice", "Statut", "Nom", "Prénom", "Fonction", "Email",
                       "Pouvoirs", "Catégories"]
    assert dict(zip(heading, row)) == {
        "Adhérent": NUMERO, "Login": "sara.alaoui.benjelloun.ca", "Téléservice": "compte_adherent",
        "Statut": "actif", "Nom": "Alaoui", "Prénom": "Sara", "Fonction": FONCTION, "Email": LONG_EMAIL,
        "Pouvoirs": "", "Catégories": ""}
    [account] = sqlite_service.json("accounts", "list")
    assert account["fonction"] == FONCTION

    # times: JSON in ISO with the offset, tables in Casablanca time
    [company] = sqlite_service.json("adherents", "list")
    created = datetime.fromisoformat(company["created_at"])
    assert created.utcoffset() is not None, company["created_at"]
    [heading, row] = tsv(sqlite_service.run("adherents", "list").stdout)
    shown = dict(zip(heading, row))["Inscrit le"]
    assert shown == f"{created.astimezone(ZoneInfo('Africa/Casablanca')):%Y-%m-%d %H:%M}"

    # status: French words in its French tables
    out = sqlite_service.run("status").stdout
    assert "# Soumissions" in out
    rows = {r[0]: r[1:] for r in tsv(out)}
    assert (rows["accepté"], rows["rejeté"]) == (["1", "1"], ["1", "1"]), out
    assert "accepted" not in out and "rejected" not in out
