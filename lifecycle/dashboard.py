"""What the dashboard shows about an agreement, from the same functions that plan it: where
it stands, the next last day to serve notice (an occurrence of `timeline.plan`, never a date
computed a second way) and how long a dispute's current step has left.

Pure: `today` is passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.occurrence import OccurrenceKind, PlanSettings
from lifecycle.procedure import StepWindow, chained_ladder
from lifecycle.state import AgreementState, Case, last_day
from lifecycle.timeline import plan

# Room left at the calendar's end: a notice period or a policy's move must not run past it.
MARGIN = dt.timedelta(days=400)


class Standing(StrEnum):
    """Where an agreement stands on a day."""

    NOT_STARTED = "not started"
    RUNNING = "running"
    NOTICE_SERVED = "notice served"
    ENDED = "ended"


def standing(agreement: Agreement, state: AgreementState, today: dt.date) -> Standing:
    """Not started before its term, ended after its last day (by term, extension or
    notice), notice served while a notice is in force, else running."""
    if today < agreement.term.start:
        return Standing.NOT_STARTED
    end = last_day(agreement, state)
    if end is not None and today > end:
        return Standing.ENDED
    if state.notice is not None:
        return Standing.NOTICE_SERVED
    return Standing.RUNNING


@dataclass(frozen=True)
class NoticeDeadline:
    """The last day to serve notice for the next end still reachable, and the end."""

    last_day: dt.date
    ends_on: dt.date
    days_left: int  # calendar days from today; 0 on the day itself


def next_notice_deadline(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    today: dt.date,
) -> NoticeDeadline | None:
    """The plan's first `notice_deadline` occurrence on or after `today` (None when no notice
    rule, notice is already served, or no end is left). Planned over the rest of the calendar
    with only the term and notice clocks, so meetings are not expanded for decades."""
    last = calendar.last - MARGIN
    if agreement.notice is None or state.notice is not None or not calendar.first <= today <= last:
        return None
    clocks_only = replace(agreement, meetings=(), reviews=(), deadlines=())
    term_only = AgreementState(notice=state.notice, extended_to=state.extended_to)
    found = plan(clocks_only, calendar, settings, today, last, state=term_only)
    first = next((o for o in found if o.kind is OccurrenceKind.NOTICE_DEADLINE), None)
    if first is None or first.for_date is None:
        return None
    return NoticeDeadline(first.date, first.for_date, (first.date - today).days)


@dataclass(frozen=True)
class OpenStep:
    """An open case's current step: when it was due, when its window closes, and how many
    operational days are left to that close (negative once it has passed)."""

    case: Case
    window: StepWindow
    operational_days_left: int | None  # None: the step has no window


def current_step(
    agreement: Agreement, case: Case, calendar: OperationalCalendar, today: dt.date
) -> OpenStep | None:
    """The step of an open case current on `today`: the last one due by then (the first
    when none is yet). None for a closed case."""
    if not case.is_open:
        return None
    windows = chained_ladder(agreement, case.procedure, case.started_on, calendar,
                             case.escalations)  # fmt: skip
    if not windows:
        return None
    current = windows[0]
    for window in windows:
        if window.due <= today:
            current = window
    closes = current.closes
    left = None if closes is None else calendar.count_between(today, closes)
    return OpenStep(case, current, left)


def unsigned(agreement: Agreement, state: AgreementState, variation_id: str) -> tuple[str, ...]:
    """The parties that have not signed the variation yet, in declaration order."""
    variation = state.variations[variation_id]
    return tuple(party.id for party in agreement.parties if not variation.signed_by(party.id))
