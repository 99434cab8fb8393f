"""Notice: the earliest end a notice can have, and the last day to serve it for a given end."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.calendar import OperationalCalendar
from lifecycle.notice import NoticeRule, earliest_end, fy_ends_between, is_valid_end, latest_service
from lifecycle.periods import Period, Unit

D = dt.date
ONE_DAY = dt.timedelta(days=1)

PROPERTY = settings(max_examples=200, deadline=None, database=None)
DATES = st.dates(min_value=D(1995, 1, 1), max_value=D(2090, 12, 31))
CALENDAR_PERIODS = [
    Period(1, Unit.MONTHS),
    Period(3, Unit.MONTHS),
    Period(6, Unit.MONTHS),
    Period(1, Unit.YEARS),
    Period(3, Unit.YEARS),
    Period(2, Unit.WEEKS),
    Period(30, Unit.DAYS),
]
SIX_MONTHS_FY = NoticeRule(Period(6, Unit.MONTHS), fy_end=True)


# --- six months' notice expiring at the end of a financial year (Halton / St Helens) ---------


@pytest.mark.parametrize(
    ("served", "ends"),
    [
        (D(2009, 9, 30), D(2010, 3, 31)),
        (D(2009, 10, 1), D(2011, 3, 31)),
        (D(2009, 4, 1), D(2010, 3, 31)),
        (D(2010, 3, 31), D(2011, 3, 31)),
        (D(2008, 4, 1), D(2009, 3, 31)),
    ],
)
def test_earliest_end_is_the_first_fy_end_after_the_period(served: dt.date, ends: dt.date) -> None:
    assert earliest_end(SIX_MONTHS_FY, served) == ends


@pytest.mark.parametrize(
    ("end", "latest"),
    [
        (D(2011, 3, 31), D(2010, 9, 30)),
        (D(2010, 3, 31), D(2009, 9, 30)),
        (D(2009, 3, 31), D(2008, 9, 30)),
    ],
)
def test_latest_service_for_a_fy_end_is_30_september(end: dt.date, latest: dt.date) -> None:
    assert latest_service(SIX_MONTHS_FY, end) == latest


def test_is_valid_end_with_fy_end() -> None:
    assert is_valid_end(SIX_MONTHS_FY, D(2009, 9, 30), D(2010, 3, 31))
    assert is_valid_end(SIX_MONTHS_FY, D(2009, 9, 30), D(2011, 3, 31))  # a later year end
    assert not is_valid_end(SIX_MONTHS_FY, D(2009, 10, 1), D(2010, 3, 31))  # too short
    assert not is_valid_end(SIX_MONTHS_FY, D(2009, 9, 30), D(2010, 4, 30))  # not a year end
    assert not is_valid_end(SIX_MONTHS_FY, D(2009, 9, 30), D(2010, 3, 30))


def test_is_valid_end_without_fy_end() -> None:
    rule = NoticeRule(Period(3, Unit.MONTHS))
    assert is_valid_end(rule, D(2024, 1, 15), D(2024, 4, 15))
    assert is_valid_end(rule, D(2024, 1, 15), D(2024, 6, 3))
    assert not is_valid_end(rule, D(2024, 1, 15), D(2024, 4, 14))


# --- without a financial-year end ----------------------------------------------------------


@pytest.mark.parametrize("period", CALENDAR_PERIODS, ids=str)
@pytest.mark.parametrize("served", [D(2023, 8, 31), D(2024, 2, 29), D(2024, 1, 15)])
def test_earliest_end_without_fy_end_is_served_plus_period(period: Period, served: dt.date) -> None:
    assert earliest_end(NoticeRule(period), served) == period.after(served)


def test_earliest_end_without_fy_end_clips_month_ends() -> None:
    assert earliest_end(NoticeRule(Period(6, Unit.MONTHS)), D(2023, 8, 31)) == D(2024, 2, 29)


def test_earliest_end_in_operational_days(calendar: OperationalCalendar) -> None:
    rule = NoticeRule(Period(20, Unit.OPERATIONAL_DAYS))
    assert earliest_end(rule, D(2022, 9, 12), calendar) == D(2022, 10, 11)


@pytest.mark.parametrize(
    ("period", "end", "latest"),
    [
        (Period(1, Unit.MONTHS), D(2023, 9, 30), D(2023, 8, 31)),
        (Period(1, Unit.MONTHS), D(2023, 2, 28), D(2023, 1, 31)),
        (Period(1, Unit.MONTHS), D(2024, 2, 29), D(2024, 1, 31)),
        (Period(1, Unit.MONTHS), D(2024, 4, 30), D(2024, 3, 31)),
        (Period(6, Unit.MONTHS), D(2023, 2, 28), D(2022, 8, 31)),
        (Period(1, Unit.YEARS), D(2025, 2, 28), D(2024, 2, 29)),
    ],
)
def test_latest_service_at_month_ends_is_the_latest_day_that_works(
    period: Period, end: dt.date, latest: dt.date
) -> None:
    assert latest_service(NoticeRule(period), end) == latest


# --- latest_service and earliest_end agree -------------------------------------------------


def assert_agree(rule: NoticeRule, end: dt.date, calendar: OperationalCalendar | None) -> None:
    latest = latest_service(rule, end, calendar)
    assert earliest_end(rule, latest, calendar) <= end
    assert is_valid_end(rule, latest, end, calendar)
    assert earliest_end(rule, latest + ONE_DAY, calendar) > end
    assert not is_valid_end(rule, latest + ONE_DAY, end, calendar)


@PROPERTY
@given(period=st.sampled_from(CALENDAR_PERIODS), end=DATES)
def test_latest_service_agrees_with_earliest_end(period: Period, end: dt.date) -> None:
    assert_agree(NoticeRule(period), end, None)


@PROPERTY
@given(period=st.sampled_from(CALENDAR_PERIODS), year=st.integers(min_value=1995, max_value=2090))
def test_latest_service_agrees_with_earliest_end_at_fy_ends(period: Period, year: int) -> None:
    assert_agree(NoticeRule(period, fy_end=True), D(year, 3, 31), None)


@PROPERTY
@given(count=st.integers(min_value=1, max_value=60), day=DATES)
def test_latest_service_agrees_in_operational_days_ending_on_an_operational_day(
    calendar: OperationalCalendar, count: int, day: dt.date
) -> None:
    end = calendar.next_on_or_after(day)
    assert_agree(NoticeRule(Period(count, Unit.OPERATIONAL_DAYS)), end, calendar)


def test_latest_service_in_operational_days_may_be_a_non_operational_day(
    calendar: OperationalCalendar,
) -> None:
    # Served on Sunday 14 Jan 2024 (day 0), one operational day expires on Monday 15 Jan.
    rule = NoticeRule(Period(1, Unit.OPERATIONAL_DAYS))
    assert latest_service(rule, D(2024, 1, 15), calendar) == D(2024, 1, 14)


@pytest.mark.parametrize(
    ("rule", "end", "latest"),
    [
        # Saturday 6 Jan 2024: notice served Thursday expires Friday; served Friday, Monday.
        (NoticeRule(Period(1, Unit.OPERATIONAL_DAYS)), D(2024, 1, 6), D(2024, 1, 4)),
        # 31 Mar 2024 is Easter Sunday (29 Mar Good Friday, 1 Apr Easter Monday).
        (
            NoticeRule(Period(20, Unit.OPERATIONAL_DAYS), fy_end=True),
            D(2024, 3, 31),
            D(2024, 2, 29),
        ),
    ],
)
def test_latest_service_in_operational_days_ending_on_a_non_operational_day(
    calendar: OperationalCalendar, rule: NoticeRule, end: dt.date, latest: dt.date
) -> None:
    assert latest_service(rule, end, calendar) == latest
    assert_agree(rule, end, calendar)


# --- fy_ends_between -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (D(2008, 4, 1), D(2011, 3, 31), [D(2009, 3, 31), D(2010, 3, 31), D(2011, 3, 31)]),
        (D(2009, 3, 31), D(2009, 3, 31), [D(2009, 3, 31)]),
        (D(2009, 4, 1), D(2010, 3, 30), []),
        (D(2010, 1, 1), D(2012, 4, 1), [D(2010, 3, 31), D(2011, 3, 31), D(2012, 3, 31)]),
        (D(2012, 4, 1), D(2010, 1, 1), []),
    ],
)
def test_fy_ends_between(first: dt.date, last: dt.date, expected: list[dt.date]) -> None:
    assert fy_ends_between(first, last) == expected
