"""`provisioner dashboard`: rebuild outbox/index.html once."""

from __future__ import annotations

import click

from provisioner.cli.app import cli, open_or_exit


@cli.command("dashboard")
def dashboard_command() -> None:
    """Rebuild the Agence Virtuelle's dashboard, outbox/index.html, now.

    One static page, opened from the outbox folder in any browser: the
    subscriptions waiting for validation (those past 48 hours stand out),
    the requests waiting for approval, the locked companies, the emails
    waiting or failed, the most frequent errors of the last 7 days and the
    last 100 submissions with their reports. `provisioner serve` rebuilds
    it after each poll; this command is for when the service is not running.

    \b
    Example:
        provisioner dashboard && xdg-open outbox/index.html
    """
    from provisioner.service.agence.dashboard_page import dashboard_path, write_dashboard

    with open_or_exit() as ctx:
        try:
            write_dashboard(ctx)
        except OSError as exc:
            raise click.ClickException(f"cannot write {dashboard_path(ctx.outbox)}: {exc.strerror or exc}") from None
        click.echo(f"Dashboard written to {dashboard_path(ctx.outbox)}")
