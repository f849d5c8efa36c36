"""This instance's work folder: taking a finished file of the inbox so that no other instance takes it,
what is known of it while it is processed, and the recovery of the files of a dead instance.

Taking a file is an atomic `os.rename` into this instance's private work
folder (`var/work/<instance>/`, on the inbox's file system): two instances,
on one host or sharing the folder, can never both succeed, and the folder's
name says which instance holds the file. The name the person gave it is
kept in a sidecar (`<token>.json`) written before the rename; the file itself
gets our own name. Each instance holds an exclusive `flock` on its folder's
`.lock` for its lifetime: a folder whose lock is free (its process is gone)
or whose heartbeat is older than `STALE_AFTER` is adopted by another
instance, and its files are processed again. That is the crash recovery;
it is safe because processing is idempotent by SHA-256.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Unpack, cast

from provisioner.domain.vocabulary import Door
from provisioner.service.intake.drop import WORK_DIR, ClaimExtra, Deposit, Origin, work_root
from provisioner.service.intake.inbox import Signature
from provisioner.service.intake.names import display_name

if TYPE_CHECKING:
    from provisioner.service.context import ServiceContext

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=30)  # a work folder whose heartbeat is older is adopted
LOCK_FILE = ".lock"
SIDECAR = ".json"
SCRATCH = ".d"
_TOKEN = re.compile(r"C\d{8}T\d{6}-[0-9a-f]{8}")


@dataclass(frozen=True)
class ClaimInfo:
    """What the sidecar of a claimed file says."""

    name: str  # as the person gave it: for reports only, never for a path
    claimed_at: datetime
    extra: ClaimExtra
    origin: Origin | None = None  # the door it came through (None: a claim made before doors were kept)


class Workspace:
    """This instance's work folder: where claimed files wait while they are processed."""

    def __init__(self, root: Path, instance_id: str, lock_fd: int) -> None:
        self.root = root
        self.instance_id = instance_id
        self.folder = root / instance_id
        self._lock_fd = lock_fd

    @classmethod
    def open(cls, ctx: ServiceContext) -> Workspace:
        """Create this instance's folder and hold its lock; the root sits on the inbox's file system."""
        root = work_root(ctx.settings)
        if root.name != WORK_DIR:
            log.warning("work folder is not on the inbox's file system: using a hidden folder in the inbox")
        instance_id = f"{_host()}-{os.getpid()}-{secrets.token_hex(3)}"
        # Locked under a hidden name first, then renamed: no other instance ever sees
        # this folder with its lock free and takes it for a dead one.
        staging = root / f".new-{instance_id}"
        staging.mkdir(mode=0o700)
        fd = os.open(staging / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        folder = root / instance_id
        os.rename(staging, folder)
        log.info("service instance=%s work=%s", instance_id, folder)
        return cls(root, instance_id, fd)

    def close(self) -> None:
        """Release the lock; the folder is removed when nothing is left in it."""
        try:
            leftovers = [p for p in self.folder.iterdir() if p.name != LOCK_FILE]
            if not leftovers:
                (self.folder / LOCK_FILE).unlink(missing_ok=True)
                self.folder.rmdir()
        except OSError:
            pass
        os.close(self._lock_fd)

    def heartbeat(self) -> None:
        try:
            os.utime(self.folder / LOCK_FILE)
        except OSError:
            pass

    # -- claiming --------------------------------------------------------------

    def claim(self, ctx: ServiceContext, path: Path, signature: Signature | None = None) -> Path | None:
        """Move `path` into the work folder under our own name; None when another instance took it."""
        now = ctx.clock()
        token = f"C{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        target = self.folder / token
        sidecar = _sidecar(target)
        # The name as shown, never the raw one: it may not be UTF-8 (and it is never a path again).
        self.write_sidecar(target, display_name(path.name), now, Origin(Door.INBOX))
        try:
            os.rename(path, target)
        except OSError as error:
            sidecar.unlink(missing_ok=True)
            if error.errno != errno.ENOENT:
                log.warning("inbox: cannot take %s: %s", display_name(path.name), error.strerror)
            return None
        # Replaced between the look and the rename: a new file, maybe half written. Give it back.
        if signature is not None and not _unchanged(target, signature) and _give_back(target, path):
            sidecar.unlink(missing_ok=True)
            return None
        return target

    def claim_drop(self, ctx: ServiceContext, deposit: Deposit) -> Path | None:
        """Take a deposited file (`service.intake`) into the work folder; None when another instance took it."""
        now = ctx.clock()
        target = self.folder / f"C{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        sidecar = _sidecar(target)
        self.write_sidecar(target, deposit.name, now, deposit.origin, deposit.extra)
        try:
            os.rename(deposit.path, target)
        except OSError as error:
            sidecar.unlink(missing_ok=True)
            if error.errno != errno.ENOENT:
                log.warning("intake: cannot take deposit %s: %s", deposit.path.name, error.strerror)
            return None
        _sidecar(deposit.path).unlink(missing_ok=True)
        return target

    def release(self, work: Path) -> None:
        """Forget a claimed file once it has left the work folder."""
        work.unlink(missing_ok=True)
        _sidecar(work).unlink(missing_ok=True)
        scratch = work.with_name(work.name + SCRATCH)
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)

    def pending(self) -> list[Path]:
        """The files claimed by this instance and not yet released, oldest claim first."""
        found = [p for p in self.folder.iterdir() if _TOKEN.fullmatch(p.name) and p.is_file()]
        for scratch in self.folder.glob("*" + SCRATCH):  # batch scratch whose zip is gone
            if not (self.folder / scratch.name[: -len(SCRATCH)]).exists():
                shutil.rmtree(scratch, ignore_errors=True)
        for orphan in self.folder.glob("*" + SIDECAR):  # a sidecar whose rename never happened
            if not (self.folder / orphan.name[: -len(SIDECAR)]).exists():
                orphan.unlink(missing_ok=True)
        return sorted(found)

    def info(self, work: Path) -> ClaimInfo:
        try:
            data = json.loads(_sidecar(work).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        try:
            claimed_at = datetime.fromisoformat(data.get("claimed_at", ""))
        except (TypeError, ValueError):
            claimed_at = datetime.fromtimestamp(work.stat().st_mtime).astimezone()
        name = data.get("name")
        name = display_name(name) if isinstance(name, str) else display_name("")
        # JSON read back: what `remember` and the deposit wrote beside the claim's own keys.
        extra = cast(ClaimExtra, {k: v for k, v in data.items() if k not in ("name", "claimed_at", "origin")})
        return ClaimInfo(name, claimed_at, extra, Origin.from_json(data.get("origin")))

    def write_sidecar(self, work: Path, name: str, claimed_at: datetime, origin: Origin,
                      extra: ClaimExtra | None = None) -> None:
        """A claim's sidecar, written before the file is taken: its name as shown, when, through which door
        (and the door's marks)."""
        _write_json(_sidecar(work), {**(extra or {}), "name": name, "claimed_at": claimed_at.isoformat(),
                                     "origin": origin.to_json()})

    def remember(self, work: Path, **values: Unpack[ClaimExtra]) -> None:
        """Add progress to the sidecar (a batch's id, its finished members)."""
        current = json.loads(_sidecar(work).read_text(encoding="utf-8")) if _sidecar(work).exists() else {}
        current.update(values)
        _write_json(_sidecar(work), current)

    # -- recovery ----------------------------------------------------------------

    def adopt_abandoned(self) -> int:
        """Take over the files of work folders whose instance is gone; returns how many."""
        adopted = 0
        for folder in self._other_folders():
            with _abandoned(folder) as gone:
                if not gone:
                    continue
                for item in sorted(folder.iterdir()):
                    if item.name.startswith("."):  # its lock, a half-written sidecar
                        continue
                    if self._adopt(folder, item):
                        adopted += 1
                shutil.rmtree(folder, ignore_errors=True)
        if adopted:
            log.info("inbox: adopted %d file(s) left by a stopped instance", adopted)
        return adopted

    def _other_folders(self) -> Iterator[Path]:
        try:
            for folder in self.root.iterdir():
                if (folder.is_dir() and not folder.is_symlink() and not folder.name.startswith(".")
                        and folder.name != self.instance_id):
                    yield folder
        except FileNotFoundError:
            return

    def _adopt(self, folder: Path, item: Path) -> bool:
        target = self.folder / item.name
        try:
            os.rename(item, target)
        except OSError:
            return False  # another instance adopted it first
        return bool(_TOKEN.fullmatch(item.name) and target.is_file())  # sidecars and scratch follow their file


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:64] or "host"


def _sidecar(work: Path) -> Path:
    return work.with_name(work.name + SIDECAR)


def _write_json(path: Path, data: Mapping[str, object]) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:  # a full disk, say: no temp file left behind at every poll
        tmp.unlink(missing_ok=True)
        raise


def _unchanged(path: Path, signature: Signature) -> bool:
    info = path.stat()
    return (info.st_size, info.st_mtime_ns) == signature


def _give_back(work: Path, original: Path) -> bool:
    try:
        os.link(work, original)  # never overwrites whatever came meanwhile
    except OSError:
        return False
    work.unlink()
    return True


class _abandoned:
    """True when the folder's instance is gone: its lock is free, or its heartbeat is stale."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> bool:
        lock = self.folder / LOCK_FILE
        try:
            self.fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            return any(self.folder.iterdir()) if self.folder.exists() else False
        except OSError:
            return False
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            age = time.time() - os.fstat(self.fd).st_mtime
            return age > STALE_AFTER.total_seconds()

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
