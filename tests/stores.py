"""Migrated stores for the tests, copied from a template migrated once instead of migrated again for each test.

Running the migrations costs about half a second on SQLite and more than a second on PostgreSQL, and some
three hundred tests each want a store at head. The schema a copy gets is the one `upgrade` gives, byte for
byte: SQLite's file is copied; PostgreSQL copies a database with `CREATE DATABASE … TEMPLATE`. The tests of
the migrations themselves still start from empty databases (`db_url`, `pg_url`, `store_at`).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from provisioner.store.db import make_engine, upgrade


@functools.cache
def _sqlite_template() -> Path:
    """A SQLite store at head, made once per process (one per xdist worker), removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="provisioner-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(engine)
    engine.dispose()  # the last connection closed checkpoints the WAL into the file: the file is the whole store
    return path


def migrated_sqlite(path: Path) -> Engine:
    """An engine on a new SQLite store at `path` (its folder made), at head; the file must not exist yet."""
    if path.exists():
        raise FileExistsError(path)  # copying over a live store would corrupt it silently
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(), path)
    return make_engine(f"sqlite:///{path.as_posix()}")


@contextmanager
def pg_database(admin: Engine, name: str, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database `name` (a copy of `template` when given, else empty), its URL, dropped after."""
    copied = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def pg_template(admin: Engine, name: str) -> Iterator[str]:
    """A PostgreSQL database at head named `name`, to copy with `pg_database(…, template=name)`; dropped after.

    Nothing stays connected to it (CREATE DATABASE … TEMPLATE refuses a template in use)."""
    with pg_database(admin, name) as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield name
