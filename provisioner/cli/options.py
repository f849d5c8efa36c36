"""What the operators' commands share: the service context with their mistakes as one-line errors, and the
member-number argument and `--json` option."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from provisioner.cli.app import open_or_exit

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext

F = TypeVar("F", bound=Callable[..., object])  # a decorated command keeps its type

NUMERO = re.compile(r"[0-9]{4,10}")


@contextmanager
def agence() -> Iterator[ServiceContext]:
    """The service context; an operator's mistake (unknown number…) becomes a one-line error, exit 1."""
    from provisioner.service.agence.operator_commands import AgenceError

    with open_or_exit() as ctx:
        try:
            yield ctx
        except AgenceError as error:
            raise click.ClickException(str(error)) from None


def check_numero(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not NUMERO.fullmatch(value):
        raise click.BadParameter("a member number is 4 to 10 digits, e.g. 123456")
    return value


def numero_argument() -> Callable[[F], F]:
    return click.argument("numero", callback=check_numero)


def json_option() -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts) instead of a table.")
