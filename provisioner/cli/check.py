"""`provisioner check FILE`: every rule that needs no account store; nothing is changed."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner.cli.app import cli
from provisioner.domain.findings import Finding
from provisioner.domain.vocabulary import REQUEST_TYPE_LABELS, SubmissionStatus
from provisioner.reports.report_json import SCHEMA
from provisioner.service.intake.names import display_name, openable
from provisioner.wording import cli_check as say

if TYPE_CHECKING:
    from provisioner.workbook.checker import CheckResult

EXIT_REJECTED = 1


@cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--annotate", type=click.Path(dir_okay=False, path_type=Path), metavar="OUT.xlsx",
              help="Also write a copy of the workbook with each faulty cell marked (secrets emptied).")
def check_command(file: Path, as_json: bool, annotate: Path | None) -> None:
    """Check a workbook (or each workbook of a .zip) without the account store, changing nothing.

    Reports every fault found (not just the first), each with its code and
    cell; a .zip gets one line per workbook. Exit 0 when there is no error,
    1 when there is any (in any workbook), 2 on a usage error. Login,
    password and company checks that need the store are left to
    `provisioner process`.

    \b
    Example:
        provisioner check bordereau.xlsx --annotate bordereau-annote.xlsx
        provisioner check lot.zip
    """
    from provisioner.service.intake.batch_members import is_batch

    if is_batch(file, file.name):
        _check_batch(file, as_json=as_json, annotate=annotate)
        return
    with _collector_paused():
        _check_one(file, as_json=as_json, annotate=annotate)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one workbook is checked and the process ends.

    Its imports (pandas, pandera: hundreds of thousands of objects) and the check's
    allocations make the collector walk that heap again and again: about 0.15 s of CPU
    of a one-second command, for the little cyclic garbage one check leaves, which the
    process's exit frees. The reader child forked meanwhile collects only its own
    objects (isolation.py freezes what it inherits).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_one(file: Path, *, as_json: bool, annotate: Path | None) -> None:
    from provisioner.workbook.checker import check_file, log_safely  # pandas and pandera: after the pause

    try:
        with openable(file) as readable:
            result = check_file(readable, name=display_name(file.name))
        if as_json:
            click.echo(_as_json(display_name(file.name), result))
        else:
            _print_human(display_name(file.name), result)
        if annotate is not None:
            _annotate(result, annotate)
    except Exception as exc:  # no traceback for the user: it could quote a cell
        log_safely(exc, "check command")
        click.echo(say.INTERNAL_ERROR, err=True)
        sys.exit(EXIT_REJECTED)
    if not result.accepted:
        sys.exit(EXIT_REJECTED)


def _check_batch(file: Path, *, as_json: bool, annotate: Path | None) -> None:
    from provisioner.cli.check_batch import check_members
    from provisioner.service.intake.batch_members import BatchRefused
    from provisioner.workbook.checker import log_safely

    if annotate is not None:
        raise click.UsageError(say.ANNOTATE_ONE_WORKBOOK)
    rejected = False
    try:
        with openable(file) as readable:
            for name, result in check_members(readable):
                click.echo(_as_json(name, result) if as_json else _summary(name, result))
                rejected = rejected or not result.accepted
    except BatchRefused as refused:
        shown = _plain(click.format_filename(display_name(file.name)))
        click.echo(say.batch_refused(shown, refused.code, refused.message), err=True)
        sys.exit(EXIT_REJECTED)
    except Exception as exc:  # no traceback for the user: it could quote a cell
        log_safely(exc, "check command")
        click.echo(say.INTERNAL_ERROR, err=True)
        sys.exit(EXIT_REJECTED)
    if rejected:
        sys.exit(EXIT_REJECTED)


def _annotate(result: CheckResult, out: Path) -> None:
    # Imported here: only this option needs openpyxl and the copy builder.
    from provisioner.workbook.rebuild import write_copy

    shown = _plain(click.format_filename(out))
    if result.workbook is None:
        click.echo(say.NO_ANNOTATED_COPY, err=True)
        return
    try:
        write_copy(result.workbook, result.findings, annotate=True, path=out)
    except OSError as exc:
        from provisioner.workbook.checker import log_safely

        log_safely(exc, "annotated copy")
        click.echo(say.copy_not_written(shown), err=True)
        sys.exit(EXIT_REJECTED)
    click.echo(say.copy_written(shown), err=True)


def _as_json(name: str, result: CheckResult) -> str:
    parsed = result.workbook
    report = {
        "schema": SCHEMA,  # rapport.json's version: `check --json` is its findings part
        "file": name,
        "status": SubmissionStatus.ACCEPTED if result.accepted else SubmissionStatus.REJECTED,
        "request_type": parsed.request_type if parsed else None,
        "adherent": (parsed.numero or None) if parsed else None,
        "errors": [f.to_dict() for f in result.errors],
        "warnings": [f.to_dict() for f in result.warnings],
    }
    return json.dumps(report, ensure_ascii=False)


# --- Text for people ---------------------------------------------------------------


def _print_human(name: str, result: CheckResult) -> None:
    click.echo(_summary(name, result))
    if not result.findings or (result.workbook is None and len(result.findings) == 1):
        return  # an unread file's one finding is already the summary's
    if sys.stdout.isatty():
        _print_table(result.findings)
    else:
        for finding in result.findings:
            click.echo(f"{_severity(finding)}  {finding.code}  {_place(finding)}  {_plain(finding.message)}")


def _summary(name: str, result: CheckResult) -> str:
    shown = _plain(click.format_filename(name))
    parsed = result.workbook
    about = ""
    if parsed is not None:
        request = REQUEST_TYPE_LABELS.get(parsed.request_type or "", say.UNKNOWN_REQUEST_TYPE)
        about = say.about(request, _plain(parsed.numero))
    counts = say.counts(len(result.errors), len(result.warnings))
    if result.accepted:
        return say.accepted(shown, about, counts)
    if parsed is None and result.errors:
        return say.refused_unread(shown, _plain(result.errors[0].message))
    return say.refused(shown, about, counts)


def _print_table(findings: list[Finding]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(*say.TABLE_HEADERS, show_lines=False)
    for finding in findings:
        # Text(), never markup: a value quoted in a message could hold `[bold]`.
        table.add_row(Text(_severity(finding)), Text(finding.code), Text(_place(finding)),
                      Text(_plain(finding.message)))
    Console(highlight=False).print(table)


def _severity(finding: Finding) -> str:
    return say.ERROR if finding.is_error else say.WARNING


def _place(finding: Finding) -> str:
    sheet = _plain(finding.sheet or "")
    if finding.cell:
        return f"{sheet}!{finding.cell}"
    if finding.row:
        return say.row_place(sheet, finding.row)
    if finding.column:
        return say.column_place(sheet, _plain(finding.column))
    return sheet or say.WHOLE_WORKBOOK


def _plain(text: str) -> str:
    """One line, no control characters: a name or a value must not drive the terminal."""
    return "".join(c if c.isprintable() else " " for c in text)
