"""The root command group and what every command shares."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from provisioner.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext

# Every command, the module that defines it, and the line `provisioner --help` shows for it. A command's
# module is imported only when that command runs, so that `--help` and the operator commands do not pay for
# pandas, openpyxl or SQLAlchemy (about 0.8 s) when they never read a workbook. The line is kept here rather
# than read from the command, which would import it; tests/unit/test_cli.py checks that the two agree.
COMMANDS: dict[str, tuple[str, str]] = {
    # `accounts history` lives with the submissions (it reads the same history): that module imports cli.accounts.
    "accounts": ("provisioner.cli.submissions", "User accounts of the téléservices."),
    "adherents": ("provisioner.cli.adherents", "Member companies: list them, validate a subscription, unlock, "
                                           "reset the administrator password."),
    "check": ("provisioner.cli.check", "Check a workbook (or each workbook of a .zip) without the account "
                                       "store, changing nothing."),
    "dashboard": ("provisioner.cli.dashboard", "Rebuild the Agence Virtuelle's dashboard, outbox/index.html, "
                                               "now."),
    "operators": ("provisioner.cli.web", "The back office's people: add, list, disable, enable, role, new password."),
    "portal": ("provisioner.cli.portal", "Run the companies' portal alone (no inbox polling): for a second process "
                                         "or machine."),
    "process": ("provisioner.cli.process", "Process files now, through the same pipeline as `serve`; the files "
                                           "stay where they are."),
    "requests": ("provisioner.cli.requests", "Changes waiting for a signed letter: list them, approve or "
                                             "reject them."),
    "serve": ("provisioner.cli.serve", "Run the service: every poll interval, take the finished files of the "
                                       "inbox, process them, write the outbox, send the queued emails."),
    "status": ("provisioner.cli.status", "The state of the service: its health, submissions, files waiting, "
                                         "emails, subscriptions and requests."),
    "submissions": ("provisioner.cli.submissions", "Submissions received: list them, see one, undo one."),
    "template": ("provisioner.cli.template", "Write the blank workbook, current template version, that "
                                             "companies fill and send."),
    "web": ("provisioner.cli.web", "Run the web back office alone (no inbox polling): for a second process or "
                                   "machine."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported from COMMANDS when they are first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # its decorators register it on this group
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx) if name in COMMANDS]
        rows += [(name, command.get_short_help_str()) for name, command in sorted(self.commands.items())
                 if name not in COMMANDS and not command.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


def load_all_commands() -> None:
    """Import every command's module (for tests and tools that walk the whole tree)."""
    for module, _ in COMMANDS.values():
        importlib.import_module(module)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="provisioner")
def cli() -> None:
    """Provision CIMR téléservices accounts from the standard Excel workbook.

    Example: provisioner check bordereau.xlsx
    """
    # Files the service creates (database, archive, outbox, quarantine) are readable by its
    # group at most, never by every account of the host; modes set explicitly stay as set.
    os.umask(0o027)
    # Past a file-size limit a write fails with EFBIG (a fault of the folder, see service.faults) instead of
    # the signal killing the process. CPython ignores it at start already; said here so that it stays so.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # One line per event on stderr; modules never log a secret (see security.md).
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-migration chatter is not ours
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # ~70 lines a subscription form as it subsets


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.UsageError(f"configuration: {exc}") from None


@contextmanager
def open_or_exit() -> Iterator[ServiceContext]:
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
