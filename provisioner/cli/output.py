"""How the operators' commands print: a table for a terminal, drawn to its width; piped or redirected,
tab-separated values written whole (a heading line, then one line per row), for scripts and mails; with
`--json`, JSON (times in ISO 8601 with their offset). Times for people are in Casablanca time. Values typed
by outsiders (names, file names) are printed as plain text, never read as rich markup or terminal control
sequences."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime

import click
from rich.console import Console
from rich.text import Text

from provisioner.wording import cli_output, dates


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return dates.aware(value).isoformat(timespec="seconds")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def plain(value: object) -> str:
    """Printable text: no control character from a workbook reaches the terminal."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return dates.short(value)
    if isinstance(value, bool):
        return cli_output.YES if value else cli_output.NO
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in str(value))


def print_table(title: str, headings: Sequence[str], rows: Iterable[Sequence[object]], *, empty: str,
                titled: bool = False) -> None:
    """A table for a terminal; with no terminal, tab-separated values, whole (`titled`: a `# title`
    line first, for the commands that print several tables)."""
    rows = list(rows)
    if not sys.stdout.isatty():
        print_tsv(title if titled else None, headings, rows)
        return
    console = Console(highlight=False)
    if not rows:
        if empty:
            console.print(Text(empty))
        return
    from provisioner.cli.table_fit import fitted_table

    table, dropped = fitted_table(title, headings, [[plain(cell) for cell in row] for row in rows], console.width)
    console.print(table)
    if dropped:
        console.print(Text(cli_output.columns_hidden(dropped)))


def print_tsv(title: str | None, headings: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    # plain() turns tabs and line breaks into U+FFFD: a value never splits a line or a column.
    lines = ([f"# {plain(title)}"] if title else []) + ["\t".join(plain(h) for h in headings)]
    lines += ["\t".join(plain(cell) for cell in row) for row in rows]
    click.echo("\n".join(lines))


def say(message: str) -> None:
    click.echo(plain(message))
