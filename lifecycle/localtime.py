"""Local wall-clock times that an administrator types, checked against the time zone.

A naive local time can name no instant (it falls in the hour skipped when the clocks go
forward) or two (the hour repeated when they go back). `datetime` silently picks one in both
cases, which would move a meeting to a time nobody asked for, so these are refused instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from lifecycle.errors import AmbiguousLocalTime, NonexistentLocalTime


@dataclass(frozen=True)
class LocalStart:
    """A new start as typed: a day, its local time if one was given, and the zone it is in.
    Without a time, the meeting keeps its own configured time."""

    day: dt.date
    time: dt.time | None
    zone: ZoneInfo


def resolve(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The one instant a naive local time names in `zone`, as an aware datetime.

    Both readings (fold=0 and fold=1) are taken through UTC and back: when they agree the
    time is ordinary; when the round trip changes the wall time it fell in a gap; when the
    two readings are different instants with the same wall time it is ambiguous.
    """
    if local.tzinfo is not None:
        raise ValueError("resolve() takes a naive local time")
    earlier = _round_trip(local.replace(fold=0), zone)
    later = _round_trip(local.replace(fold=1), zone)
    if earlier.replace(tzinfo=None) != local or later.replace(tzinfo=None) != local:
        before, after = sorted((earlier, later), key=_instant)
        raise NonexistentLocalTime(local, zone.key, before, after)
    if earlier.utcoffset() != later.utcoffset():
        first, second = sorted((earlier, later), key=_instant)
        raise AmbiguousLocalTime(local, zone.key, first, second)
    return earlier


def _instant(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC: aware datetimes sharing one zone compare by wall time, not instant."""
    return moment.astimezone(dt.UTC)


def _round_trip(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The local time read in `zone` (its fold choosing the offset), to UTC and back."""
    return local.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
