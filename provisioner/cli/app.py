"""The root command group and what every command shares."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from provisioner.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from provisioner.service.context import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="provisioner")
def cli() -> None:
    """Provision CIMR téléservices accounts from the standard Excel workbook.

    Example: provisioner check bordereau.xlsx
    """
    # Files the service creates (database, archive, outbox, quarantine) are readable by its
    # group at most, never by every account of the host; modes set explicitly stay as set.
    os.umask(0o027)
    # One line per event on stderr; modules never log a secret (see security.md).
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-migration chatter is not ours


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None


@contextmanager
def open_or_exit() -> Iterator[Context]:
    """The service context (database migrated, hasher ready); exit 2 when it cannot be opened."""
    from provisioner.service.context import open_context
    from provisioner.store.db import StoreUnavailable

    settings = settings_or_exit()
    try:
        ctx = open_context(settings)
    except StoreUnavailable as exc:
        raise click.UsageError(f"database: {exc}") from None
    with ctx:
        yield ctx
