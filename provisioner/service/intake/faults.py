"""Telling a fault of the service's own parts from a fault of the file in hand.

A file is set aside (quarantined) only when it is itself the cause. When
the database cannot be reached, or a folder of ours cannot be written (read
only, full, permission), the file is not at fault: it stays claimed and is
tried again once the part is back. `classify` names the part that failed,
or returns None when the error is not one of ours (a bug the file set off).

A fault's `detail` is built from the error's type, errno and our own paths
only: never its message, which may quote a value read from the file.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc

from provisioner.workbook.isolation import ReaderUnavailable

if TYPE_CHECKING:
    from provisioner.config import Settings

DATABASE = "database"
OUTBOX = "outbox"
ARCHIVE = "archive"
QUARANTINE = "quarantine"
VAR = "var"
INBOX = "inbox"
READER = "reader"  # the child processes that read submitted files
MAILBOX = "mailbox"  # the IMAP door's mailbox (service/mailbox/imap_door.py)
KEY = "secret_key"  # var/secret.key, damaged: nothing encrypted can be written or read
FOLDER_PARTS = frozenset({OUTBOX, ARCHIVE, QUARANTINE, VAR, INBOX})
PARTS = FOLDER_PARTS | {DATABASE, READER, MAILBOX, KEY}

# errno values that say "this folder cannot be written now", never "this file is bad": also a file-size
# limit (EFBIG, with SIGXFSZ ignored) and a network share gone (ESTALE, ENOTCONN).
DISK_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO,
                         errno.ENOENT, errno.ENOTDIR, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EFBIG,
                         errno.ESTALE, errno.ENOTCONN})
ERRNO_NAMES = {errno.EROFS: "read-only", errno.ENOSPC: "full", errno.EDQUOT: "full",
               errno.EACCES: "permission", errno.EPERM: "permission", errno.EFBIG: "size-limit",
               errno.ESTALE: "network", errno.ENOTCONN: "network"}


class ClaimLost(Exception):
    """The file in hand left our work folder before its outcome was committed: another instance adopted it
    (this one was paused past the stale heartbeat). Its outcome is the adopter's to record, never ours too."""


class AfterCommit(Exception):
    """An error once the file's submission is committed: the file is finished, only moving it out (archive,
    quarantine) failed. Never the file's fault, whatever the error: the file waits and is moved out later,
    never judged again (which would report it as its own duplicate)."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


@dataclass(frozen=True)
class Fault:
    """One part of the service that failed: `part` (DATABASE, OUTBOX...) and what happened."""

    part: str
    detail: str  # e.g. "OperationalError", "OSError EROFS": never a value from a file
    reason: str = ""  # read-only | full | permission | "" (for the French wording)


def classify(error: BaseException, settings: Settings, *, writing: str = VAR) -> Fault | None:
    """The part of the service behind `error`, or None when it is not an infrastructure fault.

    `writing`: the part being written when an OSError names no path (ENOSPC
    on a write, say).
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # the cause may be wrapped (a lane, a batch)
        seen.add(id(current))
        fault = _classify_one(current, settings, writing)
        if fault is not None:
            return fault
        current = current.__cause__ or current.__context__
    return None


# SQLSTATEs of a statement that gave up waiting for a row another session holds (lock_timeout), ran past
# statement_timeout, or lost a deadlock: the database answers; only this file's transaction must wait.
LOCK_SQLSTATES = frozenset({"55P03", "57014", "40P01"})
LOCK = "lock"  # Fault.reason: a database fault of one file, not of the service (service.file_in_hand)


def _classify_one(error: BaseException, settings: Settings, writing: str) -> Fault | None:
    driver = getattr(error, "orig", None) or error  # SQLAlchemy's error holds the driver's
    if getattr(driver, "sqlstate", None) in LOCK_SQLSTATES:
        return Fault(DATABASE, type(driver).__name__, LOCK)
    if isinstance(error, AfterCommit):
        cause = error.__cause__
        found = _classify_one(cause, settings, error.part) if cause is not None else None
        return found or Fault(error.part, type(cause).__name__ if cause is not None else type(error).__name__)
    if isinstance(error, ReaderUnavailable):  # no reader child could start: this host's trouble
        return Fault(READER, type(error).__name__)
    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)):
        return Fault(DATABASE, type(error).__name__)
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return Fault(DATABASE, type(error).__name__)
    if isinstance(error, sqlite3.OperationalError):
        return Fault(DATABASE, type(error).__name__)
    if _is_driver_operational(error):
        return Fault(DATABASE, type(error).__name__)
    if isinstance(error, OSError) and error.errno in DISK_ERRNOS:
        part = folder_of(error, settings, writing)
        if part is None:
            return None  # not one of our folders: the file's own path, say
        name = errno.errorcode.get(error.errno or 0, "?")
        return Fault(part, f"{type(error).__name__} {name}", ERRNO_NAMES.get(error.errno or 0, ""))
    return None


def _is_driver_operational(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))


def folders(settings: Settings) -> list[tuple[str, Path]]:
    """Our folders that must be writable, each with its part (the work folder lives under var/)."""
    return [(OUTBOX, settings.outbox), (VAR, settings.var_dir), (ARCHIVE, settings.archive),
            (QUARANTINE, settings.quarantine)]


def folder_of(error: OSError, settings: Settings, writing: str = VAR) -> str | None:
    """Which of our folders an OSError is about, from the paths it names."""
    paths = [p for p in (error.filename, error.filename2) if p]
    parts = [(OUTBOX, settings.outbox), (ARCHIVE, settings.archive), (QUARANTINE, settings.quarantine),
             (INBOX, settings.inbox), (VAR, settings.var_dir)]
    for raw in paths:
        try:
            path = Path(raw if isinstance(raw, str) else bytes(raw).decode("utf-8", "surrogateescape")).absolute()
        except (TypeError, ValueError):
            continue
        for part, folder in parts:  # the first that holds it: archive and quarantine live under var
            if path == folder.absolute() or folder.absolute() in path.parents:
                return part
    if not paths:
        return writing
    return None
