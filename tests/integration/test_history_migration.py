"""Migration 0005 on a store of before: its audit trail becomes the accounts' history (SQLite and PostgreSQL)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from provisioner.store import tables
from provisioner.store.db import make_engine, upgrade
from tests.conftest import store_at
from tests.integration.test_store import account, add_adherent

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def old_store(db_url: str) -> Iterator[Engine]:
    """A store at revision 0001, as the service left it before the history existed."""
    with store_at(db_url, "0001") as engine:
        yield engine


def test_the_audit_trail_of_existing_accounts_becomes_their_history(old_store: Engine) -> None:
    audit = tables.audit
    with old_store.begin() as conn:
        company = add_adherent(conn)
        conn.execute(tables.accounts.insert().values(**account(company, "sara.ca", "compte_adherent")))
        before = {"nom": "Alaoui", "email": "old@exemple.ma", "status": "active", "ordonnateur": False,
                  "validateur": False, "categories": []}
        conn.execute(audit.insert(), [
            {"at": T0, "actor": "agence", "adherent_numero": "123456", "action": "create",
             "target": "compte_adherent:sara.ca", "before": None,
             "after": {"nom": "Alaoui", "email": "old@exemple.ma"}},
            {"at": T0 + timedelta(hours=1), "actor": "submission:S20261130T100000-aaaaaaaa",
             "adherent_numero": "123456", "action": "update", "target": "compte_adherent:sara.ca",
             "before": before, "after": {"email": "new@exemple.ma"}},
            {"at": T0 + timedelta(hours=2), "actor": "submission:S20261130T110000-bbbbbbbb",
             "adherent_numero": "123456", "action": "disable", "target": "compte_adherent:sara.ca",
             "before": before, "after": {"status": "disabled"}},
            {"at": T0, "actor": "agence", "adherent_numero": "123456", "action": "unlock", "target": "123456",
             "before": None, "after": None},
        ])

    upgrade(old_store)

    with old_store.connect() as conn:
        rows = conn.execute(sa.select(tables.history).order_by(tables.history.c.id)).all()
    assert [(r.action, r.origin, r.change_set, r.login) for r in rows] == [
        ("create", "operator", None, "sara.ca"),
        ("update", "submission", "S20261130T100000-aaaaaaaa", "sara.ca"),
        ("disable", "submission", "S20261130T110000-bbbbbbbb", "sara.ca")]
    assert rows[1].fields == [{"column": "Email", "old": "old@exemple.ma", "new": "new@exemple.ma"}]
    assert rows[2].fields == [{"column": "Statut", "old": "Actif", "new": "Désactivé"}]
    assert rows[0].fields == [{"column": "Nom", "old": None, "new": "Alaoui"},
                              {"column": "Email", "old": None, "new": "old@exemple.ma"}]
    assert all(r.previous_password_hash is None for r in rows)


def test_a_fresh_database_is_migrated_without_a_warning(db_url: str) -> None:
    """Before (issue 20, point 7): 0005's reflection printed an SAWarning per expression index (lower(email)...)
    on every fresh database, on the operator's terminal at the first command."""
    engine = make_engine(db_url)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            upgrade(engine)
    finally:
        engine.dispose()
    assert [str(w.message) for w in caught if issubclass(w.category, sa.exc.SAWarning)] == []
