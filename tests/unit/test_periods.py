"""Periods: reading "6 months" or "20 operational days", and calendar-month arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError, PeriodError
from lifecycle.periods import Period, Unit, add_months, term_end

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6 months", Period(6, Unit.MONTHS)),
        ("six months", Period(6, Unit.MONTHS)),
        ("Six Months", Period(6, Unit.MONTHS)),
        ("1 month", Period(1, Unit.MONTHS)),
        ("20 operational days", Period(20, Unit.OPERATIONAL_DAYS)),
        ("20 working days", Period(20, Unit.OPERATIONAL_DAYS)),
        ("1 year", Period(1, Unit.YEARS)),
        ("nine years", Period(9, Unit.YEARS)),
        ("2 weeks", Period(2, Unit.WEEKS)),
        ("30 days", Period(30, Unit.DAYS)),
        ("  3 years  ", Period(3, Unit.YEARS)),
    ],
)
def test_parse(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0 months",
        "0 operational days",
        "-3 months",
        "-1 day",
        "6 fortnights",
        "6 moons",
        "many months",
        "six",
        "months",
        "soon",
        "",
        "1.5 months",
        "six months and a day",
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(PeriodError) as raised:
        Period.parse(text)
    assert raised.value.text == text
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, ConcordatError)


def test_str_reads_back() -> None:
    assert str(Period(6, Unit.MONTHS)) == "6 months"
    assert str(Period(1, Unit.YEARS)) == "1 year"
    assert str(Period(20, Unit.OPERATIONAL_DAYS)) == "20 operational days"
    for period in (Period(1, Unit.OPERATIONAL_DAYS), Period(2, Unit.WEEKS), Period(1, Unit.DAYS)):
        assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (D(2023, 8, 31), "6 months", D(2024, 2, 29)),
        (D(2022, 8, 31), "6 months", D(2023, 2, 28)),
        (D(2024, 2, 29), "1 year", D(2025, 2, 28)),
        (D(2024, 2, 29), "4 years", D(2028, 2, 29)),
        (D(2024, 1, 31), "1 month", D(2024, 2, 29)),
        (D(2024, 3, 31), "1 month", D(2024, 4, 30)),
        (D(2024, 12, 25), "2 weeks", D(2025, 1, 8)),
        (D(2024, 2, 28), "2 days", D(2024, 3, 1)),
    ],
)
def test_after_adds_calendar_lengths(start: dt.date, period: str, expected: dt.date) -> None:
    assert Period.parse(period).after(start) == expected


def test_before_subtracts_calendar_lengths() -> None:
    assert Period.parse("6 months").before(D(2024, 3, 31)) == D(2023, 9, 30)
    assert Period.parse("1 month").before(D(2023, 3, 31)) == D(2023, 2, 28)
    assert Period.parse("1 year").before(D(2025, 2, 28)) == D(2024, 2, 28)


def test_add_months_clips_to_the_month_end() -> None:
    assert add_months(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert add_months(D(2022, 8, 31), 6) == D(2023, 2, 28)
    assert add_months(D(2024, 5, 31), -3) == D(2024, 2, 29)


def test_operational_days_count_on_the_calendar(calendar: OperationalCalendar) -> None:
    period = Period.parse("20 operational days")
    assert period.needs_calendar
    assert period.after(D(2022, 9, 12), calendar) == D(2022, 10, 11)
    assert period.before(D(2022, 10, 11), calendar) == D(2022, 9, 12)


def test_operational_days_without_a_calendar_are_refused() -> None:
    period = Period.parse("5 working days")
    with pytest.raises(PeriodError):
        period.after(D(2024, 1, 1))
    with pytest.raises(PeriodError):
        period.as_relativedelta()


def test_calendar_lengths_need_no_calendar() -> None:
    assert not Period.parse("6 months").needs_calendar
    assert not Period.parse("10 days").needs_calendar


@pytest.mark.parametrize(
    ("start", "term", "expected"),
    [
        (D(2008, 4, 1), "3 years", D(2011, 3, 31)),
        (D(2024, 10, 1), "nine years", D(2033, 9, 30)),
        (D(2019, 4, 1), "5 years", D(2024, 3, 31)),
        (D(2019, 4, 1), "3 months", D(2019, 6, 30)),
        # D + N years - 1 day, literally: 29 Feb 2024 + 1 year = 28 Feb 2025, less a day.
        (D(2024, 2, 29), "1 year", D(2025, 2, 27)),
    ],
)
def test_term_end_is_the_day_before_start_plus_term(
    start: dt.date, term: str, expected: dt.date
) -> None:
    assert term_end(start, Period.parse(term)) == expected


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
    st.integers(min_value=-1200, max_value=1200),
)
@settings(max_examples=500, database=None)
def test_add_months_is_relativedelta(day: dt.date, months: int) -> None:
    assert add_months(day, months) == day + relativedelta(months=months)
