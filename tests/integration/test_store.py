"""The account store on real databases: migrations, constraints, connection settings."""

from __future__ import annotations

import subprocess
import sys
import threading
import traceback
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.domain.vocabulary import ADHERENT_DETAIL_KEYS, CATEGORIES, DELEGUE_DETAIL_KEYS
from provisioner.store import tables
from provisioner.store.db import (
    StoreUnavailable,
    alembic_config,
    connect,
    make_engine,
    safe_url,
    upgrade,
)

# The newest migration: every upgrade ends there.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
ALL_TABLES = {
    "adherents", "accounts", "account_categories", "pending_users", "submissions",
    "requests", "mail_queue", "audit", "operators", "operator_sessions", "submission_errors",
}


def now() -> datetime:
    return datetime.now(UTC)


def add_adherent(conn: sa.Connection, numero: str = "123456") -> int:
    result = conn.execute(
        tables.adherents.insert().values(
            numero=numero,
            raison_sociale="Société Test",
            company={key: "" for key in ADHERENT_DETAIL_KEYS},
            delegue={key: "" for key in DELEGUE_DETAIL_KEYS},
            admin_password_hash="$argon2id$not-a-real-hash",
        )
    )
    return int(result.inserted_primary_key[0])


def account(adherent_id: int, login: str, teleservice: str = "td_interne", **extra: Any) -> dict[str, Any]:
    return {
        "adherent_id": adherent_id, "teleservice": teleservice, "login": login,
        "login_key": login.casefold(), "nom": "Alaoui", "prenom": "Fatima",
        "fonction": "RH", "email": "f.alaoui@example.ma", "password_hash": "$argon2id$x",
        **extra,
    }


def schema_version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# --- migrations ----------------------------------------------------------------


def test_migrations_create_every_table(engine: Engine) -> None:
    assert set(sa.inspect(engine).get_table_names()) >= ALL_TABLES
    assert schema_version(engine) == HEAD


def test_the_unread_inbox_claims_table_is_dropped_and_comes_back_on_downgrade(engine: Engine) -> None:
    assert "inbox_claims" not in sa.inspect(engine).get_table_names()
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0006")
    assert "inbox_claims" in sa.inspect(engine).get_table_names()
    upgrade(engine)
    assert "inbox_claims" not in sa.inspect(engine).get_table_names()
    assert schema_version(engine) == HEAD


def test_upgrading_twice_is_a_no_op(engine: Engine) -> None:
    with engine.begin() as conn:
        add_adherent(conn)
    upgrade(engine)
    assert schema_version(engine) == HEAD
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(tables.adherents)) == 1


def test_migrated_schema_matches_the_tables_module(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def test_two_upgrades_at_once_on_a_fresh_database_both_succeed(db_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        engine = make_engine(db_url)
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = make_engine(db_url)
    assert schema_version(engine) == HEAD
    engine.dispose()


@pytest.mark.postgres
def test_two_processes_migrating_postgres_together_both_succeed(pg_url: str) -> None:
    code = "import sys; from provisioner.store.db import make_engine as m, upgrade; upgrade(m(sys.argv[1]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, pg_url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = make_engine(pg_url)
    assert schema_version(engine) == HEAD
    engine.dispose()


def test_tables_freeze_the_workbook_categories() -> None:
    assert tables.CATEGORIES == CATEGORIES


# --- constraints ----------------------------------------------------------------


def test_a_login_is_unique_across_the_store_whatever_the_case(engine: Engine) -> None:
    with engine.begin() as conn:
        first = add_adherent(conn, "1111")
        second = add_adherent(conn, "2222")
        conn.execute(tables.accounts.insert().values(account(first, "F.Alaoui")))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(tables.accounts.insert().values(account(second, "f.alaoui", "sanctions")))


def test_pending_users_may_share_a_login_key(engine: Engine) -> None:
    with engine.begin() as conn:
        adherent_id = add_adherent(conn)
        for _ in range(2):
            conn.execute(tables.pending_users.insert().values(
                adherent_id=adherent_id, submission_id="S20261126-abcdefgh",
                teleservice="td_interne", login="fatima", login_key="fatima",
                record={"nom": "Alaoui", "categories": ["D"]},
            ))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(tables.accounts.insert().values(account(9999, "nobody")))


def test_deleting_an_account_deletes_its_categories(engine: Engine) -> None:
    with engine.begin() as conn:
        account_id = conn.execute(
            tables.accounts.insert().values(account(add_adherent(conn), "fatima"))
        ).inserted_primary_key[0]
        conn.execute(tables.account_categories.insert(), [
            {"account_id": account_id, "category": c} for c in ("D", "S1")
        ])
        conn.execute(tables.accounts.delete().where(tables.accounts.c.id == account_id))
        assert conn.scalar(sa.select(sa.func.count()).select_from(tables.account_categories)) == 0


def test_a_status_outside_its_list_is_refused(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(tables.submissions.insert().values(
            id="S1", sha256="0" * 64, file_name="a.xlsx", status="lost",
        ))


def test_a_duplicate_file_hash_is_refused(engine: Engine) -> None:
    row = {"sha256": "a" * 64, "file_name": "a.xlsx"}
    with engine.begin() as conn:
        conn.execute(tables.submissions.insert().values(id="S1", **row))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(tables.submissions.insert().values(id="S2", **row))


def test_defaults_and_json_round_trip(engine: Engine) -> None:
    with engine.begin() as conn:
        adherent_id = add_adherent(conn)
        conn.execute(tables.submissions.insert().values(id="S1", sha256="b" * 64, file_name="é.xlsx"))
        row = conn.execute(sa.select(tables.adherents)).one()
        submission = conn.execute(sa.select(tables.submissions)).one()
        account_row = conn.execute(
            tables.accounts.insert().values(account(adherent_id, "karim")).returning(tables.accounts)
        ).one()
    assert (row.status, row.confirmations, row.failed_auth, row.locked_until) == ("pending", 1, 0, None)
    assert row.delegue == {key: "" for key in DELEGUE_DETAIL_KEYS}
    assert (submission.status, submission.report) == ("processing", None)
    assert (account_row.status, account_row.ordonnateur, account_row.validateur) == ("active", False, False)


def test_timestamps_come_back_aware_in_utc(engine: Engine) -> None:
    casablanca = timezone(timedelta(hours=1))
    lock = datetime(2026, 11, 26, 15, 30, tzinfo=casablanca)
    with engine.begin() as conn:
        adherent_id = add_adherent(conn)
        conn.execute(tables.adherents.update().values(locked_until=lock))
        row = conn.execute(
            sa.select(tables.adherents).where(tables.adherents.c.id == adherent_id)
        ).one()
        # Comparisons in SQL stay in time order (SQLite compares text).
        still_locked = conn.scalar(sa.select(sa.func.count()).select_from(tables.adherents).where(
            tables.adherents.c.locked_until > datetime(2026, 11, 26, 14, 29, tzinfo=UTC)
        ))
    assert row.locked_until == lock and row.locked_until.tzinfo == UTC
    assert row.created_at.tzinfo == UTC and abs(row.created_at - now()) < timedelta(minutes=1)
    assert still_locked == 1


def test_a_naive_datetime_is_refused(engine: Engine) -> None:
    with pytest.raises(sa.exc.StatementError), engine.begin() as conn:
        add_adherent(conn)
        conn.execute(tables.adherents.update().values(locked_until=datetime(2026, 1, 1)))


def test_a_failed_statement_does_not_show_its_parameters(engine: Engine) -> None:
    canary = "$argon2id$CANARY-HASH-7f3a"
    with engine.begin() as conn:
        adherent_id = add_adherent(conn)
        conn.execute(tables.accounts.insert().values(account(adherent_id, "fatima")))
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as conn:
        conn.execute(tables.accounts.insert().values(
            account(adherent_id, "FATIMA", "sanctions", password_hash=canary)
        ))
    assert canary not in "".join(traceback.format_exception(caught.value))


# --- engines ----------------------------------------------------------------------


def test_sqlite_runs_in_wal_with_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar() for p in
                   ("journal_mode", "busy_timeout", "foreign_keys")}
    engine.dispose()
    assert path.parent.is_dir()
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1}


def test_sqlite_ddl_is_transactional(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        raise RuntimeError("roll back")
    assert "t" not in sa.inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    engine = make_engine(f"{scheme}://app:secret@db.example:5432/provisioner")
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    assert "secret" not in repr(engine)
    engine.dispose()


def test_safe_url_masks_the_password() -> None:
    shown = safe_url("postgresql+psycopg://app:S3cr3tPw@db.example/provisioner")
    assert "S3cr3tPw" not in shown and "db.example" in shown


@pytest.mark.parametrize("url", [
    "postgresql://app:Pw-CANARY-91@127.0.0.1:1/provisioner",  # nothing listens on port 1
    "postgresql://app:Pw-CANARY-91@127.0.0.1:5432/provisioner?connect_timeout=2",  # no such role/db
    "postgresql://app:Pw-CANARY-91@[bad",  # not even a URL
    "nosuchdb://app:Pw-CANARY-91@host/db",  # no driver
])
def test_a_database_that_cannot_be_opened_never_shows_its_password(url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        connect(Settings(database_url=url))
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert "Pw-CANARY-91" not in shown
    assert str(caught.value)


def test_connect_opens_the_default_sqlite_store_under_var(tmp_path: Path) -> None:
    engine = connect(Settings(var_dir=tmp_path / "var"))
    assert (tmp_path / "var" / "provisioner.db").is_file()
    assert schema_version(engine) == HEAD
    engine.dispose()
