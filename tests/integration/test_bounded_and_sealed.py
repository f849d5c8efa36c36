"""Bounded anonymous work and no secret at rest in clear (issue 10, cases 7 and 9), in process.

- An Abonnement of more than PROVISIONER_ABONNEMENT_MAX_USERS users is refused before a single hash.
- The quarantine keeps a file's facts and its bytes encrypted, mode 600 in a folder mode 700, and purges
  both after the retention; a file left in clear by an earlier version is sealed at the next purge.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select

from provisioner.config import Settings
from provisioner.security.hashing import Hasher
from provisioner.security.secret_key import install
from provisioner.service.context import ServiceContext
from provisioner.service.intake.quarantine import purge, quarantine_file
from provisioner.service.submission.pipeline import process_file
from provisioner.store.tables import adherents
from provisioner.workbook.checker import check_file
from tests.factory import delegue, make_workbook, user

ADMIN_CANARY = "Adm1nSeal7"
USER_CANARY = "Usr1Seal9"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class CountingHasher(Hasher):
    """The real hasher, counting what it is asked to hash."""

    def __init__(self) -> None:
        super().__init__(1)
        self.hashed = 0

    def hash_many(self, values: list[str]) -> list[str]:
        self.hashed += len(values)
        return super().hash_many(values)


@pytest.fixture
def ctx(engine: Engine, tmp_path: Path) -> Iterator[ServiceContext]:
    settings = Settings(database_url=str(engine.url), outbox=tmp_path / "outbox", inbox=tmp_path / "inbox",
                        var_dir=tmp_path / "var", hash_workers=1, abonnement_max_users=100)
    context = ServiceContext(settings, engine, CountingHasher())
    yield context
    context.hasher.close()


def abonnement(path: Path, users: int) -> Path:
    rows = [user(f"u{i:03d}.td") for i in range(users)]
    return make_workbook(path, users={"td_interne": rows},
                         categories=[{"login": f"u{i:03d}.td", "D": "X"} for i in range(users)])


def test_an_abonnement_of_101_users_is_refused_before_any_hash(ctx: ServiceContext, tmp_path: Path) -> None:
    outcome = process_file(ctx, abonnement(tmp_path / "grand.xlsx", 101))

    assert outcome.status == "rejected"
    [finding] = outcome.report["errors"]
    assert finding["code"] == "FILE_TOO_LARGE"
    assert "au plus 100 utilisateurs" in finding["message"] and "101" in finding["message"]
    assert "« Mise à jour »" in finding["message"]
    assert ctx.hasher.hashed == 0  # type: ignore[attr-defined]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(adherents)).scalar_one() == 0


def test_an_abonnement_of_100_users_is_within_the_bound(tmp_path: Path) -> None:
    # Checked without the store: taking it would cost 401 argon2id hashes, which is not the point here.
    assert check_file(abonnement(tmp_path / "cent.xlsx", 100)).accepted


# --- the quarantine ---------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(var_dir=tmp_path / "var", quarantine=tmp_path / "var" / "quarantine", quarantine_days=30)
    install(settings)
    return settings


def secret_workbook(path: Path) -> Path:
    return make_workbook(path, delegue_values=delegue(password=ADMIN_CANARY, password_confirm=ADMIN_CANARY),
                         users={"td_interne": [user("sara.td", password=USER_CANARY, password_confirm=USER_CANARY)]})


def everything_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_the_quarantine_keeps_facts_and_sealed_bytes_never_a_secret_in_clear(
        settings: Settings, tmp_path: Path) -> None:
    work = secret_workbook(tmp_path / "claimed")
    original = work.read_bytes()
    name = "r\udce9sum\udce9\x07.xlsx"  # a name that was not UTF-8, with a control character

    meta_path = quarantine_file(settings, work, "S1-xlsx", name, reason="FILE_UNREADABLE", now=NOW)

    assert not work.exists()
    folder = settings.quarantine
    assert sorted(p.name for p in folder.iterdir()) == ["S1-xlsx.enc", "S1-xlsx.json"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="ascii"))
    assert meta == {"original_name": name, "size": len(original), "sha256": meta["sha256"], "detected_type": "zip",
                    "reason": "FILE_UNREADABLE", "quarantined_at": "2026-12-01T10:00:00+00:00", "sealed": "S1-xlsx.enc"}
    assert meta["sha256"] == hashlib.sha256(original).hexdigest()
    # The workbook's parts are deflated, so missing canaries alone would prove little: no zip at all.
    stored = everything_under(folder)
    for canary in (ADMIN_CANARY, USER_CANARY):
        assert canary.encode() not in stored
    assert b"PK\x03\x04" not in stored  # not even the zip itself
    key = (settings.var_dir / "secret.key").read_bytes().strip()
    assert stat.S_IMODE((settings.var_dir / "secret.key").stat().st_mode) == 0o600
    assert Fernet(key).decrypt((folder / "S1-xlsx.enc").read_bytes()) == original  # an operator can look inside


def test_the_quarantine_is_purged_after_its_retention_and_old_clear_files_are_sealed(
        settings: Settings, tmp_path: Path) -> None:
    quarantine_file(settings, secret_workbook(tmp_path / "a"), "S1-xlsx", "a.xlsx", reason="FILE_UNREADABLE", now=NOW)
    quarantine_file(settings, secret_workbook(tmp_path / "b"), "S2-xlsx", "b.xlsx", reason="FILE_UNREADABLE", now=NOW)
    legacy = secret_workbook(settings.quarantine / "S0-xlsx")  # as an earlier version left it: raw bytes
    old = time.time() - 31 * 86400
    for name in ("S1-xlsx.enc", "S1-xlsx.json"):
        os.utime(settings.quarantine / name, (old, old))

    assert purge(settings, datetime.now(UTC)) == 2

    assert sorted(p.name for p in settings.quarantine.iterdir()) == [
        "S0-xlsx.enc", "S0-xlsx.json", "S2-xlsx.enc", "S2-xlsx.json"]
    assert not legacy.exists()
    assert json.loads((settings.quarantine / "S0-xlsx.json").read_text())["reason"] == "sealed after upgrade"
    assert b"PK\x03\x04" not in everything_under(settings.quarantine)
