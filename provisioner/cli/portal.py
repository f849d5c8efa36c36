"""`provisioner portal`: the companies' portal alone (no inbox polling)."""

from __future__ import annotations

import click

from provisioner.cli.app import cli, open_or_exit


@cli.command("portal")
def portal_command() -> None:
    """Run the companies' portal alone (no inbox polling): for a second process or machine.

    `provisioner serve` already serves it beside the scheduler and the back
    office. Address from PROVISIONER_PORTAL_HOST and PROVISIONER_PORTAL_PORT
    (127.0.0.1:8001). The workbooks it receives go to the shared drop folder,
    where a running `serve` takes them; stops on SIGINT or SIGTERM.

    \b
    Example:
        PROVISIONER_PORTAL_PORT=8081 provisioner portal
    """
    from provisioner.portal.server import portal_beside
    from provisioner.web.server import WebUnavailable, run_alone

    with open_or_exit() as ctx:
        try:
            run_alone(ctx, portal_beside)
        except WebUnavailable as error:
            raise click.ClickException(str(error)) from None
