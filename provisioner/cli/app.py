"""The root command group and what every command shares."""

from __future__ import annotations

import click

from provisioner.config import ConfigError, Settings, load_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="provisioner")
def cli() -> None:
    """Provision CIMR téléservices accounts from the standard Excel workbook.

    Example: provisioner check bordereau.xlsx
    """


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None
