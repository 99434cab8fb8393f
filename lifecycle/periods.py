"""Periods such as "6 months", "3 years" or "20 operational days", and calendar arithmetic.

Months and years are added as `dateutil.relativedelta` does (31 Aug + 6 months = 28/29 Feb);
operational days need a calendar and are counted by `OperationalCalendar.add`.
"""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import PeriodError


class Unit(StrEnum):
    """The units a period may be written in."""

    DAYS = "days"
    OPERATIONAL_DAYS = "operational days"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


_UNIT_WORDS: dict[str, Unit] = {
    "day": Unit.DAYS,
    "calendar day": Unit.DAYS,
    "operational day": Unit.OPERATIONAL_DAYS,
    "working day": Unit.OPERATIONAL_DAYS,
    "business day": Unit.OPERATIONAL_DAYS,
    "week": Unit.WEEKS,
    "month": Unit.MONTHS,
    "calendar month": Unit.MONTHS,
    "year": Unit.YEARS,
}
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a": 1,
    "an": 1,
}
_PERIOD = re.compile(r"^\s*(?P<number>-?\d+|[a-z]+)\s+(?P<unit>[a-z ]+?)s?\s*$")


@dataclass(frozen=True, order=True)
class Period:
    """A positive length of time in one unit."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read "6 months", "six months", "20 operational days", "1 year"; refuse zero or less."""
        match = _PERIOD.match(text.lower())
        if match is None:
            raise PeriodError(text, 'expected "<number> <unit>", such as "6 months"')
        number, unit_word = match["number"], match["unit"].strip()
        amount = int(number) if number.lstrip("-").isdigit() else _NUMBER_WORDS.get(number)
        if amount is None:
            raise PeriodError(text, f"{number!r} is not a number")
        unit = _UNIT_WORDS.get(unit_word)
        if unit is None:
            known = ", ".join(sorted({u.value for u in Unit}))
            raise PeriodError(text, f"unknown unit {unit_word!r} (known: {known})")
        if amount <= 0:
            raise PeriodError(text, "a period must be greater than zero")
        return cls(amount, unit)

    def __str__(self) -> str:
        word = self.unit.value if self.amount != 1 else self.unit.value[:-1]
        return f"{self.amount} {word}"

    @property
    def needs_calendar(self) -> bool:
        """True for operational days, which can only be counted with a calendar."""
        return self.unit is Unit.OPERATIONAL_DAYS

    def after(self, day: dt.date, calendar: OperationalCalendar | None = None) -> dt.date:
        """`day` plus this period."""
        return self._shift(day, 1, calendar)

    def before(self, day: dt.date, calendar: OperationalCalendar | None = None) -> dt.date:
        """`day` minus this period."""
        return self._shift(day, -1, calendar)

    def _shift(self, day: dt.date, sign: int, calendar: OperationalCalendar | None) -> dt.date:
        unit, amount = self.unit, sign * self.amount
        if unit is Unit.DAYS:
            return day + dt.timedelta(days=amount)
        if unit is Unit.WEEKS:
            return day + dt.timedelta(weeks=amount)
        if unit is Unit.MONTHS:
            return add_months(day, amount)
        if unit is Unit.YEARS:
            return add_months(day, 12 * amount)
        if calendar is None:
            raise PeriodError(str(self), "operational days need a calendar")
        return calendar.add(day, amount)

    def longest(self) -> dt.timedelta:
        """A calendar length never shorter than the period, wherever it starts (operational
        days counted generously: three calendar days each, plus two weeks of holidays)."""
        days_per_unit = {
            Unit.DAYS: 1,
            Unit.OPERATIONAL_DAYS: 3,
            Unit.WEEKS: 7,
            Unit.MONTHS: 31,
            Unit.YEARS: 366,
        }
        slack = 14 if self.unit is Unit.OPERATIONAL_DAYS else 0
        return dt.timedelta(days=self.amount * days_per_unit[self.unit] + slack)

    def as_relativedelta(self) -> relativedelta:
        """The period as a `relativedelta`; operational days have none."""
        if self.unit is Unit.DAYS:
            return relativedelta(days=self.amount)
        if self.unit is Unit.WEEKS:
            return relativedelta(weeks=self.amount)
        if self.unit is Unit.MONTHS:
            return relativedelta(months=self.amount)
        if self.unit is Unit.YEARS:
            return relativedelta(years=self.amount)
        raise PeriodError(str(self), "operational days are not a fixed calendar length")


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar-month arithmetic, clipping to the month's end (31 Aug + 6 = 28/29 Feb).

    The same result as `day + relativedelta(months=months)` (a property test holds it to
    that), without building a relativedelta on every call: reminders call this millions of
    times when thousands of agreements are planned.
    """
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month_index + 1, min(day.day, _month_length(year, month_index + 1)))


_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    if month == 2 and calendar_module.isleap(year):
        return 29
    return _MONTH_LENGTHS[month - 1]


def term_end(start: dt.date, term: Period, calendar: OperationalCalendar | None = None) -> dt.date:
    """The last day of a term: a term of 3 years from 1 Apr 2008 ends on 31 Mar 2011."""
    return term.after(start, calendar) - dt.timedelta(days=1)
