"""`provisioner process FILE...`: the service's pipeline on the named files, now."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from provisioner.cli.app import cli, open_or_exit
from provisioner.service.names import display_name, openable

EXIT_REJECTED = 1


@cli.command("process")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per file (its rapport.json).")
def process(files: tuple[Path, ...], as_json: bool) -> None:
    """Process workbooks now, as the service would; the files stay where they are.

    Reports go to the outbox (PROVISIONER_OUTBOX). Exit 0 when every file was
    accepted or a duplicate, 1 when any was rejected, 2 on a usage or
    configuration error.

    Example: provisioner process bordereau-123456.xlsx
    """
    import json

    from provisioner.service.pipeline import process_file

    rejected = False
    with open_or_exit() as ctx:
        for path in files:
            try:
                with openable(path) as readable:
                    outcome = process_file(ctx, readable, name=path.name)
            except Exception:  # a bug, not a bad file: keep going with the others
                logging.getLogger(__name__).exception("processing failed for a file")
                click.echo(f"{display_name(path.name)}: internal error, see the log", err=True)
                rejected = True
                continue
            rejected |= outcome.status == "rejected"
            if as_json:
                click.echo(json.dumps(outcome.report, ensure_ascii=False))
            else:
                report = outcome.report
                click.echo(f"{display_name(path.name)}: {outcome.status} "
                           f"({len(report['errors'])} error(s), {len(report['warnings'])} warning(s)) "
                           f"→ {outcome.folder}")
    if rejected:
        raise SystemExit(EXIT_REJECTED)
