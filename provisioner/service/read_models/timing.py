"""How long things have waited, and for how long the Agence Virtuelle lets them."""

from __future__ import annotations

from datetime import timedelta

SUBSCRIPTION_OVERDUE = timedelta(hours=48)  # the fund's promise once the signed form arrives
RECENT = timedelta(hours=24)  # "the last 24 hours" of the counts


def hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)
