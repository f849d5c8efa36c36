"""Times shown to people: in Casablanca time, the clock of everyone who reads them.

The store holds UTC (a naive time from it is UTC); rapport.json holds ISO
strings. Without a time-zone database on the host, UTC, and then every shown
time that did not name its zone says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PEOPLE_TIMEZONE = "Africa/Casablanca"
NBSP = "\u00a0"  # French typography: before « : » and inside « », in `14 h 05`

_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


@cache
def zone(name: str = PEOPLE_TIMEZONE) -> tzinfo:
    """The named zone; UTC when the host has no time-zone data (a true time still, said as UTC)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


LOCAL = zone()
SUFFIX = "" if LOCAL is not UTC else " UTC"


def aware(moment: datetime | str) -> datetime:
    """`moment` with its offset: an ISO string is parsed, a naive time (from the store) is UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local(moment: datetime | str, tz: tzinfo | None = None) -> datetime:
    """`moment` on the readers' clock (`tz`, Casablanca by default)."""
    return aware(moment).astimezone(tz or LOCAL)


def _suffix(tz: tzinfo | None) -> str:
    # " UTC" marks the readers' clock when it fell back to UTC; a zone the caller names is the caller's to say.
    return SUFFIX if tz is None or tz is LOCAL else ""


def short(moment: datetime) -> str:
    """`2026-11-26 14:05` in Casablanca time, for tables."""
    return f"{local(moment):%Y-%m-%d %H:%M}{SUFFIX}"


def french(value: datetime | str | None, tz: tzinfo | None = None) -> str:
    """`26/11/2026 à 14:05` in Casablanca time (or `tz`), for sentences and pages; '' for nothing."""
    if value is None or value == "":
        return ""
    return f"{local(value, tz):%d/%m/%Y à %H:%M}{_suffix(tz)}"


def day(value: datetime | str, tz: tzinfo | None = None) -> str:
    """`26/11/2026`, the day in Casablanca time (a form's date)."""
    return f"{local(value, tz):%d/%m/%Y}"


def since(moment: datetime | str, now: datetime, tz: tzinfo | None = None) -> str:
    """`10 h 32` today, `le 25/11/2026 à 10 h 32` before: when something began, on the readers' clock."""
    start, today = local(moment, tz), local(now, tz)
    when = f"{start:%H} h {start:%M}"
    return when if start.date() == today.date() else f"le {start:%d/%m/%Y} à {when}"


def date_fr(value: datetime | str | None, with_time: bool = True) -> str:
    """`26 novembre 2026 à 14 h 05` (Casablanca time), for emails; ISO strings (rapport.json) accepted."""
    if value is None or value == "":
        return ""
    moment = local(value)
    day_number = "1er" if moment.day == 1 else str(moment.day)
    text = f"{day_number} {_MONTHS[moment.month - 1]} {moment.year}"
    if with_time:
        text += f" à {moment.hour}{NBSP}h{NBSP}{moment.minute:02d}{SUFFIX}"
    return text
