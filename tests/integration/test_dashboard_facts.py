"""The dashboard's read model: capped lists that keep their full counts, the same facts for the static page
and the web's `/`, and a live page that looks at no file (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from provisioner.reports.dashboard import build_view
from provisioner.service.agence.dashboard_page import render_dashboard
from provisioner.service.context import ServiceContext
from provisioner.service.read_models.dashboard import collect
from provisioner.store import tables
from provisioner.store.submissions import Submissions
from tests.integration.test_store import add_adherent


def fill(ctx: ServiceContext) -> None:
    """Three subscriptions waiting (two past 48 hours), three requests, two locked companies, two
    submissions of the last day (one rejected) and one older."""
    now = ctx.clock()
    with ctx.engine.begin() as conn:
        for n, hours in enumerate((50, 60, 2)):
            company = add_adherent(conn, f"10000{n}")
            conn.execute(sa.update(tables.adherents).where(tables.adherents.c.id == company)
                         .values(status="pending", created_at=now - timedelta(hours=hours)))
            conn.execute(sa.insert(tables.requests).values(
                adherent_id=company, kind="delegue_change", payload={"changes": {"email": f"n{n}@exemple.ma"}},
                status="waiting", created_at=now))
        for n in (3, 4):
            company = add_adherent(conn, f"10000{n}")
            conn.execute(sa.update(tables.adherents).where(tables.adherents.c.id == company)
                         .values(status="active", failed_auth=5, locked_until=now + timedelta(minutes=30)))
        for n, (status, hours) in enumerate((("accepted", 1), ("rejected", 2), ("accepted", 30))):
            errors = [{"code": "REQUIRED", "message": "…"}] if status == "rejected" else []
            Submissions(conn).add(id=f"S{n:08d}", sha256=f"{n:064x}", file_name=f"b{n}.xlsx",
                                  received_at=now - timedelta(hours=hours), finished_at=now, status=status,
                                  adherent_numero="100000", report={"schema": 1, "errors": errors, "warnings": []})


@pytest.fixture
def filled(ctx: ServiceContext) -> ServiceContext:
    fill(ctx)
    return ctx


def test_lists_are_cut_to_the_rows_asked_and_keep_their_counts(filled: ServiceContext) -> None:
    facts = collect(filled, filled.clock(), rows=2, recent=1, mails=0)
    assert [s["numero"] for s in facts.subscriptions.rows] == ["100001", "100000"]  # oldest first
    assert (facts.subscriptions.total, facts.overdue, facts.subscriptions.cut) == (3, 2, True)
    assert (len(facts.requests.rows), facts.requests.total) == (2, 3)
    assert (len(facts.locked.rows), facts.locked.total, facts.locked.cut) == (2, 2, False)
    assert facts.received == {"accepted": 1, "rejected": 1}
    assert [s["id"] for s in facts.recent] == ["S00000000"]
    assert [(c.code, c.files) for c in facts.codes] == [("REQUIRED", 1)]


def test_without_a_cut_every_row_is_read(filled: ServiceContext) -> None:
    facts = collect(filled, filled.clock(), rows=None, recent=100, mails=50)
    assert (len(facts.subscriptions.rows), len(facts.requests.rows), len(facts.recent)) == (3, 3, 3)
    assert not facts.subscriptions.cut and not facts.requests.cut


def test_the_tiles_count_what_the_lists_cut(filled: ServiceContext) -> None:
    now = filled.clock()
    view = build_view(collect(filled, now, rows=1, recent=1, mails=0), None, now, UTC)
    tiles = {t["label"]: (t["value"], t["detail"]) for t in view["tiles"]}
    assert tiles["Abonnements à valider"] == (3, "dont 2 en attente depuis plus de 48 h")
    assert tiles["Demandes à traiter"][0] == 3 and tiles["Entreprises bloquées"][0] == 2
    assert tiles["Envois des dernières 24 h"] == (2, "dont 1 refusé")
    assert view["counts"] == {"subscriptions": 3, "requests": 3, "locked": 2}


def test_the_live_page_looks_at_no_file_and_the_static_page_links_those_there(
        filled: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = filled.outbox / "S00000000"
    folder.mkdir(parents=True)
    (folder / "rapport.html").write_text("<p>rapport</p>", encoding="utf-8")
    now = filled.clock()
    facts = collect(filled, now, rows=None, recent=100, mails=50)
    linked = build_view(facts, filled.outbox, now, UTC)
    assert linked["recent"][0]["links"] == [{"label": "Rapport", "href": "S00000000/rapport.html"}]

    def no_file_check(self: Path, *args: Any, **kwargs: Any) -> bool:
        raise AssertionError(f"the live page looked at {self}")

    monkeypatch.setattr(Path, "is_file", no_file_check)
    live = build_view(facts, None, now, UTC)
    assert all(s["links"] == [] for s in live["recent"]) and all(r["report"] is None for r in live["requests"])


def test_the_static_page_still_lists_every_waiting_subscription(filled: ServiceContext) -> None:
    page = render_dashboard(filled)
    assert all(numero in page for numero in ("100000", "100001", "100002"))
