"""What every use case needs, built once from the settings: engine, hasher, clock, folders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from provisioner.config import Settings
from provisioner.security import secret_key
from provisioner.security.hashing import Hasher
from provisioner.store.db import connect
from provisioner.store.tables import utcnow
from provisioner.workbook import isolation


@dataclass
class ServiceContext:
    settings: Settings
    engine: Engine
    hasher: Hasher
    clock: Callable[[], datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        # Process-wide, set from the settings of whoever builds a ServiceContext: the key of the
        # secrets at rest (mail queue, quarantine) and the reader children's limits.
        secret_key.install(self.settings)
        isolation.configure(isolation.Limits(self.settings.reader_memory_mb, self.settings.reader_seconds))

    @property
    def outbox(self) -> Path:
        return self.settings.outbox

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1024 * 1024)

    def close(self) -> None:
        self.hasher.close()
        self.engine.dispose()

    def __enter__(self) -> ServiceContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_context(settings: Settings) -> ServiceContext:
    secret_key.install(settings)  # first: a damaged key file fails before an engine or a hasher is made
    engine = connect(settings)
    return ServiceContext(settings, engine, Hasher(settings.hash_workers))
