"""The timeline: every dated thing an agreement's clocks and facts produce in a window, and the
reminders about them.

This is the one place dates are expanded. The `plan` command, the planner that fills the
outbox and the calendar feeds all read the occurrences produced here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.clocks import declared_dues
from lifecycle.happenings import fact_dues
from lifecycle.occurrence import Due, Occurrence, OccurrenceKind, PlanSettings
from lifecycle.periods import Period
from lifecycle.state import AgreementState

__all__ = [
    "Occurrence",
    "OccurrenceKind",
    "PlanSettings",
    "plan",
    "reminder_send_day",
    "send_instant",
]

UTC = dt.UTC
EMPTY = AgreementState()


def plan(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
    *,
    reminders: bool = False,
    state: AgreementState = EMPTY,
) -> list[Occurrence]:
    """Everything the agreement's clocks and recorded facts produce from `first` to `last`,
    sorted.

    With `reminders`, also every reminder whose send day is in the window; their subjects may
    lie after `last` by up to the longest lead time.
    """
    horizon = last + _longest_lead(agreement, settings) if reminders else last
    dues = dues_between(agreement, state, calendar, settings, first, horizon)
    result = [due.occurrence for due in dues if first <= due.occurrence.date <= last]
    if reminders:
        result.extend(_reminders(dues, calendar, settings, first, last))
    result.sort(key=Occurrence.sort_key)
    return result


def dues_between(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> list[Due]:
    """Declared and fact-driven occurrences in the window, with their reminder lead times."""
    return [
        *declared_dues(agreement, state, calendar, settings, first, last),
        *fact_dues(agreement, state, calendar, settings, first, last),
    ]


def reminder_send_day(for_date: dt.date, lead: Period, calendar: OperationalCalendar) -> dt.date:
    """The day a reminder `lead` ahead of `for_date` goes out: never on a non-operational day,
    and never later than the lead says, so a weekend or holiday pulls it earlier."""
    return calendar.previous_on_or_before(lead.before(for_date, calendar))


def send_instant(day: dt.date, settings: PlanSettings) -> dt.datetime:
    """The UTC instant of the send window's opening on `day` in the site's time zone."""
    local = dt.datetime.combine(day, settings.send_time, tzinfo=settings.timezone)
    return local.astimezone(UTC)


def _reminders(
    dues: list[Due],
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Occurrence]:
    for due in dues:
        event = due.occurrence
        for lead in due.leads:
            day = reminder_send_day(event.date, lead, calendar)
            if first <= day <= last:
                yield replace(
                    event,
                    kind=OccurrenceKind.REMINDER,
                    title=f"Reminder ({lead} ahead): {event.title}",
                    date=day,
                    start=None,
                    end=None,
                    moved_from=None,
                    send_at=send_instant(day, settings),
                    for_date=event.date,
                    lead=str(lead),
                )


def _longest_lead(agreement: Agreement, settings: PlanSettings) -> dt.timedelta:
    leads: list[Period] = [
        *settings.meeting_reminders,
        *settings.review_reminders,
        *settings.deadline_reminders,
        *settings.term_reminders,
        *settings.notice_reminders,
        *(agreement.term_reminders or ()),
        *(agreement.notice_reminders or ()),
    ]
    for clocks in (agreement.meetings, agreement.reviews, agreement.deadlines):
        for clock in clocks:
            leads.extend(clock.reminders or ())
    return max((lead.longest() for lead in leads), default=dt.timedelta())
