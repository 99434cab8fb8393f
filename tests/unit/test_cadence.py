"""Cadences: friendly forms become RFC 5545 rules; expansions apply the non-operational policy."""

from __future__ import annotations

import datetime as dt

import pytest

from lifecycle.cadence import (
    Cadence,
    CadenceDate,
    Policy,
    apply_policy,
    expand,
    friendly_to_rrule,
    is_raw_rrule,
)
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import CadenceError, ConcordatError

D = dt.date


def rule_dates(
    frequency: str, day: str | None, anchor: dt.date, first: dt.date, last: dt.date
) -> list[dt.date]:
    """The rule's own dates (before any policy) for a friendly cadence."""
    return Cadence(friendly_to_rrule(frequency, day, anchor), anchor).rule_dates(first, last)


# --- friendly forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "anchor", "last", "expected"),
    [
        ("monthly", D(2024, 1, 15), D(2024, 4, 30), [D(2024, m, 15) for m in (1, 2, 3, 4)]),
        (
            "quarterly",
            D(2024, 4, 1),
            D(2025, 4, 1),
            [D(2024, 4, 1), D(2024, 7, 1), D(2024, 10, 1), D(2025, 1, 1), D(2025, 4, 1)],
        ),
        (
            "six-monthly",
            D(2022, 7, 1),
            D(2023, 12, 31),
            [D(2022, 7, 1), D(2023, 1, 1), D(2023, 7, 1)],
        ),
        ("half-yearly", D(2022, 7, 1), D(2023, 6, 30), [D(2022, 7, 1), D(2023, 1, 1)]),
        (
            "annually",
            D(2024, 10, 1),
            D(2026, 12, 31),
            [D(2024, 10, 1), D(2025, 10, 1), D(2026, 10, 1)],
        ),
        (
            "every 2 years",
            D(2024, 10, 1),
            D(2029, 1, 1),
            [D(2024, 10, 1), D(2026, 10, 1), D(2028, 10, 1)],
        ),
        (
            "fortnightly",
            D(2024, 1, 2),
            D(2024, 2, 13),
            [D(2024, 1, 2), D(2024, 1, 16), D(2024, 1, 30), D(2024, 2, 13)],
        ),
        ("weekly", D(2024, 1, 2), D(2024, 1, 16), [D(2024, 1, 2), D(2024, 1, 9), D(2024, 1, 16)]),
        (
            "every other month",
            D(2024, 1, 10),
            D(2024, 6, 30),
            [D(2024, 1, 10), D(2024, 3, 10), D(2024, 5, 10)],
        ),
    ],
)
def test_friendly_frequencies(
    frequency: str, anchor: dt.date, last: dt.date, expected: list[dt.date]
) -> None:
    assert rule_dates(frequency, None, anchor, anchor, last) == expected


@pytest.mark.parametrize(
    ("frequency", "day", "expected"),
    [
        ("monthly", "second Tuesday", [D(2024, 1, 9), D(2024, 2, 13), D(2024, 3, 12)]),
        (
            "monthly",
            "the second Tuesday of the month",
            [D(2024, 1, 9), D(2024, 2, 13), D(2024, 3, 12)],
        ),
        ("monthly", "last Friday", [D(2024, 1, 26), D(2024, 2, 23), D(2024, 3, 29)]),
        ("monthly", "first Monday", [D(2024, 1, 1), D(2024, 2, 5), D(2024, 3, 4)]),
        ("monthly", "15th", [D(2024, 1, 15), D(2024, 2, 15), D(2024, 3, 15)]),
        ("monthly", "last day", [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]),
        ("monthly", "31st", [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]),
        ("weekly", "Wednesday", [D(2024, 1, 3) + dt.timedelta(weeks=k) for k in range(13)]),
    ],
)
def test_day_rules(frequency: str, day: str, expected: list[dt.date]) -> None:
    assert rule_dates(frequency, day, D(2024, 1, 1), D(2024, 1, 1), D(2024, 3, 31)) == expected


def test_quarterly_with_a_day_rule_falls_every_third_month() -> None:
    dates = rule_dates("quarterly", "second Tuesday", D(2024, 1, 1), D(2024, 1, 1), D(2024, 12, 31))
    assert dates == [D(2024, 1, 9), D(2024, 4, 9), D(2024, 7, 9), D(2024, 10, 8)]


def test_annually_with_a_day_rule_falls_once_a_year() -> None:
    dates = rule_dates("annually", "last day", D(2024, 2, 1), D(2024, 1, 1), D(2026, 12, 31))
    assert dates == [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28)]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (D(2024, 1, 31), [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]),
        (D(2023, 1, 31), [D(2023, 1, 31), D(2023, 2, 28), D(2023, 3, 31), D(2023, 4, 30)]),
        (D(2023, 1, 30), [D(2023, 1, 30), D(2023, 2, 28), D(2023, 3, 30), D(2023, 4, 30)]),
    ],
)
def test_monthly_from_a_late_anchor_clips_to_the_month_end(
    anchor: dt.date, expected: list[dt.date]
) -> None:
    last = D(anchor.year, 4, 30)
    assert rule_dates("monthly", None, anchor, anchor, last) == expected


def test_annually_from_29_february_clips_to_28_february() -> None:
    dates = rule_dates("annually", None, D(2024, 2, 29), D(2024, 1, 1), D(2028, 12, 31))
    assert dates == [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]


@pytest.mark.parametrize(
    "frequency", ["bi-annually", "Bi-Annually", "biannually", "biannual", "bi-monthly", "biweekly"]
)
def test_ambiguous_frequencies_are_refused(frequency: str) -> None:
    with pytest.raises(CadenceError) as raised:
        friendly_to_rrule(frequency, None, D(2022, 7, 1))
    assert "ambiguous" in raised.value.reason
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, ConcordatError)


@pytest.mark.parametrize(
    "frequency", ["sometimes", "every blue moon", "monthly-ish", "every 0 months", ""]
)
def test_unknown_frequencies_are_refused(frequency: str) -> None:
    with pytest.raises(CadenceError):
        friendly_to_rrule(frequency, None, D(2024, 1, 1))


@pytest.mark.parametrize(
    ("frequency", "day"),
    [
        ("monthly", "Tuesday"),  # a weekday alone needs a weekly cadence
        ("weekly", "15th"),  # a day of the month needs a monthly cadence
        ("monthly", "32nd"),
        ("monthly", "0th"),
        ("monthly", "fifth Tuesday"),
        ("monthly", "second Caturday"),
        ("monthly", "whenever"),
        ("FREQ=MONTHLY", "15th"),  # a raw rule carries its own day
    ],
)
def test_bad_day_rules_are_refused(frequency: str, day: str) -> None:
    with pytest.raises(CadenceError):
        friendly_to_rrule(frequency, day, D(2024, 1, 1))


# --- raw RRULEs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("FREQ=MONTHLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=1MO"),
        ("RRULE:FREQ=WEEKLY;BYDAY=WE", "FREQ=WEEKLY;BYDAY=WE"),
        ("  FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=1  ", "FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=1"),
    ],
)
def test_raw_rrules_are_accepted(text: str, rule: str) -> None:
    assert is_raw_rrule(text)
    assert friendly_to_rrule(text, None, D(2024, 1, 1)) == rule


def test_a_raw_rrule_expands_as_written() -> None:
    cadence = Cadence("FREQ=MONTHLY;BYDAY=1MO", D(2024, 1, 1))
    assert cadence.rule_dates(D(2024, 1, 1), D(2024, 3, 31)) == [
        D(2024, 1, 1),
        D(2024, 2, 5),
        D(2024, 3, 4),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=FORTNIGHTLY",
        "FREQ=",
        "FREQ=MONTHLY;BYDAY=XX",
        "FREQ=MONTHLY;INTERVAL=x",
        "FREQ=MONTHLY;FOO=1",
        "FREQ=MONTHLY;;",
        "RRULE:FREQ=WEEKLY\nRRULE:FREQ=DAILY",
    ],
)
def test_malformed_raw_rrules_are_refused(text: str) -> None:
    assert is_raw_rrule(text)
    with pytest.raises(CadenceError):
        friendly_to_rrule(text, None, D(2024, 1, 1))
    with pytest.raises(CadenceError):
        Cadence(text, D(2024, 1, 1))


def test_friendly_words_are_not_raw_rrules() -> None:
    assert not is_raw_rrule("monthly")
    assert not is_raw_rrule("every 2 years")


# --- policies ------------------------------------------------------------------------------

# Monthly on the 8th from April 2023: 8 Apr is Easter Saturday (7 Apr Good Friday, 10 Apr
# Easter Monday), 8 May the coronation bank holiday, 8 Jun an ordinary Thursday.
EIGHTH = "FREQ=MONTHLY;BYMONTHDAY=8"
SPRING_2023 = (D(2023, 4, 1), D(2023, 6, 30))


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            Policy.KEEP,
            [CadenceDate(D(2023, 4, 8)), CadenceDate(D(2023, 5, 8)), CadenceDate(D(2023, 6, 8))],
        ),
        (
            Policy.NEXT,
            [
                CadenceDate(D(2023, 4, 11), moved_from=D(2023, 4, 8)),
                CadenceDate(D(2023, 5, 9), moved_from=D(2023, 5, 8)),
                CadenceDate(D(2023, 6, 8)),
            ],
        ),
        (
            Policy.PREVIOUS,
            [
                CadenceDate(D(2023, 4, 6), moved_from=D(2023, 4, 8)),
                CadenceDate(D(2023, 5, 5), moved_from=D(2023, 5, 8)),
                CadenceDate(D(2023, 6, 8)),
            ],
        ),
    ],
)
def test_expand_applies_the_policy(
    calendar: OperationalCalendar, policy: Policy, expected: list[CadenceDate]
) -> None:
    cadence = Cadence(EIGHTH, D(2023, 4, 8), policy)
    assert expand(cadence, *SPRING_2023, calendar) == expected


def test_six_monthly_from_1_july_2022_lands_on_a_sunday(calendar: OperationalCalendar) -> None:
    rule = friendly_to_rrule("six-monthly", None, D(2022, 7, 1))
    window = (D(2022, 12, 1), D(2023, 1, 31))
    keep = Cadence(rule, D(2022, 7, 1), Policy.KEEP)
    assert expand(keep, *window, calendar) == [CadenceDate(D(2023, 1, 1))]
    following = Cadence(rule, D(2022, 7, 1), Policy.NEXT)
    # 2 Jan 2023 is the substitute day for New Year's Day.
    assert expand(following, *window, calendar) == [
        CadenceDate(D(2023, 1, 3), moved_from=D(2023, 1, 1))
    ]


def test_expand_keeps_only_dates_the_policy_moves_into_the_window(
    calendar: OperationalCalendar,
) -> None:
    monthly = "FREQ=MONTHLY;BYMONTHDAY=1"
    april = (D(2023, 4, 1), D(2023, 4, 30))
    # 1 Apr 2023 is a Saturday, 1 May 2023 the early May bank holiday (a Monday).
    previous = Cadence(monthly, D(2023, 1, 1), Policy.PREVIOUS)
    assert expand(previous, *april, calendar) == [
        CadenceDate(D(2023, 4, 28), moved_from=D(2023, 5, 1))
    ]
    following = Cadence(monthly, D(2023, 1, 1), Policy.NEXT)
    assert expand(following, D(2023, 4, 2), D(2023, 4, 30), calendar) == [
        CadenceDate(D(2023, 4, 3), moved_from=D(2023, 4, 1))
    ]


def test_apply_policy_leaves_operational_days_alone(calendar: OperationalCalendar) -> None:
    for policy in Policy:
        assert apply_policy(D(2023, 6, 8), policy, calendar) == CadenceDate(D(2023, 6, 8))


# --- until and first_date ------------------------------------------------------------------


def test_until_is_the_last_day_the_rule_may_fall_on() -> None:
    cadence = Cadence("FREQ=MONTHLY;BYMONTHDAY=-1", D(2024, 1, 1), until=D(2024, 3, 31))
    assert cadence.rule_dates(D(2024, 1, 1), D(2024, 12, 31)) == [
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
    ]
    assert cadence.rule_dates(D(2024, 4, 1), D(2024, 12, 31)) == []


def test_until_bounds_expand(calendar: OperationalCalendar) -> None:
    cadence = Cadence(EIGHTH, D(2023, 4, 8), Policy.NEXT, until=D(2023, 5, 8))
    assert [item.date for item in expand(cadence, *SPRING_2023, calendar)] == [
        D(2023, 4, 11),
        D(2023, 5, 9),
    ]


def test_first_date() -> None:
    rule = friendly_to_rrule("monthly", "second Tuesday", D(2024, 1, 10))
    assert Cadence(rule, D(2024, 1, 10)).first_date() == D(2024, 2, 13)
    assert Cadence("FREQ=MONTHLY;BYMONTHDAY=15", D(2024, 1, 15)).first_date() == D(2024, 1, 15)


def test_first_date_respects_until() -> None:
    rule = "FREQ=MONTHLY;BYMONTHDAY=15"
    assert Cadence(rule, D(2024, 1, 20), until=D(2024, 2, 14)).first_date() is None
    assert Cadence(rule, D(2024, 1, 20), until=D(2024, 2, 15)).first_date() == D(2024, 2, 15)


def test_a_rule_that_never_occurs(calendar: OperationalCalendar) -> None:
    cadence = Cadence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", D(2024, 1, 1))
    assert cadence.first_date() is None
    assert expand(cadence, D(2024, 1, 1), D(2030, 12, 31), calendar) == []
