"""The timeline: occurrences of an agreement's clocks in a window, and reminders about them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.agreement import (
    Agreement,
    AgreementKind,
    Deadline,
    Extension,
    Meeting,
    Review,
    Term,
)
from lifecycle.cadence import Cadence, Policy, friendly_to_rrule
from lifecycle.calendar import OperationalCalendar
from lifecycle.notice import NoticeRule
from lifecycle.periods import Period, Unit, term_end
from lifecycle.timeline import (
    Occurrence,
    OccurrenceKind,
    PlanSettings,
    plan,
    reminder_send_day,
    send_day_rule,
    send_instant,
)

D = dt.date
UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
SETTINGS = PlanSettings(timezone=LONDON)
HOUR = dt.timedelta(hours=1)


def agreement(
    start: dt.date = D(2024, 1, 1),
    end: dt.date | None = None,
    *,
    term: Term | None = None,
    **clocks: Any,
) -> Agreement:
    """A small agreement with no parties: the timeline needs only its term and clocks."""
    return Agreement(
        id="demo",
        title="Demo agreement",
        kind=AgreementKind.COOPERATION,
        binding=True,
        parties=(),
        term=term or Term(start=start, end=end),
        **clocks,
    )


def of_kind(occurrences: list[Occurrence], kind: OccurrenceKind) -> list[Occurrence]:
    return [occurrence for occurrence in occurrences if occurrence.kind is kind]


def monthly(anchor: dt.date, policy: Policy = Policy.KEEP) -> Cadence:
    return Cadence(friendly_to_rrule("monthly", None, anchor), anchor, policy)


# --- timed meetings across the clock changes -----------------------------------------------


def test_a_timed_meeting_keeps_its_local_time_across_summer_time(
    calendar: OperationalCalendar,
) -> None:
    meeting = Meeting("service-review", "Service review", monthly(D(2024, 1, 25)), dt.time(10))
    result = plan(
        agreement(meetings=(meeting,)), calendar, SETTINGS, D(2024, 3, 1), D(2024, 11, 30)
    )
    offsets = {item.date: item.start.utcoffset() for item in result if item.start is not None}
    # British Summer Time ran from 31 Mar to 27 Oct 2024.
    assert offsets[D(2024, 3, 25)] == dt.timedelta(0)
    assert offsets[D(2024, 4, 25)] == HOUR
    assert offsets[D(2024, 10, 25)] == HOUR
    assert offsets[D(2024, 11, 25)] == dt.timedelta(0)
    assert len(offsets) == 9
    for item in result:
        assert item.start is not None
        assert item.end is not None
        assert (item.start.date(), item.start.hour, item.start.minute) == (item.date, 10, 0)
        assert item.end - item.start == HOUR
    utc_hours = {item.date: item.start.astimezone(UTC).hour for item in result if item.start}
    assert (utc_hours[D(2024, 3, 25)], utc_hours[D(2024, 4, 25)]) == (10, 9)


def test_meetings_are_moved_by_their_policy(calendar: OperationalCalendar) -> None:
    # The 8th of the month: 8 Apr 2023 was Easter Saturday, 8 May 2023 the coronation.
    meeting = Meeting("board", "Board", monthly(D(2023, 4, 8), Policy.NEXT), dt.time(14))
    result = plan(
        agreement(D(2023, 4, 1), meetings=(meeting,)),
        calendar,
        SETTINGS,
        D(2023, 4, 1),
        D(2023, 6, 30),
    )
    assert [(item.date, item.moved_from) for item in of_kind(result, OccurrenceKind.MEETING)] == [
        (D(2023, 4, 11), D(2023, 4, 8)),
        (D(2023, 5, 9), D(2023, 5, 8)),
        (D(2023, 6, 8), None),
    ]


def test_an_untimed_meeting_is_all_day(calendar: OperationalCalendar) -> None:
    meeting = Meeting("team", "Team meeting", monthly(D(2024, 1, 15)))
    result = plan(agreement(meetings=(meeting,)), calendar, SETTINGS, D(2024, 1, 1), D(2024, 1, 31))
    meetings = of_kind(result, OccurrenceKind.MEETING)
    assert [(item.date, item.start, item.end) for item in meetings] == [
        (D(2024, 1, 15), None, None)
    ]


# --- reminders -----------------------------------------------------------------------------


def reminders_for(calendar: OperationalCalendar, due: dt.date, lead: Period) -> list[Occurrence]:
    deadline = Deadline("report", "Report", due, reminders=(lead,))
    result = plan(
        agreement(D(2020, 1, 1), deadlines=(deadline,)),
        calendar,
        SETTINGS,
        due - dt.timedelta(days=60),
        due,
        reminders=True,
    )
    return of_kind(result, OccurrenceKind.REMINDER)


@pytest.mark.parametrize(
    ("due", "lead", "send_day", "utc_hour"),
    [
        # Monday 15 Jan 2024 less 2 days is a Saturday: the Friday before, 09:00 GMT.
        (D(2024, 1, 15), Period(2, Unit.DAYS), D(2024, 1, 12), 9),
        # Monday 15 Jul 2024 less 2 days is a Saturday: the Friday before, 09:00 BST.
        (D(2024, 7, 15), Period(2, Unit.DAYS), D(2024, 7, 12), 8),
        # Wednesday 8 May 2024 less 2 days is the early May bank holiday: Friday 3 May.
        (D(2024, 5, 8), Period(2, Unit.DAYS), D(2024, 5, 3), 8),
        # An operational day itself is kept.
        (D(2024, 7, 17), Period(1, Unit.WEEKS), D(2024, 7, 10), 8),
        # 5 operational days before 3 Jan 2024 skip 1 Jan, 26 and 25 Dec and a weekend.
        (D(2024, 1, 3), Period(5, Unit.OPERATIONAL_DAYS), D(2023, 12, 22), 9),
    ],
)
def test_a_reminder_goes_out_on_the_operational_day_before_never_after(
    calendar: OperationalCalendar,
    due: dt.date,
    lead: Period,
    send_day: dt.date,
    utc_hour: int,
) -> None:
    [reminder] = reminders_for(calendar, due, lead)
    assert reminder.date == send_day
    assert reminder.for_date == due
    assert reminder.send_at == dt.datetime.combine(send_day, dt.time(utc_hour), tzinfo=UTC)
    assert reminder.send_at is not None
    assert reminder.send_at.utcoffset() == dt.timedelta(0)  # expressed in UTC
    assert reminder.rule == "deadline:report"


@pytest.mark.parametrize(
    "lead", [Period(2, Unit.DAYS), Period(1, Unit.WEEKS), Period(3, Unit.OPERATIONAL_DAYS)], ids=str
)
def test_reminder_send_day_is_the_last_operational_day_on_or_before_the_lead(
    calendar: OperationalCalendar, lead: Period
) -> None:
    due = D(2024, 1, 1)
    while due <= D(2024, 12, 31):
        day = reminder_send_day(due, lead, calendar)
        nominal = lead.before(due, calendar)
        assert calendar.is_operational(day)
        assert day <= nominal
        assert calendar.count_between(day, nominal) == 0  # no operational day in between
        due += dt.timedelta(days=1)


@settings(max_examples=400, deadline=None)
@given(
    due=st.dates(min_value=D(2032, 1, 1), max_value=D(2095, 12, 31)),  # 40 years inside
    amount=st.integers(min_value=1, max_value=40),
    unit=st.sampled_from(list(Unit)),
)
def test_send_day_rule_is_reminder_send_day(
    calendar: OperationalCalendar, due: dt.date, amount: int, unit: Unit
) -> None:
    lead = Period(amount, unit)
    assert send_day_rule(lead, calendar)(due) == reminder_send_day(due, lead, calendar)


def test_send_instant_is_the_send_time_in_london_as_utc() -> None:
    assert send_instant(D(2024, 1, 12), SETTINGS) == dt.datetime(2024, 1, 12, 9, tzinfo=UTC)
    assert send_instant(D(2024, 7, 12), SETTINGS) == dt.datetime(2024, 7, 12, 8, tzinfo=UTC)
    # 27 Oct 2024 is the day the clocks go back: 09:00 that day is already GMT.
    assert send_instant(D(2024, 10, 27), SETTINGS) == dt.datetime(2024, 10, 27, 9, tzinfo=UTC)
    later = PlanSettings(timezone=LONDON, send_time=dt.time(13, 30))
    assert send_instant(D(2024, 7, 12), later) == dt.datetime(2024, 7, 12, 12, 30, tzinfo=UTC)


def test_reminders_in_the_window_may_be_about_things_after_it(
    calendar: OperationalCalendar,
) -> None:
    deadline = Deadline("report", "Report", D(2024, 1, 15), reminders=(Period(1, Unit.MONTHS),))
    result = plan(
        agreement(D(2020, 1, 1), deadlines=(deadline,)),
        calendar,
        SETTINGS,
        D(2023, 12, 1),
        D(2023, 12, 31),
        reminders=True,
    )
    assert [(item.kind, item.date, item.for_date) for item in result] == [
        (OccurrenceKind.REMINDER, D(2023, 12, 15), D(2024, 1, 15))
    ]


def test_without_reminders_none_are_produced(calendar: OperationalCalendar) -> None:
    deadline = Deadline("report", "Report", D(2024, 1, 15), reminders=(Period(2, Unit.DAYS),))
    result = plan(
        agreement(D(2020, 1, 1), deadlines=(deadline,)),
        calendar,
        SETTINGS,
        D(2024, 1, 1),
        D(2024, 1, 31),
    )
    assert [(item.kind, item.date) for item in result] == [
        (OccurrenceKind.DEADLINE, D(2024, 1, 15))
    ]


# --- the term and notice (Halton / St Helens: 3 years from 1 Apr 2008, 6 months to 31 March) --


def halton(**clocks: Any) -> Agreement:
    start = D(2008, 4, 1)
    return Agreement(
        id="halton",
        title="Halton / St Helens lead commissioning",
        kind=AgreementKind.SECTION_31,
        binding=True,
        parties=(),
        term=Term(start=start, end=term_end(start, Period(3, Unit.YEARS))),
        notice=NoticeRule(Period(6, Unit.MONTHS), fy_end=True),
        **clocks,
    )


def test_halton_notice_deadlines_and_term_end(calendar: OperationalCalendar) -> None:
    team = Meeting("team", "Team meeting", monthly(D(2008, 4, 15), Policy.NEXT), dt.time(10))
    result = plan(halton(meetings=(team,)), calendar, SETTINGS, D(2008, 4, 1), D(2012, 12, 31))
    notices = of_kind(result, OccurrenceKind.NOTICE_DEADLINE)
    assert [(item.date, item.for_date) for item in notices] == [
        (D(2008, 9, 30), D(2009, 3, 31)),
        (D(2009, 9, 30), D(2010, 3, 31)),
        (D(2010, 9, 30), D(2011, 3, 31)),
    ]
    assert [item.date for item in of_kind(result, OccurrenceKind.TERM_START)] == [D(2008, 4, 1)]
    assert [item.date for item in of_kind(result, OccurrenceKind.TERM_END)] == [D(2011, 3, 31)]
    meetings = of_kind(result, OccurrenceKind.MEETING)
    assert len(meetings) == 36
    assert (meetings[-1].moved_from or meetings[-1].date) == D(2011, 3, 15)


def test_nothing_is_produced_after_the_terms_last_day(calendar: OperationalCalendar) -> None:
    review = Review("review", "Review", monthly(D(2008, 4, 1)))
    late = Deadline("late", "After the end", D(2011, 5, 1))
    result = plan(
        halton(reviews=(review,), deadlines=(late,)),
        calendar,
        SETTINGS,
        D(2011, 1, 1),
        D(2011, 6, 30),
    )
    assert max(item.date for item in result) == D(2011, 3, 31)
    assert [item.date for item in of_kind(result, OccurrenceKind.REVIEW)] == [
        D(2011, 1, 1),
        D(2011, 2, 1),
        D(2011, 3, 1),
    ]
    assert of_kind(result, OccurrenceKind.DEADLINE) == []


def test_an_extension_moves_the_last_day(calendar: OperationalCalendar) -> None:
    # Cambridgeshire & Peterborough: the old agreement was extended by 3 months to 30 Jun 2019.
    start = D(2016, 4, 1)
    extended = Term(start=start, end=D(2019, 3, 31), extensions=(Extension(D(2019, 6, 30)),))
    review = Review("review", "Review", monthly(start))
    subject = agreement(term=extended, reviews=(review,))
    result = plan(subject, calendar, SETTINGS, D(2019, 1, 1), D(2019, 12, 31))
    assert [item.date for item in of_kind(result, OccurrenceKind.REVIEW)] == [
        D(2019, month, 1) for month in range(1, 7)
    ]
    assert [item.date for item in of_kind(result, OccurrenceKind.TERM_END)] == [D(2019, 6, 30)]


def test_a_meeting_moved_past_the_last_day_is_not_produced(calendar: OperationalCalendar) -> None:
    # The 30th: Saturday 30 Mar 2024 moves to Tuesday 2 Apr (1 Apr is Easter Monday).
    meeting = Meeting("board", "Board", monthly(D(2023, 4, 30), Policy.NEXT))
    ends_31_march = agreement(D(2023, 4, 1), D(2024, 3, 31), meetings=(meeting,))
    result = plan(ends_31_march, calendar, SETTINGS, D(2024, 1, 1), D(2024, 6, 30))
    assert max(item.date for item in result) <= D(2024, 3, 31)


def test_notice_deadline_in_operational_days_when_the_window_covers_the_end(
    calendar: OperationalCalendar,
) -> None:
    rule = NoticeRule(Period(20, Unit.OPERATIONAL_DAYS), fy_end=True)
    subject = agreement(D(2020, 4, 1), D(2030, 3, 31), notice=rule)
    result = plan(subject, calendar, SETTINGS, D(2022, 2, 1), D(2022, 4, 15))
    notices = of_kind(result, OccurrenceKind.NOTICE_DEADLINE)
    assert [(item.date, item.for_date) for item in notices] == [(D(2022, 3, 3), D(2022, 3, 31))]


def test_notice_deadline_in_operational_days_for_an_end_after_the_window(
    calendar: OperationalCalendar,
) -> None:
    rule = NoticeRule(Period(20, Unit.OPERATIONAL_DAYS), fy_end=True)
    subject = agreement(D(2020, 4, 1), D(2030, 3, 31), notice=rule)
    result = plan(subject, calendar, SETTINGS, D(2022, 2, 1), D(2022, 3, 15))
    notices = of_kind(result, OccurrenceKind.NOTICE_DEADLINE)
    assert [(item.date, item.for_date) for item in notices] == [(D(2022, 3, 3), D(2022, 3, 31))]


# --- order ---------------------------------------------------------------------------------


def test_results_are_sorted(calendar: OperationalCalendar) -> None:
    clocks = {
        "meetings": (
            Meeting("team", "Team", monthly(D(2008, 4, 15), Policy.NEXT), dt.time(10)),
            Meeting("board", "Board", monthly(D(2008, 4, 15)), dt.time(9, 30)),
        ),
        "reviews": (Review("review", "Review", monthly(D(2008, 4, 30))),),
        "deadlines": (Deadline("plan", "Plan", D(2008, 9, 30)),),
    }
    settings = PlanSettings(
        timezone=LONDON,
        meeting_reminders=(Period(1, Unit.WEEKS),),
        review_reminders=(Period(2, Unit.WEEKS), Period(3, Unit.OPERATIONAL_DAYS)),
        deadline_reminders=(Period(1, Unit.MONTHS),),
        notice_reminders=(Period(1, Unit.MONTHS),),
    )
    result = plan(
        halton(**clocks), calendar, settings, D(2008, 4, 1), D(2009, 3, 31), reminders=True
    )
    assert len(result) > 60
    assert result == sorted(result, key=Occurrence.sort_key)
    dates = [item.date for item in result]
    assert dates == sorted(dates)
    same_day = [item for item in result if item.date == D(2008, 4, 15)]
    assert [item.rule for item in same_day] == ["meeting:board", "meeting:team"]
