"""Operational days and financial years.

An operational day is any day other than a Saturday, Sunday, bank holiday in England or a
configured closure day. The calendar precomputes the ordinal numbers of every operational day
in its range once, so that every query is a binary search: O(log n) per call however long the
span, never a day-by-day walk.
"""

from __future__ import annotations

import bisect
import datetime as dt
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

    def __post_init__(self) -> None:
        ordinals = [
            ordinal
            for ordinal in range(self.first.toordinal(), self.last.toordinal() + 1)
            if _is_open(dt.date.fromordinal(ordinal), self.closed)
        ]
        object.__setattr__(self, "_ordinals", ordinals)

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
        self._check(day)
        return _is_open(day, self.closed)

    def add(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th operational day after `day` (before it when `count` is negative).

        `day` itself is day 0 whether or not it is operational, so `add(d, 1)` is the next
        operational day strictly after `d` and `add(d, -1)` the last one strictly before it.
        """
        self._check(day)
        if count == 0:
            return day
        ordinal = day.toordinal()
        if count > 0:
            index = bisect.bisect_right(self._ordinals, ordinal) + count - 1
        else:
            index = bisect.bisect_left(self._ordinals, ordinal) + count
        return self._day_at(index, day)

    def count_between(self, start: dt.date, end: dt.date) -> int:
        """Operational days after `start` up to and including `end`; when `end` is before
        `start`, minus the operational days from `end` up to but excluding `start`.

        This is the inverse of `add`: `count_between(d, add(d, n)) == n` for every n.
        """
        self._check(start)
        self._check(end)
        if end < start:
            # Going back, day 0 is `start` and the days counted are [end, start).
            return bisect.bisect_left(self._ordinals, end.toordinal()) - bisect.bisect_left(
                self._ordinals, start.toordinal()
            )
        return bisect.bisect_right(self._ordinals, end.toordinal()) - bisect.bisect_right(
            self._ordinals, start.toordinal()
        )

    def next_on_or_after(self, day: dt.date) -> dt.date:
        """`day` if it is operational, else the first operational day after it."""
        self._check(day)
        index = bisect.bisect_left(self._ordinals, day.toordinal())
        return self._day_at(index, day)

    def previous_on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is operational, else the last operational day before it."""
        self._check(day)
        index = bisect.bisect_right(self._ordinals, day.toordinal()) - 1
        return self._day_at(index, day)

    def _day_at(self, index: int, asked: dt.date) -> dt.date:
        if not 0 <= index < len(self._ordinals):
            raise CalendarRangeError(asked, self.first, self.last)
        return dt.date.fromordinal(self._ordinals[index])

    def _check(self, day: dt.date) -> None:
        if not self.first <= day <= self.last:
            raise CalendarRangeError(day, self.first, self.last)


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
