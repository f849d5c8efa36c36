"""`provisioner template`: write the blank workbook that companies fill."""

from __future__ import annotations

from pathlib import Path

import click

from provisioner.cli.app import cli
from provisioner.workbook import layout
from provisioner.workbook.template import DEFAULT_FILE_NAME, write_template


@cli.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_FILE_NAME, show_default=True,
              help="Where to write the workbook (an existing file is replaced).")
def template_command(output: Path) -> None:
    """Write the blank workbook, current template version, that companies fill and send.

    The same version of provisioner always writes the same bytes, so the
    committed templates/bordereau-teleservices.xlsx can be compared with it.

    \b
    Example:
        provisioner template -o templates/bordereau-teleservices.xlsx
    """
    try:
        written = write_template(output)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {output}: {exc.strerror or exc}",
                                 param_hint="'-o' / '--output'") from None
    click.echo(f"Template {layout.TEMPLATE_VERSION} written to {written}")
