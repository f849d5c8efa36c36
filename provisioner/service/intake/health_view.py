"""The health as a reader outside the service sees it (`status`, `provisioner dashboard`): what the running
service last recorded in var/health.json, unless that is too old to trust, plus the reader's own probes.

A full or read-only var/ is exactly when the running service cannot rewrite health.json: the file then
keeps saying « aucune anomalie ». So the running service rewrites it every round (its `updated_at` is a
heartbeat), a reader says when it is older than `stale_after`, and it probes the folders itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from provisioner.service.intake import faults
from provisioner.service.intake.health import HealthRecord, describe, describe_all
from provisioner.service.intake.probes import folder_fault, probe_folder
from provisioner.wording import dates
from provisioner.wording import intake as intake_text

if TYPE_CHECKING:
    from provisioner.config import Settings

ROUND_ALLOWANCE = timedelta(minutes=5)  # a round with a large workbook in hand rewrites nothing meanwhile


def stale_after(settings: Settings) -> timedelta:
    return max(ROUND_ALLOWANCE, timedelta(seconds=3 * settings.poll_seconds))


def own_faults(settings: Settings) -> list[faults.Fault]:
    """The folders the reader can probe now (the database is tried by the reader's own query); one that does
    not exist yet is the service's to create, not a reader's."""
    found = []
    for part, folder in faults.folders(settings):
        if not folder.is_dir():
            continue
        try:
            probe_folder(folder)
        except OSError as error:
            found.append(folder_fault(part, error))
    return found


def assess(settings: Settings, recorded: HealthRecord, now: datetime) -> tuple[list[str], bool]:
    """What to say (the recorded faults, whether the record is too old, what the reader's probes find), and
    whether the record is not to be trusted (too old, or a fault it does not hold)."""
    said = describe_all(recorded, now)
    untrusted = False
    updated = recorded.get("updated_at")
    if updated:
        try:
            age = now - datetime.fromisoformat(str(updated))
        except (TypeError, ValueError):
            age = None
        if age is not None and age > stale_after(settings):
            untrusted = True
            said.append(intake_text.health_stale(dates.since(str(updated), now)))
    recorded_parts = {f["part"] for f in recorded["faults"]}
    for fault in own_faults(settings):
        if fault.part not in recorded_parts:
            untrusted = True
            said.append(describe({"part": fault.part, "reason": fault.reason, "since": now.isoformat()}, now))
    return said, untrusted
