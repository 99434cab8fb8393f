"""Operational days (England) and financial years, as domain.md defines them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.calendar import (
    OperationalCalendar,
    financial_year_end,
    financial_year_label,
    financial_year_start,
)
from lifecycle.errors import CalendarRangeError, ConcordatError

D = dt.date
ONE_DAY = dt.timedelta(days=1)

PROPERTY = settings(max_examples=200, deadline=None, database=None)
DATES = st.dates(min_value=D(1995, 1, 1), max_value=D(2090, 12, 31))


def naive_is_operational(day: dt.date, closed: frozenset[dt.date]) -> bool:
    """The definition itself, with no precomputed index: not a weekend, not a closed day."""
    return day.weekday() < 5 and day not in closed


def naive_add(day: dt.date, count: int, closed: frozenset[dt.date]) -> dt.date:
    """Walk day by day: `day` is day 0, each operational day met counts one."""
    step = ONE_DAY if count > 0 else -ONE_DAY
    remaining = abs(count)
    while remaining:
        day += step
        if naive_is_operational(day, closed):
            remaining -= 1
    return day


# --- which days are operational -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2011, 4, 29), "royal wedding"),
        (D(2012, 6, 4), "diamond jubilee: moved spring bank holiday"),
        (D(2012, 6, 5), "diamond jubilee: extra bank holiday"),
        (D(2020, 5, 8), "VE day: moved early May bank holiday"),
        (D(2022, 6, 2), "platinum jubilee: moved spring bank holiday"),
        (D(2022, 6, 3), "platinum jubilee: extra bank holiday"),
        (D(2022, 9, 19), "state funeral of Queen Elizabeth II"),
        (D(2023, 5, 8), "coronation of King Charles III"),
        (D(2022, 12, 26), "Boxing Day"),
        (D(2022, 12, 27), "substitute for Christmas Day on a Sunday"),
        (D(2020, 12, 28), "substitute for Boxing Day on a Saturday"),
        (D(2022, 1, 3), "substitute for New Year's Day on a Saturday"),
        (D(2023, 1, 2), "substitute for New Year's Day on a Sunday"),
        (D(2024, 3, 29), "Good Friday"),
        (D(2024, 4, 1), "Easter Monday"),
        (D(2024, 8, 26), "summer bank holiday"),
    ],
)
def test_bank_holidays_are_not_operational(
    calendar: OperationalCalendar, day: dt.date, why: str
) -> None:
    assert day.weekday() < 5, "the example must be a weekday to test the holiday list"
    assert not calendar.is_operational(day), why


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (D(2012, 5, 28), "the 2012 spring bank holiday was moved to 4 June"),
        (D(2020, 5, 4), "the 2020 early May bank holiday was moved to 8 May"),
        (D(2022, 5, 30), "the 2022 spring bank holiday was moved to 2 June"),
        (D(2022, 9, 20), "the day after the state funeral"),
        (D(2022, 12, 28), "the first working day after Christmas 2022"),
        (D(2024, 3, 28), "the Thursday before Good Friday"),
    ],
)
def test_ordinary_weekdays_are_operational(
    calendar: OperationalCalendar, day: dt.date, why: str
) -> None:
    assert calendar.is_operational(day), why


@pytest.mark.parametrize("day", [D(2022, 9, 17), D(2022, 9, 18), D(2020, 12, 26)])
def test_weekends_are_not_operational(calendar: OperationalCalendar, day: dt.date) -> None:
    assert not calendar.is_operational(day)


def test_closure_days_passed_in_are_not_operational() -> None:
    closure = D(2024, 12, 24)  # a Tuesday: an office closure, not a bank holiday
    calendar = OperationalCalendar.build(2024, 2024, {closure, D(2024, 12, 25), D(2024, 12, 26)})
    assert not calendar.is_operational(closure)
    assert calendar.is_operational(D(2024, 12, 23))
    assert calendar.add(D(2024, 12, 23), 1) == D(2024, 12, 27)
    assert calendar.next_on_or_after(closure) == D(2024, 12, 27)


def test_build_ignores_closed_days_outside_its_years() -> None:
    calendar = OperationalCalendar.build(2024, 2024, {D(2023, 12, 25), D(2024, 12, 25)})
    assert calendar.closed == frozenset({D(2024, 12, 25)})
    assert (calendar.first, calendar.last) == (D(2024, 1, 1), D(2024, 12, 31))


# --- add: day 0 is the starting day ---------------------------------------------------------


def test_sefton_dispute_window_skips_the_state_funeral(calendar: OperationalCalendar) -> None:
    notified = D(2022, 9, 12)
    closes = calendar.add(notified, 20)
    assert closes == D(2022, 10, 11)
    assert calendar.add(closes, 1) == D(2022, 10, 12)
    assert calendar.count_between(notified, closes) == 20


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2022, 9, 15), D(2022, 9, 16)),  # Thursday -> Friday
        (D(2022, 9, 16), D(2022, 9, 20)),  # Friday -> Tuesday (weekend, then state funeral)
        (D(2022, 9, 17), D(2022, 9, 20)),  # Saturday is day 0 too
        (D(2022, 9, 18), D(2022, 9, 20)),  # Sunday
        (D(2022, 9, 19), D(2022, 9, 20)),  # the holiday itself is day 0
        (D(2022, 12, 24), D(2022, 12, 28)),  # Christmas on a Sunday: 26 and 27 Dec closed
    ],
)
def test_add_one_is_the_next_operational_day_strictly_after(
    calendar: OperationalCalendar, day: dt.date, expected: dt.date
) -> None:
    assert calendar.add(day, 1) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2022, 9, 20), D(2022, 9, 16)),  # Tuesday after the funeral -> Friday before
        (D(2022, 9, 19), D(2022, 9, 16)),  # from the holiday itself
        (D(2022, 12, 28), D(2022, 12, 23)),
        (D(2023, 1, 3), D(2022, 12, 30)),  # 2 Jan 2023 is the New Year substitute day
    ],
)
def test_add_minus_one_is_the_last_operational_day_strictly_before(
    calendar: OperationalCalendar, day: dt.date, expected: dt.date
) -> None:
    assert calendar.add(day, -1) == expected


def test_negative_counts_go_back(calendar: OperationalCalendar) -> None:
    assert calendar.add(D(2022, 10, 11), -20) == D(2022, 9, 12)
    assert calendar.add(D(2020, 5, 11), -4) == D(2020, 5, 4)  # 8 May 2020 skipped


@pytest.mark.parametrize("day", [D(2022, 9, 14), D(2022, 9, 17), D(2022, 9, 19)])
def test_add_zero_is_the_day_itself(calendar: OperationalCalendar, day: dt.date) -> None:
    assert calendar.add(day, 0) == day


# --- count_between, next/previous ----------------------------------------------------------


def test_count_between_counts_after_start_up_to_and_including_end(
    calendar: OperationalCalendar,
) -> None:
    assert calendar.count_between(D(2022, 9, 16), D(2022, 9, 20)) == 1
    assert calendar.count_between(D(2022, 9, 16), D(2022, 9, 19)) == 0
    assert calendar.count_between(D(2022, 9, 14), D(2022, 9, 14)) == 0
    assert calendar.count_between(D(2022, 12, 23), D(2023, 1, 3)) == 4  # 28, 29, 30 Dec, 3 Jan


@pytest.mark.parametrize("count", [1, 5, 20, 250, -1, -5, -20, -250])
def test_count_between_inverts_add_from_an_operational_day(
    calendar: OperationalCalendar, count: int
) -> None:
    day = D(2022, 9, 14)
    assert calendar.count_between(day, calendar.add(day, count)) == count


@pytest.mark.parametrize("count", [1, 3, 20])
def test_count_between_inverts_add_forwards_from_a_non_operational_day(
    calendar: OperationalCalendar, count: int
) -> None:
    day = D(2022, 9, 17)  # Saturday
    assert calendar.count_between(day, calendar.add(day, count)) == count


@pytest.mark.parametrize("count", [-1, -3, -20])
def test_count_between_inverts_add_backwards_from_a_non_operational_day(
    calendar: OperationalCalendar, count: int
) -> None:
    day = D(2023, 1, 7)  # Saturday; add(day, -1) is Friday 6 Jan 2023
    assert calendar.count_between(day, calendar.add(day, count)) == count


def test_next_on_or_after(calendar: OperationalCalendar) -> None:
    assert calendar.next_on_or_after(D(2022, 9, 14)) == D(2022, 9, 14)
    assert calendar.next_on_or_after(D(2022, 9, 17)) == D(2022, 9, 20)
    assert calendar.next_on_or_after(D(2022, 12, 24)) == D(2022, 12, 28)


def test_previous_on_or_before(calendar: OperationalCalendar) -> None:
    assert calendar.previous_on_or_before(D(2022, 9, 14)) == D(2022, 9, 14)
    assert calendar.previous_on_or_before(D(2022, 9, 19)) == D(2022, 9, 16)
    assert calendar.previous_on_or_before(D(2022, 12, 27)) == D(2022, 12, 23)


# --- the calendar's range ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> OperationalCalendar:
    return OperationalCalendar.build(2023, 2023, {D(2023, 1, 2), D(2023, 12, 25)})


def test_dates_outside_the_range_are_refused(small: OperationalCalendar) -> None:
    with pytest.raises(CalendarRangeError) as raised:
        small.is_operational(D(2024, 1, 1))
    assert raised.value.day == D(2024, 1, 1)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, ConcordatError)
    with pytest.raises(CalendarRangeError):
        small.is_operational(D(2022, 12, 31))
    with pytest.raises(CalendarRangeError):
        small.count_between(D(2023, 6, 1), D(2024, 6, 1))
    with pytest.raises(CalendarRangeError):
        small.add(D(2022, 12, 30), 1)


def test_results_falling_outside_the_range_are_refused(small: OperationalCalendar) -> None:
    assert small.add(D(2023, 12, 28), 1) == D(2023, 12, 29)  # fine: 29 Dec is in range
    with pytest.raises(CalendarRangeError):
        small.add(D(2023, 12, 28), 2)
    with pytest.raises(CalendarRangeError):
        small.add(D(2023, 1, 3), -1)  # 2 Jan closed, 1 Jan Sunday: nothing left in range
    with pytest.raises(CalendarRangeError):
        small.next_on_or_after(D(2023, 12, 30))  # Saturday, the year ends on Sunday
    with pytest.raises(CalendarRangeError):
        small.previous_on_or_before(D(2023, 1, 1))  # Sunday, the year starts on it


# --- properties against a day-by-day walk ---------------------------------------------------


@PROPERTY
@given(day=DATES, count=st.integers(min_value=1, max_value=1000))
def test_add_forward_then_back_lands_on_or_before_the_start(
    calendar: OperationalCalendar, day: dt.date, count: int
) -> None:
    there = calendar.add(day, count)
    assert calendar.add(there, -count) == calendar.previous_on_or_before(day)


@PROPERTY
@given(day=DATES, count=st.integers(min_value=1, max_value=1000))
def test_add_back_then_forward_lands_on_or_after_the_start(
    calendar: OperationalCalendar, day: dt.date, count: int
) -> None:
    there = calendar.add(day, -count)
    assert calendar.add(there, count) == calendar.next_on_or_after(day)


@PROPERTY
@given(start=DATES, span=st.integers(min_value=0, max_value=3 * 366))
def test_count_between_agrees_with_a_day_by_day_count(
    calendar: OperationalCalendar, bank_holidays: frozenset[dt.date], start: dt.date, span: int
) -> None:
    end = start + dt.timedelta(days=span)
    expected = sum(
        naive_is_operational(start + dt.timedelta(days=offset), bank_holidays)
        for offset in range(1, span + 1)
    )
    assert calendar.count_between(start, end) == expected


@PROPERTY
@given(day=DATES, count=st.integers(min_value=-300, max_value=300))
def test_add_agrees_with_a_day_by_day_walk(
    calendar: OperationalCalendar, bank_holidays: frozenset[dt.date], day: dt.date, count: int
) -> None:
    assert calendar.add(day, count) == naive_add(day, count, bank_holidays)


@PROPERTY
@given(day=DATES)
def test_is_operational_agrees_with_the_definition(
    calendar: OperationalCalendar, bank_holidays: frozenset[dt.date], day: dt.date
) -> None:
    assert calendar.is_operational(day) == naive_is_operational(day, bank_holidays)


def outcome(function: Callable[[], dt.date]) -> dt.date | tuple[str, dt.date]:
    """A function's answer, or the day a `CalendarRangeError` names: the same either way."""
    try:
        return function()
    except CalendarRangeError as error:
        return ("refused", error.day)


@settings(max_examples=300, deadline=None, database=None)
@given(
    day=st.dates(min_value=D(2022, 11, 1), max_value=D(2024, 2, 28)),
    count=st.integers(min_value=-80, max_value=80),
)
def test_adder_is_add_for_one_count(small: OperationalCalendar, day: dt.date, count: int) -> None:
    # the small calendar (2023 only) makes the range errors as likely as the answers
    assert outcome(lambda: small.adder(count)(day)) == outcome(lambda: small.add(day, count))


@settings(max_examples=300, deadline=None, database=None)
@given(
    day=st.dates(min_value=D(2022, 11, 1), max_value=D(2024, 6, 30)),
    days=st.integers(min_value=0, max_value=120),
)
def test_on_or_before_shifted_is_previous_on_or_before_after_the_shift(
    small: OperationalCalendar, day: dt.date, days: int
) -> None:
    shifted = small.on_or_before_shifted(days)
    expected = outcome(lambda: small.previous_on_or_before(day - dt.timedelta(days=days)))
    assert outcome(lambda: shifted(day)) == expected


# --- financial years -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "end", "start", "label"),
    [
        (D(2023, 3, 31), D(2023, 3, 31), D(2022, 4, 1), "2022/23"),
        (D(2023, 4, 1), D(2024, 3, 31), D(2023, 4, 1), "2023/24"),
        (D(2023, 1, 1), D(2023, 3, 31), D(2022, 4, 1), "2022/23"),
        (D(2022, 12, 31), D(2023, 3, 31), D(2022, 4, 1), "2022/23"),
        (D(2008, 4, 1), D(2009, 3, 31), D(2008, 4, 1), "2008/09"),
        (D(1999, 6, 30), D(2000, 3, 31), D(1999, 4, 1), "1999/00"),
        (D(2024, 2, 29), D(2024, 3, 31), D(2023, 4, 1), "2023/24"),
    ],
)
def test_financial_year(day: dt.date, end: dt.date, start: dt.date, label: str) -> None:
    assert financial_year_end(day) == end
    assert financial_year_start(day) == start
    assert financial_year_label(day) == label
