"""The command line: thin commands that build settings, call one thing, map errors to exits.

Exit codes: 0 all accepted (or duplicate), 1 something rejected, 2 usage or configuration error.
"""

from __future__ import annotations

from provisioner.cli.app import cli


def main() -> None:
    # Importing registers each command module on the group.
    from provisioner.cli import admin, check, dashboard, process, serve, template, web  # noqa: F401

    cli(prog_name="provisioner")
