"""Fixtures shared by every test: real databases, SQLite and PostgreSQL.

`engine` runs a test on both: an SQLite file under tmp_path and a fresh
PostgreSQL database on 127.0.0.1:5432 (skipped, with the reason, when the
server does not answer). Both are at head, copied from a store migrated once
(tests/stores.py). `pg_url` gives a fresh, empty PostgreSQL database URL, for
tests that start other processes. `ctx` is a service context on `engine`.
`smtp` and `imap` are real mail servers on 127.0.0.1 (aiosmtpd, Dovecot).

Passwords and answers are hashed with argon2id at its lowest cost in the tests' own process
(`cheap_hashes`): the production parameters cost some 80 ms a hash, and a test that provisions
a few accounts makes dozens. The tests of hashing itself are marked `production_hashes`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import argon2
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.security import hashing
from provisioner.security.hashing import Hasher
from provisioner.service.context import ServiceContext
from provisioner.store.db import alembic_config, make_engine
from tests.imap_server import ImapServer, unavailable
from tests.smtp_server import SmtpServer, free_port
from tests.stores import migrated_sqlite, pg_database, pg_template

pytest_plugins = ("tests.portal_support",)  # the portal's fixtures

PG_HOST = "127.0.0.1:5432"
PG_ADMIN_USERS = ("postgres", "root")
PG_ADMIN_DATABASE = "test"
PG_TIMEOUT_S = 2
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# argon2id at its lowest cost: a hash still verifies as any other, its parameters written in it.
CHEAP_HASHER = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=argon2.Type.ID)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "production_hashes: hashes with the service's argon2id parameters")


@pytest.fixture(autouse=True)
def cheap_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing in this process at argon2id's lowest cost, unless the test is marked `production_hashes`.

    Other processes (`provisioner` commands, hash pools) keep the production parameters."""
    if request.node.get_closest_marker("production_hashes") is None:
        monkeypatch.setattr(hashing, "_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the `test` database, able to create databases."""
    errors = []
    for user in PG_ADMIN_USERS:
        admin = sa.create_engine(
            f"postgresql+psycopg://{user}@{PG_HOST}/{PG_ADMIN_DATABASE}",
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": PG_TIMEOUT_S},
        )
        try:
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            errors.append(f"{user}: {str(exc.orig).strip().splitlines()[0]}")
            admin.dispose()
            continue
        yield admin
        admin.dispose()
        return
    pytest.skip(f"PostgreSQL not reachable on {PG_HOST}: {'; '.join(errors)}")


def _database_name() -> str:
    return f"provisioner_test_{secrets.token_hex(6)}"


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    with pg_database(pg_admin, _database_name()) as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated_template(pg_admin: Engine) -> Iterator[str]:
    """The name of a PostgreSQL database at head, for this session (one per xdist worker) to copy."""
    with pg_template(pg_admin, f"provisioner_template_{secrets.token_hex(6)}") as name:
        yield name


@contextmanager
def store_at(db_url: str, revision: str) -> Iterator[Engine]:
    """A store migrated only up to `revision`, as an older service left it (for migration tests)."""
    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'var' / 'provisioner.db').as_posix()}"


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each kind, not migrated."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server listening on a free port of 127.0.0.1, stopped after the test."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    """A real IMAP server (Dovecot) on a free port of 127.0.0.1, its mailbox empty; skipped, with the reason,
    where Dovecot cannot run."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    server = ImapServer()
    try:
        server.start()
    except RuntimeError as error:
        server.close()
        pytest.skip(f"Dovecot cannot run here: {error}")
    yield server
    server.close()


@pytest.fixture
def ctx(engine: Engine, tmp_path: Path) -> Iterator[ServiceContext]:
    """A service context on `engine` (both databases), its folders under tmp_path, one hash worker."""
    settings = Settings(database_url=str(engine.url), outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1)
    context = ServiceContext(settings, engine, Hasher(1))
    yield context
    context.hasher.close()


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated account store, on SQLite (tmp_path/var/provisioner.db) and on PostgreSQL.

    Parametrized on its own, not through `db_url`: a test that asked for both would run four times."""
    if request.param == "sqlite":
        engine = migrated_sqlite(tmp_path / "var" / "provisioner.db")
        yield engine
        engine.dispose()
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    template: str = request.getfixturevalue("pg_migrated_template")
    with pg_database(admin, _database_name(), template) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()
