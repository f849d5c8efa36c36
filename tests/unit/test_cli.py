"""The command line's shape: every command listed once, and `--help` imports none of the heavy libraries."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from provisioner.cli.app import COMMANDS, cli, load_all_commands
from tests.service_env import REPO

HEAVY = ("pandas", "numpy", "openpyxl", "sqlalchemy", "pandera", "python_calamine", "argon2", "fpdf",
         "xlsxwriter", "apscheduler", "jinja2", "rich")


def _first_sentence(command: click.Command) -> str:
    paragraph = (command.help or "").split("\n\n")[0]
    return re.sub(r"\s+", " ", paragraph).strip()


def test_every_command_is_listed_with_the_line_its_own_help_begins_with() -> None:
    load_all_commands()
    assert set(cli.commands) == set(COMMANDS)
    for name, (module, line) in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback is not None and command.callback.__module__ == module, name
        assert _first_sentence(command).startswith(line.rstrip(".")), (name, _first_sentence(command))


def _imported_by(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "provisioner", *args],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [("--help",), ("adherents", "--help"), ("status", "--help")])
def test_help_and_operator_commands_start_without_the_workbook_and_database_libraries(args: tuple[str, ...]) -> None:
    imported = _imported_by(*args)
    assert "click" in imported  # the measurement itself works
    heavy = set(HEAVY) - {"rich"} if args[0] != "--help" else set(HEAVY)
    assert not imported & heavy, sorted(imported & heavy)
