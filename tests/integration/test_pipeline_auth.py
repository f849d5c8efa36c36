"""Findings that must come alone: a blank administrator password, an Action outside its list.

Real workbooks through the whole pipeline, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import adherents
from tests.factory import user
from tests.integration.test_pipeline import codes, subscribed, update_book


def test_a_blank_administrator_password_is_required_only_and_never_counts_as_a_failure(ctx, tmp_path):
    subscribed(ctx, tmp_path)
    for i in range(6):  # more sends than it takes to lock the company on wrong passwords
        outcome = process_file(ctx, update_book(tmp_path, f"prerempli-{i}.xlsx", delegue_values={"password": ""},
                                                users={"td_interne": [user("hind.td", nom=f"Alaoui{i}")]}))
        assert codes(outcome) == [("REQUIRED", "Délégué", "B9")]
    with ctx.engine.connect() as conn:
        failed, locked = conn.execute(select(adherents.c.failed_auth, adherents.c.locked_until)).one()
    assert (failed, locked) == (0, None)
    right = process_file(ctx, update_book(tmp_path, "complete.xlsx", users={"td_interne": [user("hind.td")]}))
    assert right.status == "accepted", right.report["errors"]


def test_a_blank_password_for_an_unknown_company_gets_the_same_answer(ctx, tmp_path):
    from tests.factory import adherent

    subscribed(ctx, tmp_path)
    known = process_file(ctx, update_book(tmp_path, "a.xlsx", delegue_values={"password": ""}, users={}))
    unknown = process_file(ctx, update_book(tmp_path, "b.xlsx", delegue_values={"password": ""}, users={},
                                            adherent_values=adherent(type_demande="Mise à jour", numero="999999")))
    assert known.report["errors"] == unknown.report["errors"]


@pytest.mark.parametrize("login", ["hind.td", "ghost.td"], ids=["an existing login", "an unknown login"])
def test_an_action_outside_its_list_is_invalid_value_and_nothing_that_depends_on_it(ctx, tmp_path, login):
    subscribed(ctx, tmp_path)
    outcome = process_file(ctx, update_book(tmp_path, "supprimer.xlsx", users={
        "td_interne": [{"action": "Supprimer", "login": login}]},
        categories=[{"login": login, "D": "X"}]))
    assert codes(outcome) == [("INVALID_VALUE", "Télédéclaration interne", "A2")]
