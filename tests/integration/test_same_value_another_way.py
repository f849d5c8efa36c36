"""The same value written another way is no change (issue 21, point 4).

Phone numbers are stored in one form (E.164, Morocco by default), emails compare
without case, and a date Excel made of what was typed into a text field is said.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from provisioner.store import tables
from provisioner.store.db import upgrade
from tests.conftest import store_at
from tests.factory import ADMIN_PASSWORD, adherent, make_workbook, user
from tests.integration.test_store import account, add_adherent


def update_book(tmp_path: Path, name: str, **row: object) -> Path:
    return make_workbook(tmp_path / name, adherent_values=adherent(type_demande="Mise à jour"),
                         delegue_values={"password": ADMIN_PASSWORD}, categories=[],
                         users={"td_interne": [user("hind.td", password=None, password_confirm=None,
                                                    question1=None, answer1=None, question2=None,
                                                    answer2=None, question3=None, answer3=None, **row)]})


@pytest.fixture
def subscribed(ctx: ServiceContext, tmp_path: Path) -> ServiceContext:
    """Company 123456, active, with hind.td whose GSM was typed 0661000111."""
    from provisioner.service.agence import subscriptions

    outcome = process_file(ctx, make_workbook(tmp_path / "abonnement.xlsx",
                                              users={"td_interne": [user("hind.td", gsm="0661000111")]}))
    assert outcome.status == "accepted", outcome.report["errors"]
    subscriptions.activate(ctx, "123456")
    return ctx


def stored(ctx: ServiceContext, column: str) -> str:
    with ctx.engine.connect() as conn:
        return str(conn.execute(sa.select(tables.accounts.c[column])
                                .where(tables.accounts.c.login == "hind.td")).scalar_one())


def test_a_phone_is_stored_in_e164(subscribed: ServiceContext) -> None:
    assert stored(subscribed, "gsm") == "+212661000111"


@pytest.mark.parametrize("gsm", ["+212 6 61 00 01 11", "00212661000111", "06.61.00.01.11", "661000111"])
def test_a_phone_written_another_way_is_no_change(subscribed: ServiceContext, tmp_path: Path, gsm: str) -> None:
    # Before: reported and stored as a change « GSM : 0661000111 → +212 6 61 00 01 11 ».
    outcome = process_file(subscribed, update_book(tmp_path, "maj.xlsx", gsm=gsm))
    assert outcome.status == "accepted", outcome.report["errors"]
    assert outcome.report["changes"] == []
    assert stored(subscribed, "gsm") == "+212661000111"


def test_an_email_in_capitals_is_no_change_and_another_number_is_one(subscribed: ServiceContext,
                                                                     tmp_path: Path) -> None:
    outcome = process_file(subscribed, update_book(tmp_path, "maj.xlsx", email="HIND.TD@Exemple.MA",
                                                   gsm="0662000222"))
    assert outcome.status == "accepted", outcome.report["errors"]
    [change] = outcome.report["changes"]
    assert change["fields"] == [{"column": "GSM", "old": "+212661000111", "new": "+212662000222"}]
    assert stored(subscribed, "email") == "hind.td@exemple.ma"


def test_a_date_in_a_text_field_is_a_warning_at_its_cell(ctx: ServiceContext, tmp_path: Path) -> None:
    # Before: stored as « 2026-01-07 » without a word.
    book = make_workbook(tmp_path / "a.xlsx", users={"td_interne": [user("hind.td", fonction=dt.date(2026, 1, 7))]})
    outcome = process_file(ctx, book)
    assert outcome.status == "accepted", outcome.report["errors"]
    [found] = outcome.report["warnings"]
    assert (found["code"], found["sheet"], found["column"], found["cell"]) == (
        "DATE_IN_TEXT", "Télédéclaration interne", "Fonction", "E2")
    assert "« 2026-01-07 »" in found["message"]


def test_the_migration_puts_stored_numbers_in_e164(db_url: str) -> None:
    with store_at(db_url, "0007") as engine:
        with engine.begin() as conn:
            company = add_adherent(conn)
            conn.execute(tables.adherents.update().values(
                company={"tel1": "0522 98 76 54", "gsm": "", "nom": "Bennani"},
                delegue={"tel": "00212522111222", "fax": "pas de fax"}))
            conn.execute(tables.accounts.insert().values(**account(company, "sara.td", gsm="661000111",
                                                                   telephone="+212 522-123456", fax=None)))
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(sa.select(tables.accounts)).one()
            company_row = conn.execute(sa.select(tables.adherents)).one()
    assert (row.gsm, row.telephone, row.fax) == ("+212661000111", "+212522123456", None)
    assert company_row.company == {"tel1": "+212522987654", "gsm": "", "nom": "Bennani"}
    assert company_row.delegue == {"tel": "+212522111222", "fax": "pas de fax"}
