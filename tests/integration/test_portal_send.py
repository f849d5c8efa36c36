"""`POST /envoyer` → the shared intake → the real pipeline (a real `Service` round) → `GET /suivi/{jeton}`.

The page shows the file waiting, then its outcome: the report, what changed,
the annotated copy of a rejection, a zip's members. What an unauthenticated
workbook may not learn (LOGIN_TAKEN, USER_NOT_FOUND) never shows, canaries in
every secret cell appear in no page or file, and a failing store or drop
folder is a French 503 with nothing deposited and no jeton left.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from provisioner.service.agence import subscriptions
from provisioner.service.context import ServiceContext
from provisioner.service.intake import drop as intake
from provisioner.service.intake.rounds import Service
from provisioner.store.db import make_engine
from provisioner.store.tables import portal_tokens
from tests.factory import ADMIN_PASSWORD, QA, adherent, delegue, make_workbook, user
from tests.portal_support import (
    XLSX,
    assert_no_secret,
    client_for,
    faulty_workbook,
    portal_ctx,
    post_file,
    sqlite_store,
    unzipped_text,
)

SUIVI = re.compile(r"^/suivi/([A-Za-z0-9_-]{43})$")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    context = portal_ctx(tmp_path, sqlite_store(tmp_path))
    yield context
    context.close()


@pytest.fixture
def service(ctx: ServiceContext) -> Iterator[Service]:
    with Service(ctx, show_progress=False, record_health=False) as running:
        yield running


def send(client: TestClient, path: Path) -> str:
    response = post_file(client, "/envoyer", path)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert SUIVI.match(location), location
    return str(location)


def page(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store" and response.headers["x-robots-tag"] == "noindex, nofollow"
    return html.unescape(response.text)


def test_a_faulty_workbook_is_waiting_then_rejected_with_its_findings_and_annotated_copy(
        ctx: ServiceContext, service: Service, tmp_path: Path, typed: dict[str, str]) -> None:
    client = client_for(ctx)
    suivi = send(client, faulty_workbook(tmp_path / "bordereau.xlsx", typed))
    waiting = page(client, suivi)
    assert "En attente de traitement" in waiting and 'http-equiv="refresh"' in waiting
    assert len(list(intake.drop_folder(ctx.settings).iterdir())) == 2  # the file and its sidecar
    assert list((ctx.settings.var_dir / "portal").iterdir()) == []  # the upload itself is gone

    assert service.poll_once() == 1
    done = page(client, suivi)
    assert "Refusé" in done and "http-equiv" not in done
    assert "INVALID_FORMAT" in done and "pas-une-adresse" in done and ">J2<" in done
    assert_no_secret(done, typed)
    copy = client.get(f"{suivi}/classeur-annote.xlsx")
    assert copy.status_code == 200 and copy.headers["content-type"] == XLSX
    text = unzipped_text(copy.content)
    assert "Anomalies" in text
    assert_no_secret(text, typed)
    with ctx.engine.connect() as conn:
        [stored] = conn.execute(select(portal_tokens.c.token_hash)).scalars()
    assert SUIVI.match(suivi).group(1) not in stored  # type: ignore[union-attr]  # only its hash


def test_an_accepted_workbook_shows_what_changed(ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    client = client_for(ctx)
    suivi = send(client, make_workbook(tmp_path / "abonnement.xlsx"))
    service.poll_once()
    done = page(client, suivi)
    assert "Accepté" in done and "hind.td" in done and "Télédéclaration" in done
    assert "Abonnement enregistré" in done  # the company's own change
    assert client.get(f"{suivi}/classeur-annote.xlsx").status_code == 404


def test_an_unauthenticated_workbook_learns_nothing_of_the_store(
        ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    subscribe = make_workbook(tmp_path / "abonnement.xlsx")
    client = client_for(ctx)
    send(client, subscribe)
    service.poll_once()
    subscriptions.activate(ctx, "123456")
    probe = make_workbook(tmp_path / "maj.xlsx", adherent_values=adherent(type_demande="Mise à jour"),
                          delegue_values={"password": "Mauvais123"}, categories=[],
                          users={"td_interne": [user("hind.td", action="Créer", **QA)],
                                 "sanctions": [user("personne", "sanctions", action="Modifier")]})
    suivi = send(client, probe)
    service.poll_once()
    done = page(client, suivi)
    assert "AUTH_FAILED" in done
    for code in ("LOGIN_TAKEN", "USER_NOT_FOUND"):
        assert code not in done
    assert ADMIN_PASSWORD not in done


def test_a_duplicate_is_shown_as_such_not_waiting_for_ever(ctx: ServiceContext, service: Service,
                                                           tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "abonnement.xlsx")
    client = client_for(ctx)
    send(client, path)
    service.poll_once()
    again = send(client, path)  # the clerk sends the same file a second time
    service.poll_once()
    done = page(client, again)
    assert "En attente" not in done and "http-equiv" not in done  # (before: waiting, reloading for ever)
    assert "Ce fichier avait déjà été reçu" in done and "DUPLICATE" in done


def test_a_file_set_aside_in_quarantine_is_shown_refused_with_its_finding(ctx: ServiceContext, service: Service,
                                                                          tmp_path: Path) -> None:
    odd = tmp_path / "paie.xlsx"
    odd.write_bytes(b"nom;mot de passe\nali;secret\n")  # a CSV renamed: nothing the service can read
    client = client_for(ctx)
    suivi = send(client, odd)
    service.poll_once()
    done = page(client, suivi)
    assert "Refusé" in done and "FILE_TYPE" in done and "http-equiv" not in done
    # A file that could not be read has no cell to mark: no annotated copy is offered (issue 21), and the
    # page says what to do instead; nothing of its bytes is shown.
    assert "classeur-annote.xlsx" not in done and "secret" not in done
    assert client.get(f"{suivi}/classeur-annote.xlsx").status_code == 404
    assert len(list(ctx.settings.quarantine.iterdir())) >= 1


def test_a_zip_shows_each_member_and_the_batch(ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    bundle = tmp_path / "lot.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.write(make_workbook(tmp_path / "a.xlsx"), "societe-a.xlsx")
        archive.write(make_workbook(tmp_path / "b.xlsx", adherent_values=adherent(numero="654321"),
                                    users={"td_interne": [user("autre.td")]},
                                    categories=[{"login": "autre.td", "D": "X"}],
                                    delegue_values=delegue(email="pas-une-adresse")), "societe-b.xlsx")
    client = client_for(ctx)
    suivi = send(client, bundle)
    service.poll_once()
    done = page(client, suivi)
    assert "Lot de 2 bordereaux" in done and "societe-a.xlsx" in done and "societe-b.xlsx" in done
    assert "Accepté" in done and "Refusé" in done
    links = re.findall(r'href="(/suivi/[^"]+/classeur-annote\.xlsx\?soumission=[^"]+)"', done)
    assert len(links) == 1 and client.get(links[0]).status_code == 200


def test_an_unknown_or_expired_jeton_is_a_french_404(ctx: ServiceContext, tmp_path: Path) -> None:
    client = client_for(ctx)
    assert client.get("/suivi/" + "A" * 43).status_code == 404
    suivi = send(client, make_workbook(tmp_path / "a.xlsx"))
    ctx.clock.now += timedelta(days=31)  # type: ignore[attr-defined]
    assert client.get(suivi).status_code == 404


def test_a_drop_folder_that_fails_is_a_503_with_no_jeton_left(ctx: ServiceContext, tmp_path: Path) -> None:
    (ctx.settings.var_dir / "work").write_text("a file where the work folder should be")
    response = post_file(client_for(ctx), "/envoyer", make_workbook(tmp_path / "a.xlsx"))
    assert response.status_code == 503 and "indisponible" in response.text
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(portal_tokens)).scalar() == 0


def test_with_the_database_down_nothing_is_deposited_and_jeton_pages_say_so(tmp_path: Path) -> None:
    context = portal_ctx(tmp_path, make_engine(f"sqlite:///{(tmp_path / 'absent' / 'x.db').as_posix()}"))
    client = client_for(context)
    response = post_file(client, "/envoyer", make_workbook(tmp_path / "a.xlsx"))
    assert response.status_code == 503 and "momentanément indisponible" in html.unescape(response.text)
    jeton = "A" * 43
    for url in (f"/suivi/{jeton}", f"/suivi/{jeton}/classeur-annote.xlsx",
                f"/verification/{jeton}/classeur-annote.xlsx"):
        shown = client.get(url)
        assert shown.status_code == 503 and "momentanément indisponible" in html.unescape(shown.text), url
    drop = tmp_path / "var" / "work" / intake.DROP_DIR
    assert not drop.exists() or list(drop.iterdir()) == []


def test_a_sent_file_wakes_the_scheduler(tmp_path: Path, ctx: ServiceContext) -> None:
    from provisioner.portal.app import create_portal_app

    woken: list[bool] = []
    client = TestClient(create_portal_app(ctx, wake=lambda: woken.append(True)))
    send(client, make_workbook(tmp_path / "a.xlsx"))
    assert woken == [True]


def test_the_administrator_password_lockout_counts_portal_sends(
        ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    client = client_for(ctx)
    send(client, make_workbook(tmp_path / "abonnement.xlsx"))
    service.poll_once()
    subscriptions.activate(ctx, "123456")
    outcomes = []
    for attempt in range(ctx.settings.lock_after + 1):  # other bytes each time: never a duplicate
        guess = make_workbook(tmp_path / f"essai-{attempt}.xlsx", categories=[],
                              adherent_values=adherent(type_demande="Mise à jour"),
                              delegue_values={"password": f"Essai{attempt:04d}"})
        suivi = send(client, guess)
        service.poll_once()
        outcomes.append(page(client, suivi))
    assert all("AUTH_FAILED" in text for text in outcomes[:-1])
    assert "ACCOUNT_LOCKED" in outcomes[-1]
