"""A folder on a small tmpfs of its own, made read-only and writable again by a test (root only).

`mount -o remount,ro` is refused (exit 32, "mount point is busy": EBUSY) while any file on it is open
for writing, which a running service does a moment at a time (an atomic write, a probe): the remount
is tried again until it lands, within a bound, instead of failing the test on that moment.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MOUNT_FAILURE = 32  # mount(8)'s exit status for a refused mount, EBUSY among others
TRIES = 400  # at 50 ms apart: 20 s for the writer of the moment to close its file, even on a loaded host
PAUSE_S = 0.05


@contextmanager
def tmpfs(folder: Path, size: str = "8m") -> Iterator[Path]:
    """`folder` on a tmpfs of its own while the block runs, always unmounted; skips the test without root."""
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def remount(folder: Path, mode: str, *, on_busy: Callable[[int], None] | None = None) -> None:
    """Remount `folder` `ro` or `rw`, trying again while it is busy; `on_busy(attempt)` hears each refusal."""
    for attempt in range(1, TRIES + 1):
        done = subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=False, capture_output=True,
                              text=True)
        if done.returncode == 0:
            return
        if done.returncode != MOUNT_FAILURE or "busy" not in done.stderr:
            break
        if on_busy is not None:
            on_busy(attempt)
        time.sleep(PAUSE_S)
    raise AssertionError(f"mount -o remount,{mode} {folder}: exit {done.returncode}: {done.stderr.strip()}")
