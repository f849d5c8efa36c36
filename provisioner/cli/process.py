"""`provisioner process FILE...`: the service's own pipeline on the named files, now."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner.cli.app import cli, open_or_exit
from provisioner.domain.vocabulary import SubmissionStatus
from provisioner.service.intake.names import display_name

if TYPE_CHECKING:
    from provisioner.service.intake.file_in_hand import Handled

EXIT_REJECTED = 1
EXIT_REPORT_PENDING = 3
EXIT_NOT_PROCESSED = 4

log = logging.getLogger(__name__)


@cli.command("process")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON line per file: its rapport.json, or for a .zip its synthese.json.")
def process(files: tuple[Path, ...], as_json: bool) -> None:
    """Process files now, through the same pipeline as `serve`; the files stay where they are.

    Each file is handled as if dropped in the inbox: a workbook is checked and
    applied, its secret-free copy archived (an unreadable file is set aside in
    the quarantine); a .zip of workbooks is a batch (one report per workbook,
    a summary in outbox/lot-<id>/); a saved mail (.eml) is treated as the
    IMAP door treats it: each workbook attached processed, one reply queued
    to its sender (none to an automatic mail). Then the outputs still owed are written,
    the queued emails are delivered (SMTP, or .eml files under outbox/mail/
    without PROVISIONER_SMTP_HOST; a temporary failure is retried with backoff
    by the next run or by `serve`), and outbox/index.html is rebuilt.

    \b
    Exit codes:
      0  every file accepted or a duplicate
      1  any file rejected (or a batch refused, or a workbook of a batch rejected)
      2  usage or configuration error (database unreachable at start, say)
      3  the workbooks were judged and applied, but a report could not be
         written yet (outbox read-only or full): the service writes it once
         it can, without resubmission
      4  a file could not be processed to the end because a part of the
         service failed (database, disk): run it again once the part is
         back (nothing is ever applied twice)

    \b
    Example:
        provisioner process bordereau-123456.xlsx lot-fiduciaire.zip
        provisioner process courriel-transfere.eml
    """
    from provisioner.service.agence.dashboard_page import write_dashboard
    from provisioner.service.intake.rounds import Service

    codes = []
    with open_or_exit() as ctx, Service(ctx, show_progress=False, record_health=False) as service:
        for path in files:
            try:
                handled = service.process_now([path])[0]
            except OSError as error:  # the named file itself cannot be read
                click.echo(f"{display_name(path.name)}: cannot read: {error.strerror}", err=True)
                codes.append(EXIT_NOT_PROCESSED)
                continue
            codes.append(_exit_code(handled))
            _say(path, handled, as_json)
        service.finish_owed()
        sent = service.send_mail()
        if sent:
            click.echo(f"{sent} email(s) delivered", err=True)
        try:
            write_dashboard(ctx)
        except Exception as error:  # the reports are written; the page waits for the next run
            log.warning("dashboard not rebuilt: %s", type(error).__name__)
    worst = next((code for code in (EXIT_NOT_PROCESSED, EXIT_REJECTED, EXIT_REPORT_PENDING) if code in codes), 0)
    if worst:
        raise SystemExit(worst)


def _exit_code(handled: Handled) -> int:
    if handled.status in ("waiting", "error", "stopped"):
        return EXIT_NOT_PROCESSED
    if handled.mail is not None:  # a saved mail: 0 only when it held workbooks, none rejected
        statuses = {item["status"] for item in handled.mail.items}
        return 0 if statuses and statuses <= {"accepted", "duplicate", "held"} else EXIT_REJECTED
    if handled.batch is not None:
        refused = handled.batch.refused is not None
        if refused or any(line["status"] in (SubmissionStatus.REJECTED, "error") for line in handled.batch.lines):
            return EXIT_REJECTED
        return 0
    if handled.outcome is None or handled.outcome.status == SubmissionStatus.REJECTED:
        return EXIT_REJECTED
    return EXIT_REPORT_PENDING if handled.outcome.pending is not None else 0


def _say(path: Path, handled: Handled, as_json: bool) -> None:
    name = display_name(path.name)
    if handled.fault is not None or handled.status in ("error", "stopped"):
        cause = f"{handled.fault.part} failing ({handled.fault.detail})" if handled.fault else "internal error"
        click.echo(f"{name}: not processed to the end: {cause}; run it again once it is back "
                   "(nothing is applied twice)", err=True)
        return
    if handled.batch is not None:
        _say_batch(name, handled, as_json)
        return
    if handled.mail is not None:
        _say_mail(name, handled, as_json)
        return
    outcome = handled.outcome
    if outcome is None:
        click.echo(f"{name}: internal error, the file was set aside in the quarantine (see the log)", err=True)
        return
    if as_json:
        click.echo(json.dumps(outcome.report, ensure_ascii=False))
        return
    report = outcome.report
    line = f"{name}: {outcome.status} ({len(report['errors'])} error(s), {len(report['warnings'])} warning(s))"
    if outcome.pending is not None:
        line += (f"; applied, its report is pending ({outcome.pending.part} failing): the service writes it "
                 f"to {outcome.folder} as soon as it can")
    else:
        line += f" → {outcome.folder}"
    click.echo(line)


def _say_batch(name: str, handled: Handled, as_json: bool) -> None:
    from provisioner.service.intake import batch_summary

    result = handled.batch
    assert result is not None
    data = batch_summary.summary(result, name, "")
    if as_json:  # no time of receipt: the files were named, now
        click.echo(json.dumps({k: v for k, v in data.items() if k != "received_at"}, ensure_ascii=False))
        return
    if result.refused is not None:
        click.echo(f"{name}: batch refused ({result.refused.code}) → outbox/lot-{result.batch_id}")
        return
    totals = ", ".join(f"{count} {status}" for status, count in data["totals"].items() if status != "workbooks")
    click.echo(f"{name}: batch of {data['totals']['workbooks']} workbook(s): {totals} "
               f"→ outbox/lot-{result.batch_id}")
    for line in data["workbooks"]:
        click.echo(f"  {display_name(line['file'])}: {line['status']}"
                   + (f" → outbox/{line['submission_id']}" if line["submission_id"] else ""))



def _say_mail(name: str, handled: Handled, as_json: bool) -> None:
    mail = handled.mail
    assert mail is not None
    if as_json:
        click.echo(json.dumps({"mail": str(mail.state), "reply_to": mail.reply_to, "workbooks": mail.items},
                              ensure_ascii=False))
        return
    reply = f"reply queued to {mail.reply_to}" if mail.reply_to else "no reply (automatic mail)"
    click.echo(f"{name}: mail {mail.state}, {len(mail.items)} workbook(s); {reply}")
    for item in mail.items:
        click.echo(f"  {display_name(item['file'])}: {item['status']}"
                   + (f" → outbox/{item['submission_id']}" if item["submission_id"] else ""))
