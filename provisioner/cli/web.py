"""`provisioner web` (the back office alone) and `provisioner operators …` (the back office's people)."""

from __future__ import annotations

import sys

import click

from provisioner.cli.app import cli, open_or_exit
from provisioner.cli.options import agence, json_option
from provisioner.cli.output import echo_json, print_table, say
from provisioner.wording import cli_lists as lists
from provisioner.wording import results

ROLES = ("lecture", "validation", "admin")


@cli.command("web")
def web_command() -> None:
    """Run the web back office alone (no inbox polling): for a second process or machine.

    `provisioner serve` already serves it beside the scheduler. Address from
    PROVISIONER_WEB_HOST and PROVISIONER_WEB_PORT (127.0.0.1:8000); stops on
    SIGINT or SIGTERM.

    \b
    Example:
        PROVISIONER_WEB_PORT=8080 provisioner web
    """
    from provisioner.web.server import WebUnavailable, run_alone

    with open_or_exit() as ctx:
        try:
            run_alone(ctx)
        except WebUnavailable as error:
            raise click.ClickException(str(error)) from None


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Mot de passe", hide_input=True, confirmation_prompt="Confirmation")
    return value


@cli.group("operators")
def operators_group() -> None:
    """The back office's people: add, list, disable, enable, role, new password.

    Roles: lecture (sees everything), validation (also acts: validate,
    approve or refuse, unlock, reset an administrator password), admin (also
    manages operators).

    \b
    Example:
        provisioner operators add amina --role admin
    """


@operators_group.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the operator may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "instead of prompting twice.")
def operators_add(login: str, role: str, password_stdin: bool) -> None:
    """Add an operator (a password of 12 to 128 characters, stored as an argon2id hash).

    \b
    Example:
        provisioner operators add amina --role admin
        printf '%s\\n' "$PASSWORD" | provisioner operators add said --role lecture --password-stdin
    """
    from provisioner.service.agence import operators

    password = _password(password_stdin)
    with agence() as ctx:
        added = operators.add_operator(ctx, login, role, password)
    say(f"{results.operator_added(added.login, added.role)}.")


@operators_group.command("list")
@json_option()
def operators_list(as_json: bool) -> None:
    """List operators: login, role, active, failed sign-ins, lock (never a hash).

    \b
    Example:
        provisioner operators list --json
    """
    from provisioner.service.agence import operators

    with agence() as ctx:
        found = operators.list_operators(ctx)
    if as_json:
        echo_json(found)
        return
    print_table("Opérateurs", ("Login", "Rôle", "Actif", "Échecs", "Bloqué", "Créé le", "Dernière connexion"),
                ((o["login"], o["role"], o["active"], o["failed_logins"], o["locked"], o["created_at"],
                  o["last_sign_in_at"]) for o in found), empty=lists.NO_OPERATOR)


@operators_group.command("disable")
@click.argument("login")
def operators_disable(login: str) -> None:
    """Disable an operator: no more sign-in; open sessions end now. Refused (exit 1) for the last active admin.

    \b
    Example:
        provisioner operators disable said
    """
    from provisioner.service.agence import operators

    with agence() as ctx:
        operators.disable_operator(ctx, login)
    say(f"{results.operator_disabled(login)}.")


@operators_group.command("enable")
@click.argument("login")
def operators_enable(login: str) -> None:
    """Enable a disabled operator again, with the role and password they had.

    \b
    Example:
        provisioner operators enable said
    """
    from provisioner.service.agence import operators

    with agence() as ctx:
        operators.enable_operator(ctx, login)
    say(f"{results.operator_enabled(login)}.")


@operators_group.command("role")
@click.argument("login")
@click.argument("role", type=click.Choice(ROLES))
def operators_role(login: str, role: str) -> None:
    """Give an operator another role. Refused (exit 1) when it would leave no active admin.

    \b
    Example:
        provisioner operators role said validation
    """
    from provisioner.service.agence import operators

    with agence() as ctx:
        operators.change_role(ctx, login, role)
    say(f"{results.operator_role(login, role)}.")


@operators_group.command("reset-password")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def operators_reset_password(login: str, password_stdin: bool) -> None:
    """Give an operator a new password (prompted twice); lifts the lock and ends open sessions.

    \b
    Example:
        provisioner operators reset-password said
    """
    from provisioner.service.agence import operators

    password = _password(password_stdin)
    with agence() as ctx:
        operators.reset_operator_password(ctx, login, password)
    say(f"{results.operator_password_changed(login)}.")
