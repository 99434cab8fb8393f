"""The calendar expansion of the common RRULE shapes gives exactly what dateutil.rrule gives."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.rrule import rrule, rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.cadence import friendly_to_rrule
from lifecycle.recurrence import Shape, shape_of

D = dt.date
CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ANCHORS = st.dates(min_value=D(1995, 1, 1), max_value=D(2080, 12, 31))


def by_rrule(rule: str, anchor: dt.date, first: dt.date, last: dt.date) -> list[dt.date]:
    """The reference: dateutil's own expansion, as `Cadence.rule_dates` did it before. UNTIL
    the window's end gives the same dates there, and stops rrule searching to the year 9999
    for a rule that never occurs (the 31st every 12 months from April)."""
    parsed = rrulestr(rule, dtstart=dt.datetime.combine(anchor, dt.time()))
    assert isinstance(parsed, rrule)
    start, end = dt.datetime.combine(first, dt.time()), dt.datetime.combine(last, dt.time())
    return [moment.date() for moment in parsed.replace(until=end).between(start, end, inc=True)]


@st.composite
def windows(draw: st.DrawFn, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """A window from up to three years before the anchor to up to twelve after it, sometimes
    empty or a single day."""
    first = anchor + dt.timedelta(days=draw(st.integers(-3 * 366, 12 * 366)))
    last = first + dt.timedelta(days=draw(st.integers(-5, 6 * 366)))
    return first, last


@st.composite
def raw_rules(draw: st.DrawFn) -> str:
    """Rules of the shapes `shape_of` recognises, and now and then a part that takes the rule
    outside them (which `shape_of` must then refuse, or still expand exactly)."""
    freq = draw(st.sampled_from(("DAILY", "WEEKLY", "MONTHLY", "YEARLY")))
    parts = [f"FREQ={freq}"]
    interval = draw(st.sampled_from((None, 1, 2, 3, 4, 6, 12, 18, 24)))
    if interval is not None:
        parts.append(f"INTERVAL={interval}")
    code = st.sampled_from(CODES)
    if freq in ("DAILY", "WEEKLY"):
        if draw(st.booleans()):
            parts.append(f"BYDAY={draw(code)}")
    else:
        parts += draw(month_parts(yearly=freq == "YEARLY"))
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"WKST={draw(code)}")
    if draw(st.integers(0, 9)) == 0:
        parts.append(
            draw(st.sampled_from(("BYSETPOS=2", "BYMONTH=3", "BYDAY=MO,TH", "BYMONTHDAY=0")))
        )
    return ";".join(draw(st.permutations(parts)))


@st.composite
def month_parts(draw: st.DrawFn, *, yearly: bool) -> list[str]:
    """The day parts of a monthly or yearly rule: an n-th weekday, days of the month (some
    counted from the end, some that short months lack) or the friendly clipped day."""
    parts = [f"BYMONTH={draw(st.integers(1, 12))}"] if yearly and draw(st.booleans()) else []
    choice = draw(st.integers(0, 3))
    if choice == 1 and not yearly:
        nth = draw(st.sampled_from(("1", "2", "3", "4", "5", "-1", "-2", "+1", "-5")))
        parts.append(f"BYDAY={nth}{draw(st.sampled_from(CODES))}")
    elif choice == 2:
        days = draw(st.lists(st.integers(-31, 31).filter(bool), min_size=1, max_size=4))
        parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
        if draw(st.booleans()):
            parts.append(f"BYSETPOS={draw(st.sampled_from((1, -1)))}")
    elif choice == 3:
        top = draw(st.integers(28, 31))
        parts += [f"BYMONTHDAY={','.join(map(str, range(28, top + 1)))}", "BYSETPOS=-1"]
    return parts


@settings(max_examples=800, deadline=None)
@given(rule=raw_rules(), anchor=ANCHORS, data=st.data())
def test_recognised_rules_expand_as_rrule_does(
    rule: str, anchor: dt.date, data: st.DataObject
) -> None:
    shape = shape_of(rule)
    first, last = data.draw(windows(anchor))
    if shape is None:
        return  # left to rrule: nothing to compare
    assert shape.dates(anchor, first, last) == by_rrule(rule, anchor, first, last)


FRIENDLY_FREQUENCIES = (
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "quarterly",
    "six-monthly",
    "annually",
    "every 2 months",
    "every 5 months",
    "every 2 years",
    "every 3 weeks",
    "every 10 days",
)
NTH = ("first", "second", "third", "fourth", "last")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@st.composite
def friendly(draw: st.DrawFn) -> tuple[str, str | None]:
    """A friendly frequency and a day rule that goes with it (or none)."""
    frequency = draw(st.sampled_from(FRIENDLY_FREQUENCIES))
    if frequency in ("daily", "weekly", "fortnightly", "every 3 weeks"):
        day = draw(st.sampled_from((None, *WEEKDAYS)))
        return frequency, day if frequency != "every 10 days" else None
    if frequency == "every 10 days":
        return frequency, None
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return frequency, None
    if kind == 1:
        return frequency, f"{draw(st.sampled_from(NTH))} {draw(st.sampled_from(WEEKDAYS))}"
    if kind == 2:
        return frequency, f"{draw(st.integers(1, 31))}th"
    return frequency, "last day"


@settings(max_examples=800, deadline=None)
@given(form=friendly(), anchor=ANCHORS, data=st.data())
def test_every_friendly_form_is_expanded_from_the_calendar_as_rrule_does(
    form: tuple[str, str | None], anchor: dt.date, data: st.DataObject
) -> None:
    rule = friendly_to_rrule(form[0], form[1], anchor)
    shape = shape_of(rule)
    assert shape is not None, rule
    first, last = data.draw(windows(anchor))
    assert shape.dates(anchor, first, last) == by_rrule(rule, anchor, first, last)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;COUNT=3",
        "FREQ=MONTHLY;UNTIL=20250101T000000",
        "FREQ=MONTHLY;BYDAY=TU",
        "FREQ=MONTHLY;BYDAY=1TU,3TU",
        "FREQ=YEARLY;BYDAY=20MO",
        "FREQ=YEARLY;BYMONTHDAY=1",
        "FREQ=YEARLY;BYYEARDAY=100",
        "FREQ=WEEKLY;BYDAY=MO,WE",
        "FREQ=DAILY;INTERVAL=2;BYDAY=MO",
        "FREQ=MONTHLY;BYHOUR=9",
        "FREQ=HOURLY",
        "FREQ=MONTHLY;",
        "FREQ=MONTHLY;INTERVAL=0",
    ],
)
def test_other_rules_are_left_to_rrule(rule: str) -> None:
    assert shape_of(rule) is None


def test_second_tuesday_every_quarter() -> None:
    shape = shape_of("FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU")
    assert shape == Shape("MONTHLY", 3, weekday=1, nth=2)
    assert shape.dates(D(2024, 1, 1), D(2024, 1, 1), D(2024, 12, 31)) == [
        D(2024, 1, 9),
        D(2024, 4, 9),
        D(2024, 7, 9),
        D(2024, 10, 8),
    ]


def test_the_31st_clips_to_each_months_end() -> None:
    shape = shape_of("FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1")
    assert shape is not None
    assert shape.dates(D(2024, 1, 31), D(2024, 1, 1), D(2024, 4, 30)) == [
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
        D(2024, 4, 30),
    ]
