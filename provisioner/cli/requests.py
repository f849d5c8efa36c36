"""`provisioner requests …`: the changes waiting for a signed letter, listed, approved or rejected. Thin:
each command calls one use case of the service layer and prints what it returns (`cli.output`); an unknown
request is a one-line error (exit 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from provisioner.cli.app import cli
from provisioner.cli.options import agence, json_option
from provisioner.cli.output import echo_json, print_table, say
from provisioner.domain.vocabulary import ChangeAction, RequestKind, RequestStatus
from provisioner.wording import cli_lists as lists
from provisioner.wording import cli_requests as text
from provisioner.wording import results
from provisioner.wording.labels import REQUEST_KIND_SHORT, REQUEST_STATUS, SKIP_REASON, label

if TYPE_CHECKING:  # the service is imported when a command runs, not when the CLI starts
    from provisioner.service.agence.request_summary import PublicPayload


@cli.group("requests")
def requests_group() -> None:
    """Changes waiting for a signed letter: list them, approve or reject them.

    \b
    Example:
        provisioner requests list
    """


@requests_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Every request, decided ones too (default: waiting).")
@json_option()
def requests_list(show_all: bool, as_json: bool) -> None:
    """List the requests waiting for the Agence Virtuelle's decision.

    \b
    Example:
        provisioner requests list --all --json
    """
    from provisioner.service.read_models.requests import list_requests

    with agence() as ctx:
        found = list_requests(ctx, None if show_all else RequestStatus.WAITING)
    if as_json:
        echo_json(found)
        return
    print_table("Demandes", ("N°", "Adhérent", "Type", "Statut", "Reçue le", "Détail"),
                ((r["id"], r["numero"], label(REQUEST_KIND_SHORT, r["kind"]),
                  label(REQUEST_STATUS, r["status"]), r["created_at"], _detail(r["kind"], r["payload"]))
                 for r in found), empty=lists.NO_REQUEST_WAITING if not show_all else lists.NO_REQUEST)


def _detail(kind: str, payload: PublicPayload) -> str:
    """A request's payload in a line: a held plan's accounts, or each field's change (JSON as stored)."""
    changes = payload.get("changes")
    if kind == RequestKind.MASS_DISABLE:
        from provisioner.service.agence.request_summary import request_summary

        disabled = [c for c in changes if isinstance(c, dict)] if isinstance(changes, list) else []
        logins = ", ".join(str(c["login"]) for c in disabled if c.get("action") == ChangeAction.DISABLE)
        return text.accounts(request_summary(kind, payload), logins)
    before = payload.get("before")
    before = before if isinstance(before, dict) else {}
    fields = changes if isinstance(changes, dict) else {}
    return "; ".join(f"{k} : {before.get(k) or '∅'} → {v}" for k, v in fields.items())


@requests_group.command("approve")
@click.argument("request_id", metavar="ID", type=click.IntRange(min=1))
def requests_approve(request_id: int) -> None:
    """Approve a waiting request and apply it; the delegate is told by email.

    A held workbook (mass deactivation) is applied change by change against
    the accounts of today: a login gone or taken since is skipped and listed.

    \b
    Example:
        provisioner requests approve 12
    """
    from provisioner.service.agence import decisions

    with agence() as ctx:
        decision = decisions.approve_request(ctx, request_id)
    heading = text.decided(request_id, label(REQUEST_KIND_SHORT, decision.kind), decision.numero,
                           REQUEST_STATUS[RequestStatus.APPROVED])
    say(f"{heading} : {results.request_approved(len(decision.applied), len(decision.skipped))}")
    for skipped in decision.skipped:
        say(text.skipped(skipped["teleservice"], skipped["login"], label(SKIP_REASON, skipped["reason"])))
    say(results.notified(decision.notified))


@requests_group.command("reject")
@click.argument("request_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--reason", help="Why, in French: quoted in the email to the delegate.")
def requests_reject(request_id: int, reason: str | None) -> None:
    """Reject a waiting request: nothing of it is applied; the delegate is told by email.

    \b
    Example:
        provisioner requests reject 12 --reason "Lettre non signée"
    """
    from provisioner.service.agence import decisions

    with agence() as ctx:
        decision = decisions.reject_request(ctx, request_id, reason=reason)
    heading = text.decided(request_id, label(REQUEST_KIND_SHORT, decision.kind), decision.numero,
                           REQUEST_STATUS[RequestStatus.REJECTED])
    say(f"{heading} : {text.NOTHING_APPLIED}")
    say(results.notified(decision.notified))
