"""What the quarantine keeps of a file the service could not take: never a secret in clear.

A quarantined file may hold the administrator's and the users' passwords
and answers. It is kept as two files, both mode 600 in a folder mode 700:

- `<stem>.json`: what an operator needs to answer the company: the name it
  was given (escaped), its size, SHA-256, the type its bytes show, the
  reason, the time;
- `<stem>.enc`: its bytes, encrypted with the service's key (Fernet,
  security/secret_key.py), for whoever must look inside; not kept for a
  file over twice the size limit, which is no workbook anyway.

Both are deleted after `PROVISIONER_QUARANTINE_DAYS` (30 by default):
`purge` runs at every quarantine and may be called at any time. A file left
in clear by an earlier version is encrypted the same way at the next purge.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from provisioner.config import Settings
from provisioner.reports.files import write_atomic
from provisioner.security.secret_key import current
from provisioner.workbook.file_kind import SNIFF, detect_kind

log = logging.getLogger(__name__)

META = ".json"
SEALED = ".enc"


def quarantine_file(settings: Settings, path: Path, stem: str, original_name: str, *, reason: str,
                    now: datetime | None = None, purge_after: bool = True) -> Path:
    """Seal `path` into the quarantine as `<stem>.enc` + `<stem>.json`, delete it; returns the metadata."""
    now = now or datetime.now(UTC)
    folder = _folder(settings)
    size = path.stat().st_size
    sealed = size <= _sealable(settings)  # a file far over the size limit is no workbook: its facts suffice
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        kind = detect_kind(path, handle.read(SNIFF)) if sealed else "unknown"
        handle.seek(0)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    meta = {
        "original_name": original_name, "size": size, "sha256": digest.hexdigest(),
        "detected_type": kind, "reason": reason, "quarantined_at": now.isoformat(timespec="seconds"),
        "sealed": stem + SEALED if sealed else None,
    }
    if sealed:
        write_atomic(folder / (stem + SEALED), current().encrypt(path.read_bytes()), mode=0o600)
    # ensure_ascii: a name that is not valid UTF-8, or holds control characters, is shown escaped.
    target = write_atomic(folder / (stem + META), json.dumps(meta, ensure_ascii=True, indent=2) + "\n",
                          mode=0o600)
    path.unlink(missing_ok=True)
    log.info("quarantined ref=%s reason=%s type=%s", stem, reason, kind)
    if purge_after:
        purge(settings, now)
    return target


def purge(settings: Settings, now: datetime | None = None) -> int:
    """Delete what is older than the retention; seal any file still in clear. Returns files deleted."""
    now = now or datetime.now(UTC)
    folder = settings.quarantine
    if not folder.is_dir():
        return 0
    oldest = (now - timedelta(days=settings.quarantine_days)).timestamp()
    deleted = 0
    for entry in folder.iterdir():
        if entry.name.startswith(".") or not entry.is_file():
            continue  # a write in progress (write_atomic's temporary names start with a dot)
        try:
            if entry.stat().st_mtime < oldest:
                entry.unlink(missing_ok=True)
                deleted += 1
            elif entry.suffix not in (META, SEALED):
                quarantine_file(settings, entry, entry.name, entry.name, reason="sealed after upgrade", now=now,
                                purge_after=False)
        except OSError as error:  # one entry never stops the purge
            log.warning("quarantine purge skipped ref=%s error=%s", entry.name, type(error).__name__)
    if deleted:
        log.info("quarantine purge deleted=%d older_than_days=%s", deleted, settings.quarantine_days)
    return deleted


def _sealable(settings: Settings) -> int:
    """The largest file whose bytes are kept (encrypted in memory at once): twice the size limit."""
    return int(2 * settings.max_file_mb * 1024 * 1024)


def _folder(settings: Settings) -> Path:
    folder = settings.quarantine
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder
