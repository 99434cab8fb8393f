"""Operational days and financial years.

An operational day is any day other than a Saturday, Sunday, bank holiday in England or a
configured closure day. The calendar precomputes, once, the ordinal numbers of every
operational day in its range and, for every day, how many operational days come before it, so
that every query is two array look-ups: O(1) per call however long the span, never a
day-by-day walk. The range check is written out in each query rather than shared: a plan of
thousands of agreements makes millions of these calls, and the extra call was a fifth of it.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Iterable
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
        offset = day.toordinal() - self._origin
        before = self._before
        if not 0 <= offset < len(before) - 1:
            raise CalendarRangeError(day, self.first, self.last)
        return before[offset + 1] > before[offset]

    def add(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th operational day after `day` (before it when `count` is negative).

        `day` itself is day 0 whether or not it is operational, so `add(d, 1)` is the next
        operational day strictly after `d` and `add(d, -1)` the last one strictly before it.
        """
        offset = day.toordinal() - self._origin
        before = self._before
        if not 0 <= offset < len(before) - 1:
            raise CalendarRangeError(day, self.first, self.last)
        if count == 0:
            return day
        # forward, day 1 is the first operational day after `day`
        index = before[offset + 1] + count - 1 if count > 0 else before[offset] + count
        return self._day_at(index, day)

    def adder(self, count: int) -> Callable[[dt.date], dt.date]:
        """`lambda day: self.add(day, count)` for a count fixed in advance, as one function
        over the calendar's arrays: a plan calls it for every operational-day reminder."""
        if count == 0:
            return lambda day: self.add(day, 0)
        before, ordinals, origin = self._before, self._ordinals, self._origin
        days, days_open = len(before) - 1, len(ordinals)
        shift = count - 1 if count > 0 else count
        after = 1 if count > 0 else 0
        fromordinal, refuse = dt.date.fromordinal, self._refuse

        def add(day: dt.date) -> dt.date:
            offset = day.toordinal() - origin
            if not 0 <= offset < days:
                raise refuse(day)
            index = before[offset + after] + shift
            if not 0 <= index < days_open:
                raise refuse(day)
            return fromordinal(ordinals[index])

        return add

    def on_or_before_shifted(self, days: int) -> Callable[[dt.date], dt.date]:
        """`lambda day: self.previous_on_or_before(day - timedelta(days))` as one function
        over the calendar's arrays: a plan calls it for every reminder a number of calendar
        days or weeks ahead."""
        before, ordinals, origin = self._before, self._ordinals, self._origin
        last_offset, fromordinal, refuse = len(before) - 1, dt.date.fromordinal, self._refuse

        def on_or_before(day: dt.date) -> dt.date:
            ordinal = day.toordinal() - days
            offset = ordinal - origin
            if not 0 <= offset < last_offset:
                raise refuse(fromordinal(ordinal))
            open_before = before[offset + 1]
            if open_before > before[offset]:
                return fromordinal(ordinal)
            if open_before == 0:
                raise refuse(fromordinal(ordinal))
            return fromordinal(ordinals[open_before - 1])

        return on_or_before

    def _refuse(self, day: dt.date) -> CalendarRangeError:
        return CalendarRangeError(day, self.first, self.last)

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
        offset = day.toordinal() - self._origin
        before = self._before
        if not 0 <= offset < len(before) - 1:
            raise CalendarRangeError(day, self.first, self.last)
        if before[offset + 1] > before[offset]:
            return day
        return self._day_at(before[offset], day)

    def previous_on_or_before(self, day: dt.date) -> dt.date:
        """`day` if it is operational, else the last operational day before it."""
        offset = day.toordinal() - self._origin
        before = self._before
        if not 0 <= offset < len(before) - 1:
            raise CalendarRangeError(day, self.first, self.last)
        if before[offset + 1] > before[offset]:
            return day  # the common case, and the cheapest answer
        return self._day_at(before[offset + 1] - 1, day)

    def _day_at(self, index: int, asked: dt.date) -> dt.date:
        ordinals = self._ordinals
        if not 0 <= index < len(ordinals):
            raise CalendarRangeError(asked, self.first, self.last)
        return dt.date.fromordinal(ordinals[index])

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
