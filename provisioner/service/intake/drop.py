"""The one intake behind every door: a file handed to the service, with where it came from.

The inbox folder is read by `serve` itself; the other doors (the mailbox, the
companies' portal) `deposit` what they receive into the shared drop folder
(`<work root>/.drop/`, on the work folder's file system). Any running `serve`
instance takes a deposited file at its next round, before the inbox's files,
by an atomic rename into its own work folder (`Workspace.claim_drop`): exactly
one instance gets it, whatever the number of instances and doors. From there a
deposited file is a claimed file like any other: same pipeline, same
exactly-once, same outputs. Its `Origin` follows it into the claim's sidecar
and is recorded with its submission, in the submission's own transaction
(`submission_origins`), so that a door can tell later what became of it.

A deposit is written as: sidecar (`<token>.json`) first, then the bytes under a
hidden temporary name renamed to `<token>`. A reader only ever takes a
`<token>` whose sidecar is there; a sidecar without its file (a deposit that
died half-way) is removed once old.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from provisioner.domain.vocabulary import Door
from provisioner.service.intake.names import display_name

if TYPE_CHECKING:
    from provisioner.config import Settings

WORK_DIR = "work"
DROP_DIR = ".drop"
_TOKEN = re.compile(r"D\d{8}T\d{6}-[0-9a-f]{16}")
_ORPHAN_AFTER_SECONDS = 3600  # a sidecar whose file never came: a deposit that died


class ClaimExtra(TypedDict, total=False):
    """What a claim's sidecar keeps beside its name, time and origin (JSON): the door's marks, given with
    the deposit, and the service's progress, added as it goes (`Workspace.remember`)."""

    imap_token: str  # the IMAP door's receipt this deposit belongs to
    imap_too_large: int  # the mail's size, over the limit: answered, not read
    batch: str  # a zip's batch id, kept from its first round
    received_at: str
    # Each finished member (a batch's BatchLine, a mail's reply line) by its position: resumed from there.
    done: Mapping[str, Mapping[str, object]]
    summary_queued: bool
    interrupted: int  # rounds that ended with this file in hand
    waits: int  # times it waited for a failing part
    retry_at: str  # when it is tried again (ISO 8601)


@dataclass(frozen=True)
class Origin:
    """Which door a file came through, and the door's own reference for it (a portal jeton, a mail key)."""

    door: Door
    reference: str = ""

    def to_json(self) -> dict[str, str]:
        return {"door": self.door.value, "reference": self.reference}

    @classmethod
    def from_json(cls, data: object) -> Origin | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(Door(str(data.get("door"))), str(data.get("reference") or ""))
        except ValueError:
            return None


@dataclass(frozen=True)
class Deposit:
    """A file waiting in the drop folder."""

    path: Path
    name: str
    origin: Origin
    extra: ClaimExtra


def work_root(settings: Settings) -> Path:
    """The folder that holds every instance's work folder (and the drop folder): on the inbox's file
    system, since taking a file is an `os.rename`."""
    inbox = settings.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    root = settings.var_dir / WORK_DIR
    root.mkdir(parents=True, exist_ok=True)
    if os.stat(root).st_dev != os.stat(inbox).st_dev:
        root = inbox / ".provisioner-work"  # os.rename is atomic only within one file system
        root.mkdir(exist_ok=True)
    return root


def drop_folder(settings: Settings) -> Path:
    folder = work_root(settings) / DROP_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def deposit(settings: Settings, source: bytes | Path, name: str | bytes, origin: Origin,
            extra: ClaimExtra | None = None) -> str:
    """Hand `source` (its bytes, or a file copied) to the service; returns the deposit's token.

    The file is taken by a running `serve` at its next round (`Service.wake()` runs one now).
    `extra` is kept beside the door's origin in the claim's sidecar (`ClaimInfo.extra`): name its keys
    after the door (`imap_…`, `portal_…`), the service's own progress keys live there too.
    """
    folder = drop_folder(settings)
    token = f"D{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(8)}"
    target = folder / token
    sidecar = _sidecar(target)
    staging = folder / f".{token}.tmp"
    meta = {"name": display_name(name), "origin": origin.to_json(), "extra": extra or {}}
    try:
        _write_private(sidecar, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        if isinstance(source, bytes):
            _write_private(staging, source)
        else:
            fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out, source.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        os.rename(staging, target)
    except BaseException:  # a full disk, say: nothing half-made is left for a round to take
        staging.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise
    return token


def waiting(settings: Settings) -> list[Deposit]:
    """The deposits waiting to be taken, oldest first (orphaned sidecars cleaned on the way)."""
    folder = drop_folder(settings)
    found = []
    for path in sorted(folder.iterdir()):
        if _TOKEN.fullmatch(path.name) and path.is_file():
            found.append(read_deposit(path))
        elif _leftover(path):
            _remove_if_old(path)
    return [d for d in found if d is not None]


def read_deposit(path: Path) -> Deposit | None:
    try:
        meta = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    origin = Origin.from_json(meta.get("origin"))
    if origin is None:
        return None
    extra = meta.get("extra")
    # JSON read back: the marks `deposit` wrote.
    return Deposit(path, display_name(str(meta.get("name") or "")), origin,
                   cast(ClaimExtra, extra) if isinstance(extra, dict) else {})


def _leftover(path: Path) -> bool:
    """A sidecar without its file, or a temporary file: what a deposit that died leaves."""
    orphan = path.name.endswith(".json") and not path.with_name(path.name[:-5]).exists()
    return orphan or (path.name.startswith(".") and path.name.endswith(".tmp"))


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _remove_if_old(path: Path) -> None:
    try:
        if time.time() - path.stat().st_mtime > _ORPHAN_AFTER_SECONDS:
            path.unlink()
    except OSError:
        pass
