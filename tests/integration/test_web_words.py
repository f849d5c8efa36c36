"""No internal word reaches a person: the workbook's French labels, in the form's order, on every page."""

from __future__ import annotations

import html
import re

from provisioner.service.agence import subscriptions
from tests.factory import ADMIN_PASSWORD, adherent
from tests.integration.test_agence import subscribe, update_book
from tests.integration.test_web import (  # noqa: F401 (sqlite_ctx: a fixture)
    NUMERO,
    signed_in,
    sqlite_ctx,
)

INTERNAL = re.compile(r"\b(raison_sociale|prenom|localite_rc|site_web|subscribe|submission:|td_interne:|"
                      r"compte_adherent:|operator:|request:)")


def text_of(page: str) -> str:
    """What a person reads: the page's text without its tags and attributes."""
    main = page.split("<main>", 1)[1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_requests_the_company_and_the_journal_speak_the_workbook_s_words(sqlite_ctx, tmp_path):
    subscribe(sqlite_ctx, tmp_path)
    subscriptions.activate(sqlite_ctx, NUMERO, actor="admin")
    outcome = update_book(sqlite_ctx, tmp_path, "maj.xlsx",
                          adherent_values=adherent(type_demande="Mise à jour", raison_sociale="Al Baraka SA",
                                                   site_web="albaraka.ma"),
                          delegue_values={"password": ADMIN_PASSWORD, "email": "nouveau.delegue@albaraka.ma",
                                          "prenom": "Salma"})
    assert outcome.status == "accepted", outcome.report["errors"]
    client, _ = signed_in(sqlite_ctx, "admin")
    pages = {path: text_of(client.get(path).text) for path in ("/demandes", f"/adherents/{NUMERO}", "/journal")}
    for path, text in pages.items():
        assert not INTERNAL.search(text), (path, INTERNAL.search(text))
    requests = pages["/demandes"]
    assert "Raison sociale Boulangerie Al Baraka SARL Al Baraka SA" in requests
    assert "Prénom" in requests and "Email" in requests
    company = pages[f"/adherents/{NUMERO}"]
    order = [company.index(label) for label in ("Raison sociale", "Adresse", "Ville", "Numéro RC", "Localité RC")]
    assert order == sorted(order), company  # the form's order, not the alphabet
    entreprise, chef = company.split("Chef d'entreprise", 1)
    assert "Raison sociale" in entreprise and "Fonction" not in entreprise.split("Entreprise", 1)[1]
    assert "Nom" in chef.split("Personne déléguée")[0] and "Fonction" in chef.split("Personne déléguée")[0]
    journal = pages["/journal"]
    assert "abonnement reçu" in journal and "soumission S" in journal and "adhérent 123456" in journal
    assert "Télédéclaration" in journal or "Compte Adhérent" in journal  # an account's téléservice by name
    raw = client.get("/journal").text
    assert f'href="/adherents/{NUMERO}"' in raw and 'href="/soumissions/S' in raw


def test_the_header_and_the_operators_page_name_a_role_alike(sqlite_ctx):
    client, _ = signed_in(sqlite_ctx, "admin")
    page = html.unescape(client.get("/operateurs").text)
    assert "admin (administration)" in page and "<td>administration</td>" in page
