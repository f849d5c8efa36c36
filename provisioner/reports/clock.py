"""Times shown to people: in Casablanca time, the clock of everyone who reads them.

The store holds UTC (a naive time from it is UTC). Without a time-zone
database on the host, UTC, and then every shown time says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PEOPLE_TIMEZONE = "Africa/Casablanca"

try:
    LOCAL: tzinfo = ZoneInfo(PEOPLE_TIMEZONE)
    SUFFIX = ""
except ZoneInfoNotFoundError:
    LOCAL = UTC
    SUFFIX = " UTC"


def aware(moment: datetime) -> datetime:
    """`moment` with its offset: a naive time (from the store) is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local(moment: datetime) -> datetime:
    return aware(moment).astimezone(LOCAL)


def short(moment: datetime) -> str:
    """`2026-11-26 14:05` in Casablanca time, for tables."""
    return f"{local(moment):%Y-%m-%d %H:%M}{SUFFIX}"


def french(moment: datetime) -> str:
    """`26/11/2026 à 14:05` in Casablanca time, for sentences."""
    return f"{local(moment):%d/%m/%Y à %H:%M}{SUFFIX}"
