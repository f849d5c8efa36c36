"""The command line's shape: every command listed once, whole when loaded alone, and `--help` importing
none of the heavy libraries."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import click
import pytest

from provisioner.cli.app import COMMANDS, cli, load_all_commands
from tests.service_env import REPO

HEAVY = ("pandas", "numpy", "openpyxl", "sqlalchemy", "pandera", "python_calamine", "argon2", "fpdf",
         "xlsxwriter", "apscheduler", "jinja2")


def _first_sentence(command: click.Command) -> str:
    paragraph = (command.help or "").split("\n\n")[0]
    return re.sub(r"\s+", " ", paragraph).strip()


def _tree(command: click.Command) -> object:
    if isinstance(command, click.Group):
        return {name: _tree(sub) for name, sub in sorted(command.commands.items())}
    return None


def test_every_command_is_listed_with_the_line_its_own_help_begins_with() -> None:
    load_all_commands()
    assert set(cli.commands) == set(COMMANDS)
    for name, (_, line) in COMMANDS.items():
        assert _first_sentence(cli.commands[name]).startswith(line.rstrip(".")), name


def test_each_command_loaded_alone_has_all_its_subcommands() -> None:
    """What `provisioner NAME ...` loads (its module only) is the whole command, subcommands included."""
    load_all_commands()
    expected = {name: _tree(cli.commands[name]) for name in COMMANDS}
    script = ("import json, sys; from provisioner.cli.app import cli\n"
              "name = sys.argv[1]; command = cli.get_command(None, name)\n"
              "def tree(c):\n"
              "    return {n: tree(s) for n, s in sorted(c.commands.items())} if hasattr(c, 'commands') else None\n"
              "print(json.dumps(tree(command)))")
    for name in COMMANDS:
        result = subprocess.run([sys.executable, "-c", script, name], cwd=REPO, capture_output=True, text=True,
                                timeout=60, check=True)
        assert json.loads(result.stdout) == expected[name], name


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
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    if args == ("--help",):
        assert "rich" not in imported
