"""The one intake behind every door: a deposited file is taken by exactly one instance, goes through the
pipeline like an inbox file, and its door is recorded with its submission."""

from __future__ import annotations

import stat
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.domain.vocabulary import Door
from provisioner.service.context import ServiceContext
from provisioner.service.intake import drop as intake
from provisioner.service.intake.drop import Origin
from provisioner.service.intake.rounds import Service
from provisioner.service.intake.schedule import run_every
from provisioner.service.unit_of_work import UnitOfWork
from tests.factory import make_workbook


@pytest.fixture
def service(ctx: ServiceContext) -> Iterator[Service]:
    with Service(ctx, show_progress=False, record_health=False) as running:
        yield running


def origins(ctx: ServiceContext, door: Door, reference: str = "") -> list[str]:
    with UnitOfWork(ctx, read_only=True) as uow:
        return uow.submissions.by_origin(door, reference)


def test_a_deposited_workbook_is_processed_and_its_door_recorded(ctx: ServiceContext, service: Service,
                                                                  tmp_path: Path) -> None:
    book = make_workbook(tmp_path / "abonnement.xlsx")
    token = intake.deposit(ctx.settings, book.read_bytes(), "abonnement.xlsx", Origin(Door.PORTAL, "jeton-1"))
    deposited = intake.drop_folder(ctx.settings) / token
    assert stat.S_IMODE(deposited.stat().st_mode) == 0o600  # a workbook holds passwords

    assert service.poll_once() == 1

    ids = origins(ctx, Door.PORTAL, "jeton-1")
    assert len(ids) == 1
    report = (ctx.outbox / ids[0] / "rapport.json").read_text(encoding="utf-8")
    assert '"status": "accepted"' in report and "abonnement.xlsx" in report
    assert list(intake.drop_folder(ctx.settings).iterdir()) == []  # nothing of it left behind
    assert list(service.workspace.folder.glob("C*")) == []


def test_the_same_bytes_deposited_again_are_a_duplicate_recorded_under_their_door(
        ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    data = make_workbook(tmp_path / "a.xlsx").read_bytes()
    intake.deposit(ctx.settings, data, "a.xlsx", Origin(Door.IMAP, "INBOX/7/1"))
    service.poll_once()
    intake.deposit(ctx.settings, data, "a.xlsx", Origin(Door.IMAP, "INBOX/7/2"))
    service.poll_once()

    first, again = origins(ctx, Door.IMAP, "INBOX/7/1"), origins(ctx, Door.IMAP, "INBOX/7/2")
    assert len(first) == 1 and len(again) == 1 and first != again
    assert '"status": "duplicate"' in (ctx.outbox / again[0] / "rapport.json").read_text(encoding="utf-8")


def test_each_member_of_a_deposited_zip_is_recorded_under_the_zip_s_origin(
        ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    lot = tmp_path / "lot.zip"
    with zipfile.ZipFile(lot, "w") as archive:
        archive.write(make_workbook(tmp_path / "a.xlsx"), "a.xlsx")
        archive.write(make_workbook(tmp_path / "b.xlsx", adherent_values={"numero": "9000002"}), "b.xlsx")
    intake.deposit(ctx.settings, lot, "lot.zip", Origin(Door.PORTAL, "jeton-lot"))

    service.poll_once()

    assert len(origins(ctx, Door.PORTAL, "jeton-lot")) == 2


def test_inbox_files_and_process_copies_are_recorded_under_their_own_door(
        ctx: ServiceContext, service: Service, tmp_path: Path) -> None:
    make_workbook(ctx.settings.inbox / "depose.xlsx")
    service.run_once()
    named = make_workbook(tmp_path / "nomme.xlsx", adherent_values={"numero": "9000003"})
    service.process_now([named])

    assert len(origins(ctx, Door.INBOX)) == 1
    assert len(origins(ctx, Door.PROCESS)) == 1


def test_only_one_instance_takes_a_deposit(ctx: ServiceContext, tmp_path: Path) -> None:
    intake.deposit(ctx.settings, make_workbook(tmp_path / "a.xlsx").read_bytes(), "a.xlsx", Origin(Door.PORTAL, "j"))
    with Service(ctx, show_progress=False, record_health=False) as one, \
            Service(ctx, show_progress=False, record_health=False) as other:
        [deposit] = intake.waiting(ctx.settings)
        taken = [one.workspace.claim_drop(ctx, deposit), other.workspace.claim_drop(ctx, deposit)]
        assert sum(t is not None for t in taken) == 1
        claimed = next(t for t in taken if t is not None)
        holder = one if taken[0] is not None else other
        info = holder.workspace.info(claimed)
        assert info.origin == Origin(Door.PORTAL, "j") and info.name == "a.xlsx"
    assert intake.waiting(ctx.settings) == []


def test_a_deposit_that_died_half_way_is_never_taken(ctx: ServiceContext, service: Service) -> None:
    folder = intake.drop_folder(ctx.settings)
    (folder / "D20261207T000000-0123456789abcdef.json").write_text('{"name": "x", "origin": {"door": "portal"}}')
    (folder / ".D20261207T000000-fedcba9876543210.tmp").write_bytes(b"PK half")
    assert intake.waiting(ctx.settings) == []
    assert service.poll_once() == 0


def test_a_wake_runs_the_job_now_rather_than_at_its_interval() -> None:
    runs: list[float] = []
    stopping, wake = threading.Event(), threading.Event()
    thread = threading.Thread(target=run_every, args=(3600, lambda: runs.append(time.monotonic()), stopping),
                              kwargs={"wake": wake})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not runs and time.monotonic() < deadline:  # the first run is at once
            time.sleep(0.05)
        wake.set()
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stopping.set()
        thread.join()
    assert len(runs) == 2  # without the wake, the second run would be an hour later
