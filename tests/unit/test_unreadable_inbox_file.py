"""A file the service may not read (issue 20, point 7): said once in the log, shown in `status`, it waits.

Before: the inbox's look took the EACCES for a file still being replaced and waited for ever without a
line. Root reads everything, so the looks run here with the effective uid of `nobody`, on a real file of
root's with mode 600 in a real folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from provisioner.service.intake.inbox import finished_files
from provisioner.service.read_models.status import inbox_state
from tests.factory import make_workbook

NOBODY = 65534


@contextmanager
def as_nobody() -> Iterator[None]:
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def inbox() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root, to look as another user")
    folder = Path(tempfile.mkdtemp(prefix="inbox-", dir="/tmp"))  # not under pytest's 700 folders
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


def test_a_file_the_service_may_not_read_is_logged_once_and_shown_in_status(
        inbox: Path, caplog: pytest.LogCaptureFixture) -> None:
    book = make_workbook(inbox / "paie.xlsx")
    book.chmod(0o600)
    past = time.time() - 60
    os.utime(book, (past, past))
    seen: dict[str, tuple[int, int]] = {}
    warned: set[str] = set()

    with caplog.at_level(logging.INFO, logger="provisioner.service.intake.inbox"), as_nobody():
        looks = [finished_files(inbox, seen, warned=warned) for _ in range(4)]
        state = inbox_state(inbox)

    assert looks == [[], [], [], []]  # it waits, in the inbox
    said = [r.getMessage() for r in caplog.records if "paie.xlsx" in r.getMessage()]
    assert said == ["inbox: cannot read paie.xlsx (permission denied): it waits until the service may read it"]
    assert state["files"] == 1 and state["unreadable"] == ["paie.xlsx"]
    book.chmod(0o644)  # fixed: the next look takes it
    with as_nobody():
        assert finished_files(inbox, seen, warned=warned) == [book]
        assert inbox_state(inbox)["unreadable"] == []
