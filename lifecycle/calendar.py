"""Operational days and financial years.

An operational day is any day other than a Saturday, Sunday, bank holiday in England or a
configured closure day. The calendar precomputes, once, the ordinal numbers of every
operational day in its range and, for every day, how many operational days come before it, so
that every query is two array look-ups: O(1) per call however long the span, never a
day-by-day walk.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from lifecycle.errors import CalendarRangeError

SATURDAY = 5


@dataclass(frozen=True)
class OperationalCalendar:
    """The operational days between `first` and `last` inclusive.

    `closed` holds every non-weekend day on which the organisations are closed (bank holidays
    plus closure days). Dates outside the range raise `CalendarRangeError` rather than
    silently giving a wrong answer.
    """

    first: dt.date
    last: dt.date
    closed: frozenset[dt.date]
    _ordinals: list[int] = field(init=False, repr=False, compare=False)
    _before: array[int] = field(init=False, repr=False, compare=False)
    _origin: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        origin = self.first.toordinal()
        ordinals: list[int] = []
        before = array("l", [0])  # before[k]: operational days strictly before day origin + k
        for ordinal in range(origin, self.last.toordinal() + 1):
            if _is_open(dt.date.fromordinal(ordinal), self.closed):
                ordinals.append(ordinal)
            before.append(len(ordinals))
        object.__setattr__(self, "_ordinals", ordinals)
        object.__setattr__(self, "_before", before)
        object.__setattr__(self, "_origin", origin)

    @classmethod
    def build(
        cls, first_year: int, last_year: int, closed_days: Iterable[dt.date]
    ) -> OperationalCalendar:
        """Build the calendar for whole years, ignoring closed days outside them."""
        first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
        closed = frozenset(day for day in closed_days if first <= day <= last)
        return cls(first=first, last=last, closed=closed)

    def is_operational(self, day: dt.date) -> bool:
        """True when `day` is neither a weekend nor a closed day."""
        offset = self._offset(day)
        return self._before[offset + 1] > self._before[offset]

    def add(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th operational day after `day` (before it when `count` is negative).

        `day` itself is day 0 whether or not it is operational, so `add(d, 1)` is the next
        operational day strictly after `d` and `add(d, -1)` the last one strictly before it.
        """
        offset = self._offset(day)
        if count == 0:
            return day
        forward = count > 0  # forward, day 1 is the first operational day after `day`
        index = self._before[offset + 1] + count - 1 if forward else self._before[offset] + count
        return self._day_at(index, day)

    def count_between(self, start: dt.date, end: dt.date) -> int:
        """Operational days after `start` up to and including `end`; when `end` is before
        `start`, minus the operational days from `end` up to but excluding `start`.

        This is the inverse of `add`: `count_between(d, add(d, n)) == n` for every n.
        """
        start_offset, end_offset = self._offset(start), self._offset(end)
        if end < start:
            # Going back, day 0 is `start` and the days counted are [end, start).
            return self._before[end_offset] - self._before[start_offset]
        return self._before[end_offset + 1] - self._before[start_offset + 1]

    def next_on_or_after(self, day: dt.date) -> dt.date:
        """`day` if it is operational, else the first operational day after it."""
        return self._day_at(self._before[self._offset(day)], day)

    def previous_on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is operational, else the last operational day before it."""
        offset = self._offset(day)
        before = self._before
        if before[offset + 1] > before[offset]:
            return day  # the common case, and the cheapest answer
        return self._day_at(before[offset + 1] - 1, day)

    def _day_at(self, index: int, asked: dt.date) -> dt.date:
        if not 0 <= index < len(self._ordinals):
            raise CalendarRangeError(asked, self.first, self.last)
        return dt.date.fromordinal(self._ordinals[index])

    def _offset(self, day: dt.date) -> int:
        """Days since the calendar's first day; refuses days outside the range."""
        offset = day.toordinal() - self._origin
        if not 0 <= offset < len(self._before) - 1:
            raise CalendarRangeError(day, self.first, self.last)
        return offset


def _is_open(day: dt.date, closed: frozenset[dt.date]) -> bool:
    return day.weekday() < SATURDAY and day not in closed


def financial_year_end(day: dt.date) -> dt.date:
    """The 31 March that ends the financial year (1 April to 31 March) containing `day`."""
    year = day.year if day.month <= 3 else day.year + 1
    return dt.date(year, 3, 31)


def financial_year_start(day: dt.date) -> dt.date:
    """The 1 April that starts the financial year containing `day`."""
    return dt.date(financial_year_end(day).year - 1, 4, 1)


def financial_year_label(day: dt.date) -> str:
    """The usual label of the financial year containing `day`, such as "2022/23"."""
    start = financial_year_start(day).year
    return f"{start}/{(start + 1) % 100:02d}"
