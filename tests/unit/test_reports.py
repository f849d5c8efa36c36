"""The per-submission outputs: rapport.json, rapport.html, the subscription form."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from provisioner.reports.files import write_atomic
from provisioner.reports.report_html import (
    outcome_sentence,
    render_report_html,
    write_report_html,
)
from provisioner.reports.report_json import (
    REPORT_KEYS,
    ReportError,
    normalise_report,
    write_report_json,
)
from provisioner.reports.subscription_form import render_subscription_form, write_subscription_form
from provisioner.reports.subscription_form_data import FormDataError, form_data
from provisioner.wording.phrases import counts_sentence

SUBMISSION = "S20261126T185500-ab12cd34"
HOSTILE_NAME = "<script>alert(1)</script>.xlsx"


def report(**overrides: Any) -> dict[str, Any]:
    """An accepted Mise à jour with a few changes, as the pipeline builds it."""
    base: dict[str, Any] = {
        "schema": 1,
        "submission_id": SUBMISSION,
        "file": "bordereau-albaraka.xlsx",
        "sha256": "ab" * 32,
        "received_at": "2026-11-26T18:55:00+00:00",
        "adherent": "123456",
        "raison_sociale": "Boulangerie Al Baraka SARL",
        "request_type": "mise_a_jour",
        "status": "accepted",
        "errors": [],
        "warnings": [],
        "changes": [
            {"action": "create", "teleservice": "td_interne", "login": "hind.td",
             "fields": [{"column": "Nom", "old": None, "new": "Berrada"}, {"column": "Mot de passe"}]},
            {"action": "create", "teleservice": "td_interne", "login": "omar.td", "fields": []},
            {"action": "create", "teleservice": "easypaiement", "login": "hind.ep", "fields": []},
            {"action": "update", "teleservice": "easypaiement", "login": "karim.ep",
             "fields": [{"column": "Validateur", "old": "Non", "new": "Oui"}]},
        ],
        "counts": {"created": 3, "updated": 1, "disabled": 0, "enabled": 0,
                   "reset_password": 0, "unchanged": 2},
        "company_changes": [],
        "requests": [],
        "held": False,
        "duplicate_of": None,
        "batch": None,
    }
    base.update(overrides)
    return base


def finding(code: str, message: str, **where: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "sheet": None, "row": None, "column": None,
            "cell": None, **where}


REJECTED = dict(
    status="rejected", changes=[], counts=None,
    errors=[
        finding("REQUIRED", "Indiquez le nom de l'utilisateur.", sheet="Télédéclaration interne",
                row=7, column="Nom", cell="C7"),
        finding("INVALID_FORMAT", "Écrivez une adresse email valide, par exemple nom@societe.ma.",
                sheet="Compte Adhérent", row=3, column="Email", cell="I3"),
        finding("LOGIN_DUPLICATE", "Ce login est déjà utilisé ligne 4 : choisissez-en un autre.",
                sheet="Sanctions", row=5),
        finding("TEMPLATE_MISMATCH", "La feuille « Catégories » manque : repartez du modèle."),
    ],
    warnings=[finding("HIDDEN_ROW", "La ligne 9 est masquée : affichez-la pour la vérifier.",
                      sheet="Sanctions", row=9)],
)
DUPLICATE = dict(status="duplicate", changes=[], counts=None,
                 duplicate_of="S20261120T083000-ffee0011")
CONTROLE = dict(request_type="controle")
ABONNEMENT = dict(request_type="abonnement")


def body_text(html: str) -> str:
    """The visible text of the body, tags stripped, spaces collapsed."""
    body = html.split("<body>", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def unescape(text: str) -> str:
    return text.replace("&#39;", "'").replace("&amp;", "&")


# --- files -------------------------------------------------------------------

def test_write_atomic_writes_text_as_utf8_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "a.txt", "Télédéclaration")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert target.read_bytes() == "Télédéclaration".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_write_atomic_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "rapport.json"
    target.write_text("x" * 1000)
    write_atomic(target, "court")
    assert target.read_text() == "court"


# --- rapport.json ------------------------------------------------------------

def test_report_json_has_the_spec_keys_in_order(tmp_path: Path) -> None:
    scrambled = dict(reversed(list(report(**REJECTED).items())))
    path = write_report_json(scrambled, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert path.name == "rapport.json"
    assert tuple(data) == REPORT_KEYS
    assert list(data)[:11] == ["schema", "submission_id", "file", "sha256", "received_at",
                               "adherent", "raison_sociale", "request_type", "status",
                               "errors", "warnings"]
    assert list(data["errors"][0]) == ["code", "message", "sheet", "row", "column", "cell"]


def test_report_json_round_trips(tmp_path: Path) -> None:
    original = report(
        company_changes=[{"kind": "delegue_change", "summary": "Nouvelle déléguée : Mme Hind "
                          "El Idrissi", "status": "waiting",
                          "fields": [{"column": "Nom", "old": "Berrada", "new": "El Idrissi"}]}],
        requests=[{"id": 3, "kind": "delegue_change", "summary": "Nouvelle déléguée"}],
        batch="B20261126T185500-0001",
    )
    path = write_report_json(original, tmp_path)
    assert json.loads(path.read_text(encoding="utf-8")) == original


def test_report_json_keeps_accents_readable(tmp_path: Path) -> None:
    path = write_report_json(report(raison_sociale="Société Générale"), tmp_path)
    assert "Société Générale" in path.read_text(encoding="utf-8")


def test_report_json_fills_what_a_submission_did_not_reach() -> None:
    data = normalise_report({"submission_id": SUBMISSION, "file": "x.xls", "status": "rejected",
                             "errors": [finding("FILE_TYPE", "Enregistrez-le en .xlsx.")]})
    assert data["adherent"] is None and data["request_type"] is None
    assert data["changes"] == [] and data["held"] is False and data["schema"] == 1
    assert data["counts"] == {"created": 0, "updated": 0, "disabled": 0, "enabled": 0,
                              "reset_password": 0, "unchanged": 0}


def test_report_json_counts_the_changes_when_counts_are_absent() -> None:
    counts = normalise_report(report(counts=None))["counts"]
    assert (counts["created"], counts["updated"]) == (3, 1)


@pytest.mark.parametrize("bad", [
    {"password": "Canary123"},
    {"status": "done"},
    {"changes": [{"action": "delete", "teleservice": "td_interne", "login": "a.b"}]},
    {"errors": [{**finding("REQUIRED", "x"), "value": "Canary123"}]},
])
def test_report_json_refuses_what_schema_1_does_not_have(bad: dict[str, Any]) -> None:
    with pytest.raises(ReportError) as caught:
        normalise_report(report(**bad))
    assert "Canary123" not in str(caught.value)


# --- rapport.html: the outcome first -----------------------------------------

@pytest.mark.parametrize(("overrides", "sentence"), [
    ({}, "Votre bordereau a été accepté : 3 comptes créés, 1 modifié."),
    (REJECTED, "Votre bordereau a été refusé : 4 erreurs à corriger. Rien n'a été appliqué."),
    (DUPLICATE, "Ce fichier a déjà été traité le 20/11/2026 à 09:30 : rien n'a été modifié."),
    (CONTROLE, "Contrôle seul : ce bordereau serait accepté tel quel ; rien n'a été appliqué."),
    ({**CONTROLE, **REJECTED},
     "Contrôle seul : ce bordereau serait refusé (4 erreurs à corriger) ; rien n'a été appliqué."),
    (ABONNEMENT, "Votre demande d'abonnement a été enregistrée : 3 comptes seront créés dès que "
                 "l'Agence Virtuelle l'aura validée."),
    ({"held": True, "requests": [{"id": 7, "kind": "mass_disable", "summary": "12 comptes"}]},
     "Votre bordereau a été accepté, mais rien n'est encore appliqué : ses changements "
     "attendent l'approbation de l'Agence Virtuelle."),
])
def test_the_outcome_sentence_comes_first(overrides: dict[str, Any], sentence: str) -> None:
    data = report(**overrides)
    assert outcome_sentence(data) == sentence
    text = unescape(body_text(render_report_html(data)))
    assert text.startswith(sentence)


@pytest.mark.parametrize(("counts", "summary"), [
    ({"created": 1}, "1 compte créé"),
    ({"updated": 2, "disabled": 1}, "2 comptes modifiés, 1 désactivé"),
    ({"enabled": 1, "reset_password": 2}, "1 compte réactivé, 2 mots de passe réinitialisés"),
    ({"reset_password": 1}, "1 mot de passe réinitialisé"),
    ({}, ""),
])
def test_counts_read_as_french(counts: dict[str, int], summary: str) -> None:
    assert counts_sentence(counts) == summary


def test_an_accepted_workbook_without_changes_says_so() -> None:
    assert outcome_sentence(report(changes=[], counts=None)) == (
        "Votre bordereau a été accepté : aucun compte n'a changé.")


def test_a_single_error_is_singular() -> None:
    data = report(**{**REJECTED, "errors": REJECTED["errors"][:1]})
    assert outcome_sentence(data).startswith("Votre bordereau a été refusé : 1 erreur à corriger.")


# --- rapport.html: content ---------------------------------------------------

def test_a_hostile_file_name_is_escaped(tmp_path: Path) -> None:
    path = write_report_html(report(file=HOSTILE_NAME), tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.xlsx" in html


def test_hostile_messages_and_logins_are_escaped() -> None:
    data = report(
        changes=[{"action": "create", "teleservice": "td_interne", "login": "<b>x</b>"}],
        warnings=[finding("W", "<img src=x onerror=alert(1)>", sheet="<i>s</i>")],
    )
    html = render_report_html(data)
    assert "<img" not in html and "<b>x</b>" not in html and "<i>s</i>" not in html


def test_changes_are_listed_per_teleservice_with_french_actions() -> None:
    data = report(changes=[
        {"action": "create", "teleservice": "td_interne", "login": "a.td"},
        {"action": "update", "teleservice": "td_interne", "login": "b.td"},
        {"action": "disable", "teleservice": "sanctions", "login": "c.sa"},
        {"action": "enable", "teleservice": "sanctions", "login": "d.sa"},
        {"action": "reset_password", "teleservice": "easypaiement", "login": "e.ep"},
    ], counts=None)
    text = unescape(body_text(render_report_html(data)))
    for words in ("Création a.td", "Modification b.td", "Désactivation c.sa",
                  "Réactivation d.sa", "Réinitialisation du mot de passe e.ep"):
        assert words in text
    # Tables follow the workbook's order of téléservices, under their display names.
    assert (text.index("Télédéclaration (utilisateur interne)")
            < text.index("E@syPaiement (règlement des cotisations)")
            < text.index("Sanctions Action"))


def test_findings_show_sheet_cell_or_row_and_message_errors_before_warnings() -> None:
    text = unescape(body_text(render_report_html(report(**REJECTED))))
    assert "Télédéclaration interne C7 Nom Indiquez le nom de l'utilisateur." in text
    assert "Sanctions ligne 5 Ce login est déjà utilisé" in text
    assert "Fichier — La feuille « Catégories » manque" in text
    assert text.index("Erreurs à corriger (4)") < text.index("Remarque (1)")
    assert text.index("Remarque (1)") < text.index("Et maintenant ?")


def test_the_date_is_french_and_local(tmp_path: Path) -> None:
    # Casablanca is UTC+1 outside Ramadan.
    assert "Reçu le 26/11/2026 à 19:55" in body_text(render_report_html(report()))
    assert "Reçu le 26/11/2026 à 18:55" in body_text(render_report_html(report(), tz="UTC"))


def test_the_report_uses_no_external_asset() -> None:
    html = render_report_html(report(**ABONNEMENT))
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "<link" not in html and "<script" not in html


# --- rapport.html: what happens next, and its links ---------------------------

def test_an_accepted_abonnement_says_where_to_send_the_signed_form(tmp_path: Path) -> None:
    (tmp_path / "formulaire-abonnement.pdf").write_bytes(b"%PDF-")
    html = write_report_html(report(**ABONNEMENT), tmp_path).read_text(encoding="utf-8")
    text = unescape(body_text(html))
    assert 'href="formulaire-abonnement.pdf"' in html
    assert "signer par le responsable de l'entreprise et apposez le cachet" in text
    assert "Responsable de l'Agence Virtuelle 100, Bd Abdelmoumen 20340 – Casablanca" in text
    assert "48 heures" in text


def test_no_link_to_a_form_that_is_not_there(tmp_path: Path) -> None:
    html = write_report_html(report(**ABONNEMENT), tmp_path).read_text(encoding="utf-8")
    assert "href=" not in html
    assert "formulaire d'abonnement" in unescape(html)


def test_a_rejection_links_the_annotated_workbook_only_when_it_exists(tmp_path: Path) -> None:
    without = write_report_html(report(**REJECTED), tmp_path).read_text(encoding="utf-8")
    assert "bordereau-annote.xlsx" not in without
    (tmp_path / "bordereau-annote.xlsx").write_bytes(b"PK")
    html = write_report_html(report(**REJECTED), tmp_path).read_text(encoding="utf-8")
    assert 'href="bordereau-annote.xlsx"' in html
    text = unescape(html)
    assert "ressaisissez les cellules marquées en mauve" in text
    assert "votre propre fichier d'origine, qui contient encore ces valeurs" in text


def test_links_never_leave_the_report_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (tmp_path / "secret.xlsx").write_bytes(b"PK")
    html = write_report_html(report(**REJECTED), folder,
                             links={"annotated_workbook": "../secret.xlsx"})
    assert "secret.xlsx" not in html.read_text(encoding="utf-8")


def test_waiting_requests_say_which_letter_to_send() -> None:
    data = report(
        company_changes=[
            {"kind": "delegue_change", "summary": "Nouvelle déléguée : Mme Hind El Idrissi",
             "status": "waiting"},
            {"kind": "confirmations", "summary": "2 confirmations au lieu de 1",
             "status": "applied"},
        ],
        requests=[{"id": 3, "kind": "delegue_change", "summary": "Nouvelle déléguée"}],
    )
    text = unescape(body_text(render_report_html(data)))
    assert "n° 3 Changement de la personne déléguée Nouvelle déléguée" in text
    assert "Les autres changements sont en place" in text
    assert "Personne déléguée Nouvelle déléguée : Mme Hind El Idrissi En attente" in text
    assert "Nombre de confirmations E@syPaiement 2 confirmations au lieu de 1 Appliqué" in text
    assert "lettre signée par le responsable de l'entreprise et revêtue du cachet" in text
    assert "Demande n° 3 : une lettre qui demande le changement de personne déléguée" in text


def test_a_duplicate_names_the_first_submission() -> None:
    text = body_text(render_report_html(report(**DUPLICATE)))
    assert "S20261120T083000-ffee0011" in text
    assert "Ce qui a été fait" not in text


# --- The subscription form ---------------------------------------------------

CANARY = "Canary7x9Q"


def form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "numero": "123456",
        "raison_sociale": "Boulangerie Al Baraka SARL",
        "submission_id": SUBMISSION,
        "date": "2026-11-26T18:55:00+00:00",
        "company": {
            "adresse": "12, rue Ibn Batouta", "ville": "Rabat", "rc": "456789",
            "localite_rc": "Rabat", "patente": "34567890", "site_web": "www.albaraka.ma",
            "civilite": "M.", "nom": "Bennani", "prenom": "Karim",
            "fonction": "Directeur général", "tel1": "0522987654", "tel2": None,
            "fax": "0522987655", "gsm": "0661234567", "email": "direction@albaraka.ma",
        },
        "delegue": {
            "civilite": "Mme", "nom": "El Idrissi", "prenom": "Hind",
            "fonction": "Responsable RH", "tel": "0522000001", "gsm": "0661000001",
            "fax": None, "email": "hind.elidrissi@albaraka.ma",
        },
    }
    data.update(overrides)
    return data


def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_subscription_form_is_one_page_with_everything_to_sign(tmp_path: Path) -> None:
    path = write_subscription_form(form(), tmp_path / "formulaire-abonnement.pdf")
    pages, text = pdf_text(path)
    assert pages == 1
    for expected in (
        "Formulaire d'abonnement aux TéléServices CIMR",
        "Boulangerie Al Baraka SARL", "123456", "12, rue Ibn Batouta", "Bennani", "Karim",
        "Directeur général", "Personne déléguée — Administrateur des utilisateurs",
        "El Idrissi", "Hind", "hind.elidrissi@albaraka.ma", SUBMISSION, "26/11/2026",
        "Nous demandons l'abonnement de notre entreprise aux TéléServices CIMR",
        "Signature du responsable", "Cachet de l'entreprise",
        "Responsable de l'Agence Virtuelle, 100, Bd Abdelmoumen, 20340 – Casablanca",
    ):
        assert expected in text, expected


def test_the_form_refuses_a_password_and_does_not_echo_it(tmp_path: Path) -> None:
    for bad in (form(password=CANARY),
                form(delegue={**form()["delegue"], "password": CANARY}),
                form(company={**form()["company"], "mot_de_passe": CANARY})):
        with pytest.raises(FormDataError) as caught:
            write_subscription_form(bad, tmp_path / "f.pdf")
        assert CANARY not in str(caught.value)
    assert not (tmp_path / "f.pdf").exists()


def test_form_data_leaves_the_delegate_password_behind(tmp_path: Path) -> None:
    sheet = {**form()["delegue"], "password": CANARY, "password_confirm": CANARY}
    data = form_data(numero="123456", raison_sociale="Al Baraka", submission_id=SUBMISSION,
                     date="2026-11-26T18:55:00+00:00", company=form()["company"], delegue=sheet)
    path = write_subscription_form(data, tmp_path / "f.pdf")
    assert CANARY.encode() not in path.read_bytes()
    assert CANARY not in pdf_text(path)[1]
    assert "hind.elidrissi@albaraka.ma" in pdf_text(path)[1]


def test_the_form_stays_on_one_page_with_the_longest_values(tmp_path: Path) -> None:
    long = ("Résidence " * 30)[:255]
    data = form(raison_sociale=long,
                company={k: long for k in form()["company"]},
                delegue={k: long for k in form()["delegue"]})
    pages, text = pdf_text(write_subscription_form(data, tmp_path / "f.pdf"))
    assert pages == 1
    assert SUBMISSION in text and "20340 – Casablanca" in text


def test_the_form_prints_latin_extended_as_typed_and_only_the_impossible_as_a_question_mark(
        tmp_path: Path) -> None:
    data = form(delegue={**form()["delegue"], "nom": "Ağaoğlu", "prenom": "Zoë 漢"})
    pages, text = pdf_text(write_subscription_form(data, tmp_path / "f.pdf"))
    assert pages == 1 and "Ağaoğlu" in text and "Zoë ?" in text


def test_the_form_is_reproducible() -> None:
    assert render_subscription_form(form()) == render_subscription_form(form())
