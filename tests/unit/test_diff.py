"""A change column by column (domain.diff), and how rapport.json and rapport.html carry it."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.domain.diff import account_fields, before_after, field_line
from provisioner.domain.plan_value import UserChange, describe
from provisioner.domain.view import AccountState
from provisioner.domain.vocabulary import ChangeAction
from provisioner.reports.report_html import render_report_html
from provisioner.reports.report_json import ReportError, normalise_report

SARA = AccountState("easypaiement", "sara.ep", "sara.ep", "active",
                    {"nom": "Alaoui", "prenom": "Sara", "fonction": "RH", "email": "sara@x.ma", "gsm": ""},
                    ordonnateur=True, validateur=False, id=7)


def test_an_update_lists_each_value_that_changes_under_its_workbook_label() -> None:
    change = UserChange(ChangeAction.UPDATE, "easypaiement", "sara.ep", "E@syPaiement", 4, before=SARA,
                        values={"gsm": "0661234567", "fonction": "Paie"}, validateur=True, password="Secret12")
    assert describe(change).fields == [
        {"column": "Fonction", "old": "RH", "new": "Paie"},
        {"column": "Validateur", "old": "Non", "new": "Oui"},
        {"column": "GSM", "old": None, "new": "0661234567"},
        {"column": "Mot de passe"},
    ]
    assert "Secret12" not in repr(change.fields)


def test_a_creation_lists_what_it_sets_with_no_old_value() -> None:
    change = UserChange(ChangeAction.CREATE, "td_interne", "hind.td", "Télédéclaration interne", 2,
                        values={"nom": "Berrada", "email": "h@x.ma"}, categories=frozenset({"S0", "D"}),
                        answers=("a", "b", "c"), questions=("q1", "q2", "q3"))
    fields = describe(change).fields
    assert {"column": "Nom", "old": None, "new": "Berrada"} in fields
    assert {"column": "Catégories", "old": None, "new": "D, S0"} in fields
    assert {"column": "Question 2", "old": None, "new": "q2"} in fields
    # No password typed: the service draws one; the answers were typed in the workbook.
    assert [f for f in fields if "old" not in f] == [
        {"column": "Mot de passe", "secret": "generated"}, {"column": "Réponse 1", "secret": "chosen"},
        {"column": "Réponse 2", "secret": "chosen"}, {"column": "Réponse 3", "secret": "chosen"}]
    assert not any(f["column"] == "Statut" for f in fields)


def test_a_creation_tells_a_password_typed_in_the_workbook_from_a_generated_one() -> None:
    change = UserChange(ChangeAction.CREATE, "sanctions", "ali.sa", "Sanctions", 2, values={"nom": "Idrissi"},
                        password="Choisi12")
    assert describe(change).fields[-1] == {"column": "Mot de passe", "secret": "chosen"}
    assert "Choisi12" not in repr(change.fields)


@pytest.mark.parametrize(("action", "expected"), [
    (ChangeAction.DISABLE, [{"column": "Statut", "old": "Actif", "new": "Désactivé"}]),
    (ChangeAction.RESET, [{"column": "Mot de passe", "secret": "generated"}]),
])
def test_status_and_reset_changes(action: str, expected: list[dict[str, Any]]) -> None:
    change = UserChange(action, "easypaiement", "sara.ep", "E@syPaiement", 4, before=SARA)
    assert describe(change).fields == expected


def test_a_reset_to_a_password_typed_in_the_workbook_is_a_change() -> None:
    change = UserChange(ChangeAction.RESET, "easypaiement", "sara.ep", "E@syPaiement", 4, before=SARA,
                        password="Reset2027")
    assert describe(change).fields == [{"column": "Mot de passe"}]


def test_a_rebuilt_change_says_itself_whether_its_password_was_generated() -> None:
    # Held plans and waiting users hold hashes only: describe() cannot tell from the change.
    waiting = UserChange(ChangeAction.CREATE, "sanctions", "ali.sa", "Sanctions", 2)
    assert describe(waiting, ("password",), generated=True).fields[-1]["secret"] == "generated"
    assert describe(waiting, ("password",)).fields[-1]["secret"] == "chosen"


def test_nothing_differs_nothing_is_listed() -> None:
    assert account_fields(SARA, SARA) == []


def test_people_read_a_field_as_before_and_after() -> None:
    assert before_after({"column": "Email", "old": None, "new": "a@x.ma"}) == ("—", "a@x.ma")
    assert field_line({"column": "Email", "old": "a@x.ma", "new": "b@x.ma"}) == "Email : a@x.ma → b@x.ma"
    assert field_line({"column": "Mot de passe"}) == "Mot de passe : changé (jamais affiché)"


@pytest.mark.parametrize(("field", "line"), [
    ({"column": "Mot de passe", "secret": "chosen"}, "Mot de passe : choisi (jamais affiché)"),
    ({"column": "Mot de passe", "secret": "generated"},
     "Mot de passe : généré, envoyé à l'utilisateur (jamais affiché)"),
    ({"column": "Réponse 2", "secret": "chosen"}, "Réponse 2 : choisie (jamais affichée)"),
    ({"column": "Réponse 2"}, "Réponse 2 : changée (jamais affichée)"),
    ({"column": "Nouveau mot de passe"}, "Nouveau mot de passe : changé (jamais affiché)"),
])
def test_a_secret_column_reads_as_how_it_was_set(field: dict[str, Any], line: str) -> None:
    assert field_line(field) == line


def report(**change: Any) -> dict[str, Any]:
    return {"submission_id": "S1", "file": "a.xlsx", "status": "accepted", "request_type": "mise_a_jour",
            "changes": [{"action": "update", "teleservice": "sanctions", "login": "ali.sa", **change}]}


def test_rapport_json_keeps_a_secret_column_without_values_and_defaults_fields_to_empty() -> None:
    out = normalise_report(report(fields=[{"new": 1, "column": "Nom", "old": None}, {"column": "Mot de passe"}]))
    assert out["changes"][0]["fields"] == [{"column": "Nom", "old": None, "new": 1}, {"column": "Mot de passe"}]
    assert normalise_report(report())["changes"][0]["fields"] == []
    created = normalise_report(report(fields=[{"secret": "generated", "column": "Mot de passe"}]))
    assert created["changes"][0]["fields"] == [{"column": "Mot de passe", "secret": "generated"}]


@pytest.mark.parametrize("fields", [[{"column": "Nom", "hash": "x"}], [{"old": 1}], ["Nom"],
                                    [{"column": "Mot de passe", "secret": "Secret12"}]])
def test_rapport_json_refuses_a_field_outside_the_schema(fields: list[Any]) -> None:
    with pytest.raises(ReportError):
        normalise_report(report(fields=fields))


def test_rapport_html_shows_a_before_after_table() -> None:
    html = render_report_html(report(fields=[{"column": "Fonction", "old": "RH", "new": "Paie <b>"},
                                             {"column": "Mot de passe"}]))
    assert "<th>Avant</th><th>Après</th>" in html
    assert '<td class="column">Fonction</td><td class="long">RH</td><td class="long">Paie &lt;b&gt;</td>' in html
    assert "changé (jamais affiché)" in html


def test_rapport_html_tells_a_chosen_password_from_a_generated_one() -> None:
    html = render_report_html(report(action="create", fields=[{"column": "Mot de passe", "secret": "generated"},
                                                              {"column": "Réponse 1", "secret": "chosen"}]))
    assert "généré, envoyé à l&#39;utilisateur (jamais affiché)" in html
    assert "choisie (jamais affichée)" in html and "changé" not in html
