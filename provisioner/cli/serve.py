"""`provisioner serve`: the scheduled service on the inbox."""

from __future__ import annotations

from contextlib import ExitStack

import click

from provisioner.cli.app import cli, settings_or_exit


@cli.command("serve")
@click.option("--once", is_flag=True, help="One round (files stable for 2 seconds), then exit: for scripts and tests.")
def serve(once: bool) -> None:
    """Run the service: every poll interval, take the finished files of the inbox, process them,
    write the outbox, send the queued emails; until SIGINT or SIGTERM.

    Folders and interval come from the settings (PROVISIONER_INBOX,
    PROVISIONER_OUTBOX, PROVISIONER_ARCHIVE, PROVISIONER_POLL_SECONDS, ...);
    missing folders are created. A `.zip` of workbooks is processed workbook
    by workbook, with a summary in outbox/lot-<id>/. Stopping finishes the
    file in hand first; a file left by a crash is taken up again at the next
    start. A database that does not answer is waited for (at start too), a
    failing outbox or disk is retried: `provisioner status` says what fails.
    The web back office runs beside it (PROVISIONER_WEB_HOST,
    PROVISIONER_WEB_PORT: http://127.0.0.1:8000/connexion by default;
    PROVISIONER_WEB_ENABLED=0 turns it off), and so does the companies'
    portal, on its own listener (PROVISIONER_PORTAL_HOST,
    PROVISIONER_PORTAL_PORT: http://127.0.0.1:8001/; PROVISIONER_PORTAL_ENABLED=0).

    \b
    Example:
        PROVISIONER_INBOX=/srv/cimr/inbox provisioner serve
    """
    from provisioner.portal.server import portal_beside
    from provisioner.service.agence.dashboard_page import write_dashboard
    from provisioner.service.intake.probes import open_when_reachable
    from provisioner.service.intake.rounds import Service
    from provisioner.store.db import StoreUnavailable
    from provisioner.web.server import WebUnavailable, running_beside

    try:
        ctx = open_when_reachable(settings_or_exit(), wait=not once)
    except StoreUnavailable as exc:
        raise click.UsageError(f"database: {exc}") from None
    except KeyboardInterrupt:  # stopped while waiting for the database: nothing was in hand
        return
    with ctx, Service(ctx, after_poll=write_dashboard) as service:
        if once:
            service.run_once()
            return
        try:
            with ExitStack() as listeners:  # the back office and the portal, stopped when the scheduler stops
                if ctx.settings.web_enabled:
                    listeners.enter_context(running_beside(ctx))
                if ctx.settings.portal_enabled:
                    listeners.enter_context(portal_beside(ctx, wake=service.wake))
                service.run()
        except WebUnavailable as error:
            raise click.ClickException(f"{error} (PROVISIONER_WEB_ENABLED=0 or PROVISIONER_PORTAL_ENABLED=0 "
                                       "runs without it)") from None
