"""Alembic environment: runs the migrations on the connection `db.upgrade` hands over.

There is no alembic.ini at run time: `provisioner.store.db.alembic_config()`
builds the configuration in code and passes the open connection in
`config.attributes["connection"]`, already inside the transaction (and, on
PostgreSQL, holding the advisory lock) that `upgrade` opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from provisioner.store.db import make_engine
from provisioner.store.tables import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: future migrations copy-and-move tables.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    # Called by the alembic CLI (`alembic -x url=...`, for development only).
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or use provisioner.store.db.upgrade")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _configure(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_online()
