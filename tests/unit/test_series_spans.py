"""The short cuts the invites take to a series: the meeting occurrences taken straight from
the clocks are those of the whole plan, and the expansion made while the series is built is
`starts()` to the byte (type, instant, wall time and offset)."""

from __future__ import annotations

import datetime as dt

import pytest

from config.loader import Configuration
from lifecycle.agreement import Agreement
from lifecycle.clocks import meeting_occurrences
from lifecycle.facts import Fact, MeetingCancelled, MeetingMoved, NoticeServed
from lifecycle.occurrence import OccurrenceKind
from lifecycle.series import Moment, meeting_series, series_and_spans, series_window
from lifecycle.state import AgreementState, fold
from lifecycle.timeline import plan

D = dt.date
HORIZON = D(2031, 12, 31)


def _text(span: tuple[Moment, Moment]) -> tuple[str, str, str, str]:
    start, end = span
    return type(start).__name__, start.isoformat(), type(end).__name__, end.isoformat()


def _states(agreement: Agreement) -> list[AgreementState]:
    """No facts, and a moved (across a clock change), a cancelled meeting and a notice."""
    meeting = agreement.meetings[0]
    start = agreement.term.start
    dates = meeting.cadence.rule_dates(start, start + dt.timedelta(days=800))
    moved_to = dt.datetime.combine(dates[2] + dt.timedelta(days=20), dt.time(15, 30))
    facts: list[Fact] = [
        MeetingMoved(agreement.id, start, meeting.id, dates[2], moved_to.astimezone(dt.UTC)),
        MeetingCancelled(agreement.id, start, meeting.id, dates[4]),
        NoticeServed(
            agreement.id, dates[5], agreement.parties[0].id, dates[5] + dt.timedelta(days=300)
        ),
    ]
    return [AgreementState(), fold(facts)]


@pytest.mark.parametrize("with_facts", [False, True])
def test_spans_are_starts_and_occurrences_are_the_plans(
    examples: Configuration, with_facts: bool
) -> None:
    checked, excepted = 0, 0
    for agreement in examples.agreements:
        if not agreement.meetings:
            continue
        calendar = examples.calendar_for(agreement)
        settings = examples.settings
        state = _states(agreement)[with_facts]
        window = series_window(agreement, state, HORIZON)
        whole = plan(agreement, calendar, settings, *window, state=state)
        direct = meeting_occurrences(agreement, state, calendar, settings, *window)
        from_plan = [o for o in whole if o.kind is OccurrenceKind.MEETING]
        assert sorted(map(repr, direct)) == sorted(map(repr, from_plan))
        for meeting in agreement.meetings:
            made = series_and_spans(agreement, meeting, calendar, settings, state, *window, direct)
            alone = meeting_series(agreement, meeting, calendar, settings, state, *window)
            if made is None:
                assert alone is None
                continue
            series, spans = made
            assert series == alone
            assert [_text(s) for s in spans] == [_text(s) for s in series.starts()]
            checked += 1
            excepted += bool(series.exdates) and bool(series.overrides)
    assert checked >= 11
    assert excepted >= (3 if with_facts else 0)  # the facts give exceptions to compare
