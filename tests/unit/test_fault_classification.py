"""Which errors are the service's own faults (the file waits) and which are not (the file may be at fault)."""

from __future__ import annotations

import errno
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import exc

from provisioner.config import Settings
from provisioner.service.intake import faults
from provisioner.service.intake.health import Health, describe, read_health


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(inbox=tmp_path / "inbox", outbox=tmp_path / "outbox", archive=tmp_path / "var" / "archive",
                    quarantine=tmp_path / "var" / "quarantine", var_dir=tmp_path / "var")


def test_database_errors_are_the_databases(settings: Settings) -> None:
    refused = exc.OperationalError(None, None, Exception("connection refused"))
    assert faults.classify(refused, settings) == faults.Fault("database", "OperationalError")
    assert faults.classify(sqlite3.OperationalError("disk I/O error"), settings) is not None
    assert faults.classify(exc.IntegrityError(None, None, Exception("duplicate")), settings) is None


@pytest.mark.parametrize(("code", "where", "part", "reason"), [
    (errno.EROFS, "outbox/S1/rapport.json", "outbox", "read-only"),
    (errno.ENOSPC, "var/archive/2026/12/S1.xlsx", "archive", "full"),
    (errno.EACCES, "var/work/x/C1.json", "var", "permission"),
])
def test_disk_errors_name_the_folder_of_ours_they_are_about(settings: Settings, tmp_path: Path, code: int,
                                                            where: str, part: str, reason: str) -> None:
    error = OSError(code, "whatever", str(tmp_path / where))
    fault = faults.classify(error, settings)
    assert fault is not None and (fault.part, fault.reason) == (part, reason)
    assert "whatever" not in fault.detail and str(tmp_path) not in fault.detail


def test_errors_that_are_not_ours_are_not_faults(settings: Settings) -> None:
    assert faults.classify(ValueError("a value from the file"), settings) is None
    assert faults.classify(OSError(errno.EROFS, "ro", "/elsewhere/file.xlsx"), settings) is None
    wrapped = RuntimeError("lane")
    wrapped.__cause__ = OSError(errno.ENOSPC, "full")
    assert faults.classify(wrapped, settings, writing="outbox") == faults.Fault("outbox", "OSError ENOSPC", "full")


def test_health_is_kept_in_var_and_said_in_french(settings: Settings) -> None:
    def clock() -> datetime:
        return datetime(2026, 12, 1, 9, 32, tzinfo=UTC)  # 10 h 32 in Casablanca
    health = Health(settings, clock)
    health.fail(faults.Fault("database", "OperationalError"))
    health.fail(faults.Fault("outbox", "OSError EROFS", "read-only"))
    recorded = read_health(settings)["faults"]
    later = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert [describe(f, later) for f in recorded] == ["base de données injoignable depuis 10 h 32",
                                                      "outbox non inscriptible (lecture seule) depuis 10 h 32"]
    assert health.ok("database") and not health.ok("database")
    assert [f["part"] for f in read_health(settings)["faults"]] == ["outbox"]
    next_day = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    assert describe(recorded[1], next_day).endswith("depuis le 01/12/2026 à 10 h 32")
