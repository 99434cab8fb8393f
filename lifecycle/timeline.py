"""The timeline: every dated thing an agreement's clocks and facts produce in a window, and the
reminders about them.

This is the one place dates are expanded. The `plan` command, the planner that fills the
outbox and the calendar feeds all read the occurrences produced here.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterator

from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.clocks import declared_dues
from lifecycle.happenings import fact_dues
from lifecycle.occurrence import Due, Occurrence, OccurrenceKind, PlanSettings
from lifecycle.periods import Period, Unit, add_months
from lifecycle.state import AgreementState

__all__ = [
    "Occurrence",
    "OccurrenceKind",
    "PlanSettings",
    "plan",
    "reminder_send_day",
    "send_day_rule",
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
    keyed = [(occurrence.sort_key(), occurrence) for occurrence in result]
    if reminders:
        keyed += _reminders([*declared, *happened], calendar, settings, first, last)
    keyed.sort(key=_FIRST)  # the keys alone decide, and equal keys keep their order
    return [occurrence for _, occurrence in keyed]


def reminder_send_day(for_date: dt.date, lead: Period, calendar: OperationalCalendar) -> dt.date:
    """The day a reminder `lead` ahead of `for_date` goes out: never on a non-operational day,
    and never later than the lead says, so a weekend or holiday pulls it earlier."""
    return calendar.previous_on_or_before(lead.before(for_date, calendar))


def send_day_rule(lead: Period, calendar: OperationalCalendar) -> Callable[[dt.date], dt.date]:
    """`reminder_send_day` for one lead, resolved once: a plan asks it for every reminder,
    hundreds per agreement, and the unit's branch and the calendar's look-ups need not be
    found again each time. Gives exactly what `reminder_send_day` gives (a test holds it)."""
    previous = calendar.previous_on_or_before
    if lead.unit is Unit.OPERATIONAL_DAYS:
        return calendar.adder(-lead.amount)  # gives an operational day: nothing to pull back
    if lead.unit in (Unit.MONTHS, Unit.YEARS):
        months = -lead.amount * (12 if lead.unit is Unit.YEARS else 1)
        return lambda day: previous(add_months(day, months))
    return calendar.on_or_before_shifted(lead.amount * (7 if lead.unit is Unit.WEEKS else 1))


def send_instant(day: dt.date, settings: PlanSettings) -> dt.datetime:
    """The UTC instant of the send window's opening on `day` in the site's time zone."""
    return _opening(day, settings.send_time, settings.timezone)


@functools.lru_cache(maxsize=65536)
def _opening(day: dt.date, send_time: dt.time, timezone: dt.tzinfo) -> dt.datetime:
    """Cached: thousands of agreements share the same send days."""
    return dt.datetime.combine(day, send_time, tzinfo=timezone).astimezone(UTC)


SortKey = tuple[dt.date, dt.time, str, str, str, dt.date, str]
_FIRST = operator.itemgetter(0)
_MIDNIGHT = dt.time()
_new = tuple.__new__


def _reminders(
    dues: list[Due],
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[tuple[SortKey, Occurrence]]:
    """Each due's reminders sent from `first` to `last`, with their sort keys.

    The hot loop of a plan with reminders: per lead, the send-day rule and the lead's text
    are resolved once per clock (its dues share one tuple of leads), the occurrence is built
    as a plain tuple and its sort key from values at hand, not by method calls per reminder.
    """
    reminder = OccurrenceKind.REMINDER
    send_time, zone = settings.send_time, settings.timezone
    resolved: dict[tuple[Period, ...], list[tuple[str, Callable[[dt.date], dt.date]]]] = {}
    current: tuple[Period, ...] = ()
    steps: list[tuple[str, Callable[[dt.date], dt.date]]] = []
    for due in dues:
        if due.leads is not current:
            current = due.leads
            steps = resolved.get(current) or resolved.setdefault(
                current, [(str(lead), send_day_rule(lead, calendar)) for lead in current]
            )
        event = due.occurrence
        for name, send_day in steps:
            day = send_day(event.date)
            if first <= day <= last:
                occurrence: Occurrence = _new(
                    Occurrence,
                    (
                        event.agreement,
                        event.rule,
                        reminder,
                        f"Reminder ({name} ahead): {event.title}",
                        day,
                        None,
                        None,
                        None,
                        _opening(day, send_time, zone),
                        event.date,
                        event.recipients,
                        name,
                        event.location,
                        event.detail,
                        None,
                    ),
                )
                key = (day, _MIDNIGHT, event.agreement, event.rule, reminder, event.date, name)
                yield key, occurrence
