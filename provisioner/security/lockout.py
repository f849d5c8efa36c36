"""When a company's workbooks stop being accepted after failed authentications.

Pure functions over the company's counters (`adherents.failed_auth`,
`adherents.locked_until`), so the rules are tested without a database. Times
are aware UTC datetimes. After `lock_after` failures in a row the company is
locked for `lock_minutes`; the lock then lifts by itself (or the Agence
Virtuelle unlocks it, which is `after_success`). A failure after the lock has
lifted starts counting again from one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple


class LockState(NamedTuple):
    failed_auth: int
    locked_until: datetime | None


class AfterFailure(NamedTuple):
    failed_auth: int
    locked_until: datetime | None
    just_locked: bool  # this failure set the lock: time to notify the delegate


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """True while the lock holds: the workbook is refused without checking its password."""
    return locked_until is not None and now < locked_until


def after_failure(
    failed_auth: int,
    locked_until: datetime | None,
    now: datetime,
    *,
    lock_after: int,
    lock_minutes: float,
) -> AfterFailure:
    """The counters after one more wrong password. `lock_after` 0 never locks."""
    if is_locked(locked_until, now):
        # Not counted, and the lock is not extended: retrying cannot keep a
        # company locked out longer than the attacker's own pace allows.
        return AfterFailure(failed_auth, locked_until, False)
    if locked_until is not None:  # the lock has lifted: a fresh series
        failed_auth = 0
    failed_auth += 1
    if lock_after > 0 and failed_auth >= lock_after:
        return AfterFailure(failed_auth, now + timedelta(minutes=lock_minutes), True)
    return AfterFailure(failed_auth, None, False)


def after_success() -> LockState:
    """The counters after a right password, or an unlock by the Agence Virtuelle."""
    return LockState(0, None)
