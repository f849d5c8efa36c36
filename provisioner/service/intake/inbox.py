"""The inbox: which of its files are finished, so that they may be taken.

A file is taken when it is a regular file (never a symlink, a folder or a
device), its name is not an Excel lock file, a dotfile or a temporary name,
and it has stopped changing: the same (size, mtime) on two consecutive looks
AND untouched for `min_age` seconds (two looks alone can fall inside one
pause of a slow writer). A zip (a workbook, a batch) must also have its
end record: one without is still being written, however long the writer
pauses, until it has been untouched for `incomplete_after` seconds (then it
is taken, and rejected as unreadable). A workbook that Excel or LibreOffice
still holds open (its `~$NAME` or `.~lock.NAME#` lock file is there) waits,
unless that lock is stale.

Taking a finished file is the work folder's job (`service.workspace`).
"""

from __future__ import annotations

import logging
import os
import stat
import time
from datetime import timedelta
from pathlib import Path

from provisioner.service.intake.names import display_name
from provisioner.service.intake.zip_end import is_unfinished_zip

log = logging.getLogger(__name__)

TEMPORARY_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial")
LOCK_PREFIX = "~$"
LIBREOFFICE_LOCK = ".~lock.{}#"
MIN_AGE_SECONDS = 2.0  # untouched for this long before it is taken
INCOMPLETE_AFTER_SECONDS = 600.0  # a zip without its end record, untouched this long, is taken as it is
LOCK_STALE = timedelta(hours=12)  # a lock file older than this no longer holds a workbook open


Signature = tuple[int, int]  # (size, mtime_ns)


def is_candidate_name(name: str) -> bool:
    """False for names the inbox never takes: lock files, dotfiles, temporary names."""
    lowered = name.lower()
    return not (name.startswith(LOCK_PREFIX) or name.startswith(".") or lowered.endswith(TEMPORARY_SUFFIXES))


def finished_files(inbox: Path, seen: dict[str, Signature], *, min_age: float = MIN_AGE_SECONDS,
                   incomplete_after: float = INCOMPLETE_AFTER_SECONDS, warned: set[str] | None = None,
                   now: float | None = None) -> list[Path]:
    """The regular files of `inbox` that are finished, oldest first.

    `seen` is kept by the caller between looks (name → signature); it is
    replaced by what this look saw. `warned` remembers the names already
    logged as skipped or waiting, so that a symlink is not logged at every poll.
    """
    now = time.time() if now is None else now
    warned = set() if warned is None else warned
    current: dict[str, Signature] = {}
    ready: list[tuple[int, str, Path]] = []
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        seen.clear()
        return []
    names = {entry.name for entry in entries}
    for entry in entries:
        name = entry.name
        if not is_candidate_name(name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone meanwhile (taken by another instance), or not ours to read
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
            if not stat.S_ISDIR(info.st_mode) and name not in warned:
                warned.add(name)
                log.warning("inbox: skipped %s: not a regular file (symlinks are never followed)",
                            display_name(name))
            continue
        signature = (info.st_size, info.st_mtime_ns)
        current[name] = signature
        age = now - info.st_mtime_ns / 1e9  # negative: a writer's clock ahead of ours; the two looks decide
        if seen.get(name) != signature or 0 <= age < min_age:
            continue
        if _held_open(inbox, name, names, now):
            continue
        if _still_written(Path(entry.path), age, incomplete_after, warned):
            continue
        ready.append((info.st_mtime_ns, name, Path(entry.path)))
    seen.clear()
    seen.update(current)
    warned.intersection_update(names)
    return [path for _, _, path in sorted(ready)]


def _held_open(inbox: Path, name: str, names: set[str], now: float) -> bool:
    # Excel names its lock `~$` + the name, or `~$` + the name less two characters;
    # LibreOffice `.~lock.` + the name + `#`.
    for lock in (LOCK_PREFIX + name, LOCK_PREFIX + name[2:], LIBREOFFICE_LOCK.format(name)):
        if lock in names and lock != name:
            try:
                age = now - (inbox / lock).lstat().st_mtime
            except FileNotFoundError:
                continue
            if age < LOCK_STALE.total_seconds():
                return True
    return False


def cannot_read(path: Path) -> bool:
    """True when the service's user may not read `path` (its permissions): it waits, said once and in
    `status`, until someone fixes them."""
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_NOFOLLOW))
    except PermissionError:
        return True
    except OSError:
        return False  # gone meanwhile, or replaced: the next look decides
    return False


def _still_written(path: Path, age: float, incomplete_after: float, warned: set[str]) -> bool:
    """A zip without its end record, touched within `incomplete_after` seconds: its writer has paused."""
    try:
        unfinished = is_unfinished_zip(path)
    except PermissionError:
        if path.name not in warned:
            warned.add(path.name)
            log.warning("inbox: cannot read %s (permission denied): it waits until the service may read it",
                        display_name(path.name))
        return True
    except OSError:
        return True  # unreadable for a moment (gone, being replaced): look again next time
    if not unfinished:
        return False
    shown = display_name(path.name)
    if age < incomplete_after:
        if path.name not in warned:
            warned.add(path.name)
            log.info("inbox: %s is still being written (no zip end record yet): waiting", shown)
        return True
    log.warning("inbox: %s has had no zip end record for %d s: taken as it is", shown, age)
    return False
