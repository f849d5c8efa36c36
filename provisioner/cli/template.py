"""`provisioner template`: write the blank workbook that companies fill, or one pre-filled for a company."""

from __future__ import annotations

import re
from pathlib import Path

import click

from provisioner.cli.app import cli, open_or_exit
from provisioner.domain.vocabulary import AdherentStatus
from provisioner.workbook import layout
from provisioner.workbook.template import DEFAULT_FILE_NAME, write_template

NUMERO = re.compile(r"[0-9]{4,10}")


def _check_numero(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not NUMERO.fullmatch(value):
        raise click.BadParameter("a member number is 4 to 10 digits, e.g. 123456")
    return value


@cli.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Where to write the workbook (an existing file is replaced). Default: {DEFAULT_FILE_NAME}, "
                   "or bordereau-NUMERO.xlsx with --adherent.")
@click.option("--adherent", "numero", metavar="NUMERO", callback=_check_numero,
              help="Pre-fill the workbook with this company's current data and accounts, as a "
                   "« Mise à jour » (never a password or a secret answer).")
def template_command(output: Path | None, numero: str | None) -> None:
    """Write the blank workbook, current template version, that companies fill and send.

    The same version of provisioner always writes the same bytes, so the
    committed templates/bordereau-teleservices.xlsx can be compared with it.

    With --adherent, the workbook is pre-filled from the account store: the
    company's details, its delegate, every account (disabled ones too) and
    the télédéclaration categories, so the company edits what it has. No
    password, secret question or answer is written: blank cells keep what an
    account has. Sent back unchanged, with the current administrator password
    typed in, it changes nothing. An unknown member number exits with 1.

    \b
    Example:
        provisioner template -o templates/bordereau-teleservices.xlsx
        provisioner template --adherent 123456 -o bordereau-123456.xlsx
    """
    if numero is not None:
        _write_prefilled(numero, output or Path(f"bordereau-{numero}.xlsx"))
        return
    output = output or Path(DEFAULT_FILE_NAME)
    try:
        written = write_template(output)
    except OSError as exc:
        raise _cannot_write(output, exc) from None
    click.echo(f"Template {layout.TEMPLATE_VERSION} written to {written}")


def _write_prefilled(numero: str, output: Path) -> None:
    from provisioner.service.agence.prefill import UnknownAdherent, write_prefilled

    with open_or_exit() as ctx:
        try:
            done = write_prefilled(ctx, numero, output)
        except UnknownAdherent as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise _cannot_write(output, exc) from None
    click.echo(f"Template {layout.TEMPLATE_VERSION} pre-filled for adherent {numero} written to {done.path}: "
               f"{done.accounts} account(s), {done.disabled} disabled")
    if done.status != AdherentStatus.ACTIVE:
        click.echo(f"Warning: the subscription of adherent {numero} is not validated yet; a « Mise à jour » "
                   "will be refused until the Agence Virtuelle validates it.", err=True)


def _cannot_write(output: Path, exc: OSError) -> click.BadParameter:
    return click.BadParameter(f"cannot write {output}: {exc.strerror or exc}", param_hint="'-o' / '--output'")
