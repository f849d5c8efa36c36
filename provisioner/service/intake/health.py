"""The service's health: which of its parts is failing, since when, said in French.

Kept in memory by the running service and mirrored, at each change, to
`var/health.json` (written atomically), so that `provisioner status` and the
dashboard can tell what is wrong even while the database is down. The file
holds no value from any file: a part's name, a time, an error type.

When `var/` itself cannot be written, the state stays in memory and in the
log only (the log line is the operator's source then).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from provisioner.reports.files import write_atomic
from provisioner.service.intake import faults
from provisioner.wording import dates
from provisioner.wording import intake as intake_text
from provisioner.wording.intake import PART_LABELS, REASON_LABELS

if TYPE_CHECKING:
    from provisioner.config import Settings

log = logging.getLogger(__name__)

HEALTH_FILE = "health.json"



class FaultRecord(TypedDict):
    """A failing part as var/health.json holds it: never a value from a file."""

    part: str
    since: str  # ISO 8601
    detail: str
    reason: str


class HealthRecord(TypedDict):
    updated_at: str | None
    pid: int | None
    faults: list[FaultRecord]


def health_path(settings: Settings) -> Path:
    return settings.var_dir / HEALTH_FILE


class Health:
    """The faults of the running service; thread-safe (the lanes report into it)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime], *, persist: bool = True) -> None:
        """`persist`: mirror to var/health.json (the running service); False keeps it in memory only
        (`provisioner process`, which must not overwrite what a running service recorded)."""
        self.path = health_path(settings)
        self.clock = clock
        self.persist = persist
        self._lock = threading.Lock()
        self._faults: dict[str, FaultRecord] = {}
        self._unwritten = False  # the last write failed: said once, not at every round
        self._save()  # a new service starts healthy: what a stopped one saw is no longer known

    def fail(self, fault: faults.Fault) -> None:
        """Record that `fault.part` fails; logged once, when it starts."""
        with self._lock:
            known = self._faults.get(fault.part)
            if known is not None and (known["detail"], known["reason"]) == (fault.detail, fault.reason):
                return
            since = known["since"] if known else self.clock().isoformat(timespec="seconds")
            self._faults[fault.part] = FaultRecord(part=fault.part, since=since, detail=fault.detail,
                                                   reason=fault.reason)
            if known is None:
                log.error("health: %s failing: %s; files wait and are retried", fault.part, fault.detail)
            self._save()

    def ok(self, part: str) -> bool:
        """Record that `part` works (again); True when it was failing."""
        with self._lock:
            known = self._faults.pop(part, None)
            if known is None:
                return False
            log.info("health: %s back (failing since %s)", part, known["since"])
            self._save()
            return True

    def refresh(self) -> None:
        """Rewrite var/health.json as it is, with the time: a reader can tell a current record from a stale
        one (a stopped service, or a var/ it cannot write)."""
        with self._lock:
            self._save()

    def failing(self, part: str) -> bool:
        with self._lock:
            return part in self._faults

    def snapshot(self) -> HealthRecord:
        with self._lock:
            return {"updated_at": self.clock().isoformat(timespec="seconds"), "pid": os.getpid(),
                    "faults": [FaultRecord(**f) for f in self._faults.values()]}

    def _save(self) -> None:
        if not self.persist:
            return
        data: HealthRecord = {"updated_at": self.clock().isoformat(timespec="seconds"), "pid": os.getpid(),
                              "faults": list(self._faults.values())}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        except OSError as error:  # var/ itself is failing: the log says it (once), the memory keeps it
            if not self._unwritten:
                log.warning("health: cannot write %s: %s", self.path.name, errno_name(error))
            self._unwritten = True
        else:
            self._unwritten = False


def read_health(settings: Settings) -> HealthRecord:
    """What the running service last recorded; no faults when nothing was recorded or it is unreadable."""
    try:
        data = json.loads(health_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"updated_at": None, "pid": None, "faults": []}
    found = data.get("faults") if isinstance(data, dict) else None
    # JSON read back: the records Health wrote, those of a part it knows.
    return {"updated_at": data.get("updated_at"), "pid": data.get("pid"),
            "faults": [cast(FaultRecord, f) for f in found or []
                       if isinstance(f, dict) and f.get("part") in PART_LABELS]}


def describe(fault: Mapping[str, object], now: datetime, zone: tzinfo | None = None) -> str:
    """« base de données injoignable depuis 10 h 32 », « outbox non inscriptible (disque plein) depuis … »."""
    label = PART_LABELS.get(str(fault.get("part")), str(fault.get("part")))
    reason = REASON_LABELS.get(str(fault.get("reason") or ""))
    if reason:
        label += f" ({reason})"
    try:
        return intake_text.failing_since(label, dates.since(str(fault.get("since")), now, zone))
    except ValueError:
        return label


def describe_all(health: Mapping[str, object], now: datetime) -> list[str]:
    """Each recorded fault of `health` (a HealthRecord, or what a caller holds of one), said."""
    found = health.get("faults")
    return [describe(f, now) for f in found if isinstance(f, Mapping)] if isinstance(found, list) else []


def errno_name(error: OSError) -> str:
    import errno

    return errno.errorcode.get(error.errno or 0, type(error).__name__)
