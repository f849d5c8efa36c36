"""Whether a part of the service answers: the database at start-up (waited for), a folder at each round."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from provisioner.security import secret_key
from provisioner.service.context import ServiceContext, open_context
from provisioner.service.intake import faults
from provisioner.service.intake.health import Health, errno_name
from provisioner.store.db import StoreUnavailable
from provisioner.store.tables import utcnow

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from provisioner.config import Settings


def open_when_reachable(settings: Settings, *, wait: bool = True) -> ServiceContext:
    """The service context; while the database cannot be reached, wait for it (health recorded).

    A host restart may start the service before its database: it waits, says
    so in var/health.json and the log, and starts once the database answers.
    A configuration error (unparsable URL, no driver) is raised at once. A
    damaged var/secret.key is waited for the same way (files wait in the inbox
    until it is restored), rather than a crash that a supervisor would restart
    for ever.
    """
    health: Health | None = None
    while True:
        try:
            ctx = open_context(settings)
        except (StoreUnavailable, secret_key.KeyUnreadable) as error:
            if isinstance(error, secret_key.KeyUnreadable):
                fault = faults.Fault(faults.KEY, type(error).__name__)
            elif str(error).startswith("cannot open the database"):
                fault = faults.Fault(faults.DATABASE, type(error).__name__)
            else:
                raise
            if not wait:
                raise
            if health is None:
                health = Health(settings, utcnow)
            if isinstance(error, secret_key.KeyUnreadable) and not health.failing(faults.KEY):
                log.error("%s", error)  # what to do, once; the health line follows
            health.fail(fault)
            time.sleep(settings.poll_seconds)
            continue
        if health is not None:
            health.ok(faults.DATABASE)
            health.ok(faults.KEY)
        return ctx


def probe_folder(folder: Path) -> None:
    """Raise OSError unless a file can be created, written, synced and removed in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".probe-", suffix=".tmp")
    try:
        os.write(fd, b"probe\n")
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def folder_fault(part: str, error: OSError) -> faults.Fault:
    """What a probe's OSError says of the folder of `part`: its type, errno and reason, never a path."""
    return faults.Fault(part, f"{type(error).__name__} {errno_name(error)}",
                        faults.ERRNO_NAMES.get(error.errno or 0, ""))


def probe_parts(ctx: ServiceContext, work_folder: Path) -> Iterator[tuple[str, faults.Fault | None]]:
    """Each part of the service (the database, then our folders) with its fault, or None when it answers."""
    settings = ctx.settings
    try:
        # Not a unit of work: no use case, only whether the engine the writes go through answers.
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        yield faults.DATABASE, None
    except Exception as error:
        yield faults.DATABASE, faults.classify(error, settings) or faults.Fault(faults.DATABASE, type(error).__name__)
    for part, folder in faults.folders(settings):
        try:
            probe_folder(folder)
            if part == faults.VAR and work_folder != folder:
                # The work folder may live in the inbox (another file system): var/ keeps health.json and the key.
                probe_folder(work_folder)
        except OSError as error:
            yield part, folder_fault(part, error)
        else:
            yield part, None
