"""Meeting series: rendered as iCalendar and expanded by an independent library
(`recurring_ical_events`), a series gives exactly the plan's occurrences of its meeting.

The comparison is of sorted lists of (start, end) as local ISO text with the UTC offset, so
a wrong wall time, a wrong offset, a missing or an extra occurrence all fail it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from config.loader import Configuration
from lifecycle.agreement import Agreement, AgreementKind, Meeting, Term
from lifecycle.cadence import Cadence, Policy, friendly_to_rrule
from lifecycle.calendar import OperationalCalendar
from lifecycle.facts import Fact, MeetingCancelled, MeetingMoved, NoticeServed
from lifecycle.occurrence import PlanSettings
from lifecycle.series import (
    MeetingSeries,
    Moment,
    meeting_series,
    planned_occurrences,
    planned_span,
    series_window,
)
from lifecycle.state import AgreementState, fold
from notifications.ical import invite

D = dt.date
LONDON = ZoneInfo("Europe/London")
SETTINGS = PlanSettings(timezone=LONDON)
HORIZON = D(2031, 12, 31)  # open-ended examples: a few years of meetings
STAMP = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
EMPTY = AgreementState()

Span = tuple[str, str]


def text(moment: Moment) -> str:
    """Local ISO text with the offset for a time, plain ISO for a date."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(LONDON).isoformat()
    return moment.isoformat()


def planned(
    agreement: Agreement,
    meeting: Meeting,
    calendar: OperationalCalendar,
    state: AgreementState,
    window: tuple[dt.date, dt.date],
    settings: PlanSettings = SETTINGS,
) -> list[Span]:
    occurrences = planned_occurrences(agreement, meeting, calendar, settings, state, *window)
    return sorted((text(start), text(end)) for start, end in map(planned_span, occurrences))


def expanded(series: MeetingSeries, window: tuple[dt.date, dt.date]) -> list[Span]:
    """The series as a partner's calendar sees it: rendered, parsed, expanded independently."""
    body = invite(
        series,
        method="REQUEST",
        sequence=0,
        organizer="clerk@site.example",
        attendees=[("Ann Lee", "ann@party.example", "REQ-PARTICIPANT")],
        domain="concordat.example",
        stamp=STAMP,
    )
    parsed = Calendar.from_ical(body)
    first, last = window
    events = recurring_ical_events.of(parsed).between(first, last + dt.timedelta(days=1))
    return sorted((text(event["DTSTART"].dt), text(event["DTEND"].dt)) for event in events)


def assert_round_trip(
    agreement: Agreement,
    meeting: Meeting,
    calendar: OperationalCalendar,
    state: AgreementState = EMPTY,
    window: tuple[dt.date, dt.date] | None = None,
    settings: PlanSettings = SETTINGS,
) -> MeetingSeries:
    window = window or series_window(agreement, state, HORIZON)
    series = meeting_series(agreement, meeting, calendar, settings, state, *window)
    assert series is not None
    want = planned(agreement, meeting, calendar, state, window, settings)
    assert want, "a comparison of nothing proves nothing"
    assert expanded(series, window) == want
    return series


# --- every example agreement, every meeting, its whole term ---------------------------------


def test_every_example_meeting_round_trips(examples: Configuration) -> None:
    checked = 0
    for agreement in examples.agreements:
        for meeting in agreement.meetings:
            assert_round_trip(agreement, meeting, examples.calendar_for(agreement))
            checked += 1
    assert checked == 11


def test_the_comparison_has_teeth(examples: Configuration) -> None:
    """Dropping the overrides the policy made must break the round trip."""
    agreement = _example(examples, "halton-st-helens-s31")
    meeting = _meeting(agreement, "psd-board")
    window = series_window(agreement, EMPTY, HORIZON)
    series = meeting_series(agreement, meeting, examples.calendar, SETTINGS, EMPTY, *window)
    assert series is not None
    assert series.overrides
    want = planned(agreement, meeting, examples.calendar, EMPTY, window)
    assert expanded(replace(series, overrides=()), window) != want
    assert expanded(replace(series, exdates=(series.first,)), window) != want


def test_policy_moves_are_overrides_of_bank_holidays(examples: Configuration) -> None:
    agreement = _example(examples, "halton-st-helens-s31")
    meeting = _meeting(agreement, "psd-board")
    series = assert_round_trip(agreement, meeting, examples.calendar)
    moved = {raw.date() for raw, _ in series.overrides if isinstance(raw, dt.datetime)}
    # First Mondays of May: the Early May bank holiday in 2008, 2009 and 2010.
    assert moved == {D(2008, 5, 5), D(2009, 5, 4), D(2010, 5, 3)}
    assert all(not examples.calendar.is_operational(day) for day in moved)
    assert series.exdates == ()


def test_local_times_hold_across_the_clock_changes(examples: Configuration) -> None:
    agreement = _example(examples, "nottinghamshire-healthy-families")
    meeting = _meeting(agreement, "service-review")
    window = series_window(agreement, EMPTY, HORIZON)
    series = assert_round_trip(agreement, meeting, examples.calendar)
    starts = [dt.datetime.fromisoformat(start) for start, _ in expanded(series, window)]
    assert {start.time() for start in starts} == {dt.time(10)}
    assert {start.utcoffset() for start in starts} == {dt.timedelta(0), dt.timedelta(hours=1)}
    march = [s for s in starts if s.month == 3 and s.year == 2025]
    assert march == [dt.datetime(2025, 3, 11, 10, tzinfo=LONDON)]


# --- recorded facts: a move, a cancellation, notice ending the agreement early --------------


def test_facts_move_cancel_and_notice(examples: Configuration) -> None:
    agreement = _example(examples, "nottinghamshire-healthy-families")
    meeting = _meeting(agreement, "service-review")
    facts: list[Fact] = [
        # Across the spring clock change: 11 Mar 2025 (GMT) to 2 Apr 2025 15:30 (BST).
        MeetingMoved(
            agreement.id, D(2025, 2, 1), meeting.id, D(2025, 3, 11), _at(2025, 4, 2, 15, 30)
        ),
        MeetingCancelled(agreement.id, D(2025, 9, 1), meeting.id, D(2025, 10, 14)),
        NoticeServed(agreement.id, D(2026, 9, 1), "nottinghamshire-cc", D(2027, 3, 31)),
    ]
    state = fold(facts)
    series = assert_round_trip(agreement, meeting, examples.calendar, state)
    assert series.until == D(2027, 3, 31)
    assert series.through == D(2027, 3, 31)
    assert series.exdates == (_at(2025, 10, 14, 10),)
    assert series.override_map[_at(2025, 3, 11, 10)] == (
        _at(2025, 4, 2, 15, 30),
        _at(2025, 4, 2, 17),
    )
    unchanged = meeting_series(
        agreement,
        meeting,
        examples.calendar,
        SETTINGS,
        EMPTY,
        *series_window(agreement, EMPTY, HORIZON),
    )
    assert unchanged is not None
    assert unchanged.fingerprint != series.fingerprint


def test_a_policy_moved_occurrence_moved_again_and_one_cancelled(
    examples: Configuration,
) -> None:
    agreement = _example(examples, "halton-st-helens-s31")
    meeting = _meeting(agreement, "psd-board")
    state = fold(
        [
            MeetingMoved(
                agreement.id, D(2009, 4, 1), meeting.id, D(2009, 5, 4), _at(2009, 5, 7, 9, 30)
            ),
            MeetingCancelled(agreement.id, D(2008, 4, 1), meeting.id, D(2008, 5, 5)),
        ]
    )
    series = assert_round_trip(agreement, meeting, examples.calendar, state)
    assert series.first == _at(2008, 5, 5, 14)  # DTSTART stays the rule's first date
    assert series.exdates == (_at(2008, 5, 5, 14),)
    assert series.override_map[_at(2009, 5, 4, 14)][0] == _at(2009, 5, 7, 9, 30)


def test_notice_ending_on_a_holiday_excludes_the_date_the_policy_moves_past_it(
    examples: Configuration,
) -> None:
    agreement = _example(examples, "halton-st-helens-s31")
    meeting = _meeting(agreement, "psd-board")
    # 3 May 2010 is a bank holiday: "next" moves that meeting to 4 May, after the end.
    state = fold([NoticeServed(agreement.id, D(2009, 9, 1), "halton", D(2010, 5, 3))])
    series = assert_round_trip(agreement, meeting, examples.calendar, state)
    assert series.through == D(2010, 5, 3)
    assert series.exdates == (_at(2010, 5, 3, 14),)


def test_open_ended_window_is_the_callers(examples: Configuration) -> None:
    agreement = _example(examples, "sefton-partnership")
    meeting = _meeting(agreement, "partnership-board")
    window = (D(2025, 1, 1), D(2026, 12, 31))
    series = assert_round_trip(agreement, meeting, examples.calendar, window=window)
    assert series.until is None
    assert series.through == D(2026, 12, 31)
    assert series.first == _at(2025, 1, 8, 14)


def test_an_occurrence_moved_into_the_window_from_before_it(examples: Configuration) -> None:
    agreement = _example(examples, "sefton-partnership")
    meeting = _meeting(agreement, "partnership-board")
    state = fold(
        [
            MeetingMoved(
                agreement.id, D(2024, 12, 1), meeting.id, D(2024, 12, 11), _at(2025, 1, 2, 11)
            )
        ]
    )
    window = (D(2025, 1, 1), D(2025, 6, 30))
    series = assert_round_trip(agreement, meeting, examples.calendar, state, window)
    assert series.first == _at(2024, 12, 11, 14)


def test_no_occurrences_no_series(examples: Configuration) -> None:
    agreement = _example(examples, "nottinghamshire-healthy-families")
    meeting = _meeting(agreement, "multiagency-board")
    window = (D(2025, 4, 1), D(2026, 2, 28))
    assert meeting_series(agreement, meeting, examples.calendar, SETTINGS, EMPTY, *window) is None


# --- all-day meetings and the "previous" policy ---------------------------------------------


def _all_day(policy: Policy, time: dt.time | None = None) -> tuple[Agreement, Meeting]:
    anchor = D(2024, 1, 25)
    cadence = Cadence(friendly_to_rrule("monthly", None, anchor), anchor, policy)
    meeting = Meeting("away-day", "Away day", cadence, time, location="Somewhere")
    agreement = Agreement(
        id="demo",
        title="Demo",
        kind=AgreementKind.COOPERATION,
        binding=True,
        parties=(),
        term=Term(D(2024, 1, 1), D(2026, 12, 31)),
        meetings=(meeting,),
    )
    return agreement, meeting


@pytest.mark.parametrize("policy", list(Policy))
def test_all_day_meetings_round_trip_as_dates(
    calendar: OperationalCalendar, policy: Policy
) -> None:
    agreement, meeting = _all_day(policy)
    series = assert_round_trip(agreement, meeting, calendar)
    assert series.all_day
    assert series.first == D(2024, 1, 25)
    # 25 Dec is never operational: kept, or moved to the next or previous operational day.
    christmas = D(2024, 12, 25) in series.override_map
    assert christmas == (policy is not Policy.KEEP)


@pytest.mark.parametrize("policy", list(Policy))
def test_timed_meetings_under_every_policy(calendar: OperationalCalendar, policy: Policy) -> None:
    agreement, meeting = _all_day(policy, dt.time(9, 30))
    assert_round_trip(agreement, meeting, calendar)


def test_all_day_meeting_with_a_recorded_move(calendar: OperationalCalendar) -> None:
    agreement, meeting = _all_day(Policy.NEXT)
    state = fold(
        [MeetingMoved("demo", D(2024, 5, 1), "away-day", D(2024, 6, 25), _at(2024, 6, 28, 9))]
    )
    series = assert_round_trip(agreement, meeting, calendar, state)
    assert series.override_map[D(2024, 6, 25)][0] == _at(2024, 6, 28, 9)


# --- the fingerprint ------------------------------------------------------------------------


def test_fingerprint_is_stable_and_sees_every_change(examples: Configuration) -> None:
    agreement = _example(examples, "halton-st-helens-s31")
    meeting = _meeting(agreement, "psd-board")
    window = series_window(agreement, EMPTY, HORIZON)
    series = meeting_series(agreement, meeting, examples.calendar, SETTINGS, EMPTY, *window)
    again = meeting_series(agreement, meeting, examples.calendar, SETTINGS, EMPTY, *window)
    assert series is not None
    assert again is not None
    assert series.fingerprint == again.fingerprint
    changes = [
        replace(series, rule=series.rule + ";WKST=SU"),
        replace(series, first=_at(2008, 5, 5, 15)),
        replace(series, until=D(2011, 3, 30)),
        replace(series, through=D(2011, 3, 30)),
        replace(series, duration=dt.timedelta(hours=3)),
        replace(series, location="Elsewhere"),
        replace(series, exdates=(series.first,)),
        replace(series, overrides=series.overrides[1:]),
    ]
    prints = {change.fingerprint for change in changes}
    assert len(prints) == len(changes)
    assert series.fingerprint not in prints
    assert replace(series, title="Renamed").fingerprint == series.fingerprint


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _example(examples: Configuration, agreement_id: str) -> Agreement:
    agreement = examples.agreement(agreement_id)
    assert agreement is not None
    return agreement


def _meeting(agreement: Agreement, meeting_id: str) -> Meeting:
    return next(meeting for meeting in agreement.meetings if meeting.id == meeting_id)


@pytest.mark.parametrize(
    ("frequency", "day", "anchor"),
    [
        ("monthly", None, D(2024, 1, 31)),  # clipped to the month's end: BYSETPOS=-1
        ("annually", None, D(2024, 2, 29)),  # the leap day, clipped in other years
        ("fortnightly", "friday", D(2024, 1, 5)),
        ("weekly", None, D(2024, 1, 1)),
        ("FREQ=MONTHLY;BYDAY=MO,FR;BYSETPOS=1;COUNT=9", None, D(2024, 1, 1)),
    ],
)
@pytest.mark.parametrize("policy", list(Policy))
def test_other_rules_round_trip(
    calendar: OperationalCalendar, frequency: str, day: str | None, anchor: dt.date, policy: Policy
) -> None:
    cadence = Cadence(friendly_to_rrule(frequency, day, anchor), anchor, policy)
    meeting = Meeting("m", "Meeting", cadence, dt.time(8, 45), dt.timedelta(minutes=50))
    agreement = Agreement(
        id="demo",
        title="Demo",
        kind=AgreementKind.COOPERATION,
        binding=True,
        parties=(),
        term=Term(D(2024, 1, 1), D(2026, 12, 31)),
        meetings=(meeting,),
    )
    series = assert_round_trip(agreement, meeting, calendar)
    assert "COUNT" not in series.rule
