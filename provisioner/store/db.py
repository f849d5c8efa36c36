"""Opening the account store: the engine, and the schema brought up to date.

Built in one place from the settings, never at import time. Whatever goes
wrong, no message carries the database password: URLs are only ever shown
through `safe_url`, and SQL parameters (hashes among them) are hidden from
exception messages and logs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from provisioner.config import Settings

MIGRATIONS = Path(__file__).with_name("migrations")

# A constant both processes agree on: pg_advisory_xact_lock serialises
# upgrades, so a second service starting at the same time waits, then finds
# the schema at head and does nothing.
_MIGRATION_LOCK_KEY = 0x70726F76  # "prov"

# Alembic keeps its running context in module globals (`alembic.context`,
# `alembic.op`): two threads of one process must not migrate at once.
_ALEMBIC_RUN = threading.Lock()

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10


class StoreUnavailable(Exception):
    """The database cannot be opened: malformed URL, missing driver, server not answering."""


def safe_url(url: str | URL) -> str:
    """The URL as it may be shown to people and logs: password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "<unparsable database URL>"


def make_engine(url: str | URL, *, lock_timeout: float = 0, statement_timeout: float = 0) -> Engine:
    """An engine for `url`, configured for this service (SQLite or PostgreSQL).

    PostgreSQL: `lock_timeout` and `statement_timeout` (seconds, 0 for none) bound every statement of
    its sessions, so that a row held by another session (a long transaction, an idle one, a frozen
    second instance) fails that one statement instead of stalling the caller for as long.
    """
    try:
        parsed = _normalise(make_url(url))
    except exc.ArgumentError:
        # SQLAlchemy's own message quotes the whole string, password included.
        raise StoreUnavailable("the database URL cannot be parsed") from None
    options: dict[str, object] = {"hide_parameters": True}
    if parsed.get_backend_name() == "postgresql":
        options["pool_pre_ping"] = True
        connect_args: dict[str, object] = {}
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
        if "options" not in parsed.query:
            connect_args["options"] = (f"-c lock_timeout={int(lock_timeout * 1000)}"
                                       f" -c statement_timeout={int(statement_timeout * 1000)}")
        if connect_args:
            options["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **options)
    except (exc.NoSuchModuleError, ImportError) as error:
        raise StoreUnavailable(
            f"no driver for {safe_url(parsed)}: {type(error).__name__}"
        ) from None
    if engine.dialect.name == "sqlite":
        _prepare_sqlite(engine, parsed)
    return engine


def _normalise(url: URL) -> URL:
    # `postgresql://` (and the old `postgres://`) would pick psycopg2, which is
    # not a dependency: the service speaks psycopg 3.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _prepare_sqlite(engine: Engine, url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                f"cannot create the folder of {safe_url(url)}: {error.strerror}"
            ) from None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling skips BEGIN before SELECT and DDL
        # and commits before DDL: take it over so a transaction is one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never wait for the writer. Persistent in the file.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN, where busy_timeout applies. A
        # deferred transaction that reads then writes fails at once with
        # "database is locked" when another process wrote in between.
        # A reader (see `reader`) never writes: a deferred BEGIN lets it read
        # its WAL snapshot without waiting for the writer of the moment.
        deferred = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


READ_ONLY = "provisioner_read_only"


def reader(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that only read: on SQLite they never wait for a
    writer (the web pages, while the pipeline holds the write lock for a workbook). Never write
    through it: a deferred transaction that writes can fail at once with "database is locked"."""
    return engine.execution_options(**{READ_ONLY: True})


def alembic_config() -> Config:
    """Alembic's configuration, built in code: no alembic.ini at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration; a no-op when it is there already.

    Safe when two processes start together: on PostgreSQL a transaction-level
    advisory lock serialises them (released at commit, or if the process
    dies); on SQLite, `BEGIN IMMEDIATE` does the same and DDL is transactional.
    """
    config = alembic_config()
    with _ALEMBIC_RUN, _reachable(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # A migration may wait for another instance's, and take its time: not bounded like the service's.
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def connect(settings: Settings) -> Engine:
    """The engine for the configured database, its schema up to date."""
    engine = make_engine(settings.effective_database_url, lock_timeout=settings.db_lock_timeout_seconds,
                         statement_timeout=settings.db_statement_timeout_seconds)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def _reachable(engine: Engine) -> Iterator[None]:
    """Turn a failure to connect into a StoreUnavailable whose message shows no secret."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as error:
        if error.statement is not None:
            raise  # a failing statement is a bug, not an unreachable database
        message = str(error.orig if error.orig is not None else error).strip()
        reason = message.splitlines()[0] if message else type(error.orig).__name__
        password = engine.url.password
        if password:
            reason = reason.replace(str(password), "***")
        # `from None`: the chained driver exception would print the same
        # message unscrubbed in a traceback.
        shown = safe_url(engine.url)
        raise StoreUnavailable(f"cannot open the database {shown}: {reason}") from None
