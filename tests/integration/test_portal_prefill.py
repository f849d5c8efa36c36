"""`POST /classeur-prerempli`: emailed to the delegate on record, never shown; one answer for every number.

A real company goes through the real pipeline (Abonnement, validation); its
pre-filled workbook is queued with the email and sent by the real dispatcher
as a `.eml`, whose attachment is read back. Canaries typed as the company's
passwords and answers appear in no page, attachment or email.
"""

from __future__ import annotations

import email
import email.policy
import html
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from provisioner.mail.dispatch import send_due
from provisioner.mail.eml_transport import EmlTransport
from provisioner.service.agence import subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import mail_queue
from tests.factory import QA, delegue, make_workbook, user
from tests.portal_support import (
    assert_no_secret,
    client_for,
    portal_ctx,
    sqlite_store,
    token,
    unzipped_text,
)

NUMERO = "123456"


@pytest.fixture
def ctx(tmp_path: Path, typed: dict[str, str]) -> ServiceContext:
    context = portal_ctx(tmp_path, sqlite_store(tmp_path))
    book = make_workbook(tmp_path / "abonnement.xlsx",
                         delegue_values=delegue(password=typed["admin"], password_confirm=typed["admin"]),
                         users={"td_interne": [user("hind.td", password=typed["user"], password_confirm=typed["user"],
                                                    **{**QA, "answer1": typed["answer"]})]})
    assert process_file(context, book).status == "accepted"
    subscriptions.activate(context, NUMERO)
    return context


def ask(client: TestClient, numero: str) -> tuple[int, str]:
    response = client.post("/classeur-prerempli", data={"adherent": numero, "csrf_token": token(client)})
    return response.status_code, html.unescape(response.text)


def prefilled_mails(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r.message_id for r in conn.execute(select(mail_queue).where(mail_queue.c.kind == "prefilled_workbook"))]


def test_the_delegate_on_record_gets_the_prefilled_workbook_by_email_never_the_page(
        ctx: ServiceContext, tmp_path: Path, typed: dict[str, str]) -> None:
    client = client_for(ctx)
    status, page = ask(client, NUMERO)
    assert status == 200 and "par email" in page and "hind.td" not in page
    assert_no_secret(page, typed)
    assert len(prefilled_mails(ctx.engine)) == 1
    send_due(ctx.engine, EmlTransport(ctx.outbox), now=ctx.clock(), give_up_after=timedelta(hours=48))
    [eml] = list((ctx.outbox / "mail").glob("*prefilled_workbook*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "hind.berrada@albaraka.ma"  # the delegate on record, never an address typed here
    assert "bordereau pré-rempli" in str(message["Subject"])
    [attachment] = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == f"bordereau-{NUMERO}.xlsx"
    workbook = unzipped_text(attachment.get_content())
    assert "hind.td" in workbook and "Mise à jour" in workbook
    assert_no_secret(workbook, typed)
    assert_no_secret(eml.read_bytes().decode("utf-8", "replace"), typed)


def test_the_same_page_whether_the_number_exists_or_not(ctx: ServiceContext) -> None:
    client = client_for(ctx)
    pages = {numero: ask(client, numero) for numero in (NUMERO, "999999")}
    known, unknown = pages[NUMERO], pages["999999"]
    assert known[0] == unknown[0] == 200
    assert known[1].replace(NUMERO, "N") == unknown[1].replace("999999", "N")
    assert len(prefilled_mails(ctx.engine)) == 1  # the real one only


def test_a_pending_company_gets_nothing_and_the_same_page(tmp_path: Path) -> None:
    context = portal_ctx(tmp_path, sqlite_store(tmp_path))
    assert process_file(context, make_workbook(tmp_path / "abonnement.xlsx")).status == "accepted"  # not validated
    status, page = ask(client_for(context), NUMERO)
    assert status == 200 and "Demande enregistrée" in page
    assert prefilled_mails(context.engine) == []


def test_a_few_a_day_per_company_whatever_the_address(ctx: ServiceContext) -> None:
    client = client_for(ctx)
    assert [ask(client, NUMERO)[0] for _ in range(3)] == [200, 200, 200]
    status, page = ask(client, NUMERO)
    assert status == 429 and "au plus 3 fois par jour" in page
    assert len(prefilled_mails(ctx.engine)) == 3
    assert ask(client, "654321")[0] == 200  # another number has its own count


def test_refusals_send_nothing(ctx: ServiceContext) -> None:
    client = client_for(ctx)
    forged = client.post("/classeur-prerempli", data={"adherent": NUMERO, "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert ask(client, "12ab")[0] == 400
    huge = client.post("/classeur-prerempli", data={"adherent": NUMERO, "csrf_token": token(client), "x": "y" * 5000})
    assert huge.status_code == 400
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(mail_queue)
                            .where(mail_queue.c.kind == "prefilled_workbook")).scalar() == 0


def test_with_the_database_down_a_503_and_nothing_queued(tmp_path: Path) -> None:
    from provisioner.store.db import make_engine

    context = portal_ctx(tmp_path, make_engine(f"sqlite:///{(tmp_path / 'absent' / 'x.db').as_posix()}"))
    status, page = ask(client_for(context), NUMERO)
    assert status == 503 and "momentanément indisponible" in page
    assert not (tmp_path / "outbox" / "prerempli").exists()
