"""The timeline: every dated thing an agreement's clocks and facts produce in a window, and the
reminders about them.

This is the one place dates are expanded. The `plan` command, the planner that fills the
outbox and the calendar feeds all read the occurrences produced here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator

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
    facts_from: dt.date | None = None,
) -> list[Occurrence]:
    """Everything the agreement's clocks and recorded facts produce from `first` to `last`,
    sorted.

    With `reminders`, also every reminder whose send day is in the window; their subjects may
    lie after `last` by up to their clock's longest lead. `facts_from` starts the window of
    what facts set off earlier than `first`, so that a fact recorded a few days after it
    happened still gives its notices.
    """
    since = min(first, facts_from) if facts_from else first
    declared = list(declared_dues(agreement, state, calendar, settings, first, last, reminders))
    happened = list(fact_dues(agreement, state, calendar, settings, since, last))
    result = [due.occurrence for due in declared if first <= due.occurrence.date <= last]
    result += [due.occurrence for due in happened if due.listed]
    if reminders:
        result.extend(_reminders([*declared, *happened], calendar, settings, first, last))
    result.sort(key=Occurrence.sort_key)
    return result


def reminder_send_day(for_date: dt.date, lead: Period, calendar: OperationalCalendar) -> dt.date:
    """The day a reminder `lead` ahead of `for_date` goes out: never on a non-operational day,
    and never later than the lead says, so a weekend or holiday pulls it earlier."""
    return calendar.previous_on_or_before(lead.before(for_date, calendar))


def send_instant(day: dt.date, settings: PlanSettings) -> dt.datetime:
    """The UTC instant of the send window's opening on `day` in the site's time zone."""
    return _opening(day, settings.send_time, settings.timezone)


@functools.lru_cache(maxsize=65536)
def _opening(day: dt.date, send_time: dt.time, timezone: dt.tzinfo) -> dt.datetime:
    """Cached: thousands of agreements share the same send days."""
    return dt.datetime.combine(day, send_time, tzinfo=timezone).astimezone(UTC)


def _reminders(
    dues: list[Due],
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Occurrence]:
    reminder = OccurrenceKind.REMINDER
    names: dict[Period, str] = {}
    for due in dues:
        event = due.occurrence
        for lead in due.leads:
            day = reminder_send_day(event.date, lead, calendar)
            if first <= day <= last:
                name = names.get(lead) or names.setdefault(lead, str(lead))
                yield Occurrence(
                    event.agreement,
                    event.rule,
                    reminder,
                    f"Reminder ({name} ahead): {event.title}",
                    day,
                    None,
                    None,
                    None,
                    send_instant(day, settings),
                    event.date,
                    event.recipients,
                    name,
                    event.location,
                    event.detail,
                )
