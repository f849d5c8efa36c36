"""The tests' remount helper (tests/mounts.py) waits while the filesystem is busy instead of failing.

A file open for writing makes `mount -o remount,ro` fail with exit 32 ("mount point is busy"): that is
how tests/e2e/test_faults.py once failed on a loaded machine, the service writing into its outbox at
that moment.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from tests.mounts import remount, tmpfs


def test_a_read_only_remount_waits_for_the_file_open_for_writing_to_close(tmp_path: Path) -> None:
    (tmp_path / "outbox").mkdir()
    with tmpfs(tmp_path / "outbox", size="1m") as folder:
        writer = (folder / "rapport.json.tmp").open("w")
        refusals: list[int] = []

        def close_the_writer(attempt: int) -> None:
            refusals.append(attempt)
            writer.close()  # the writer of the moment finishes its file

        remount(folder, "ro", on_busy=close_the_writer)

        assert refusals == [1]  # refused while the file was open, then remounted once it was closed
        with pytest.raises(OSError) as refused:
            (folder / "rapport.json").write_text("{}")
        assert refused.value.errno == errno.EROFS
        remount(folder, "rw")
        (folder / "rapport.json").write_text("{}")
        assert (folder / "rapport.json").read_text() == "{}"


def test_a_remount_that_fails_for_another_reason_is_not_tried_again(tmp_path: Path) -> None:
    refusals: list[int] = []
    with pytest.raises(AssertionError, match="remount,ro"):
        remount(tmp_path, "ro", on_busy=refusals.append)  # not a mount point at all
    assert refusals == []
