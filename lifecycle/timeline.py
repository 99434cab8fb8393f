"""The timeline: every dated thing an agreement's clocks produce in a window, and reminders.

This is the one place dates are expanded. The `plan` command, the planner that fills the
outbox and the calendar feeds all read the occurrences produced here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from zoneinfo import ZoneInfo

from lifecycle.agreement import Agreement, Meeting
from lifecycle.cadence import Cadence, expand
from lifecycle.calendar import OperationalCalendar
from lifecycle.notice import NoticeRule, fy_ends_between, latest_service
from lifecycle.periods import Period

UTC = dt.UTC


class OccurrenceKind(StrEnum):
    """What an occurrence is."""

    TERM_START = "term_start"
    MEETING = "meeting"
    REVIEW = "review"
    DEADLINE = "deadline"
    TERM_END = "term_end"
    NOTICE_DEADLINE = "notice_deadline"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated thing: a meeting, a due date, or a reminder about one.

    `start`/`end` are aware local datetimes for timed meetings and None for all-day things;
    `moved_from` is the rule's own date when a non-operational-day policy moved it;
    reminders carry `send_at` (UTC) and the date of the thing they remind about.
    """

    agreement: str
    rule: str
    kind: OccurrenceKind
    title: str
    date: dt.date
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    moved_from: dt.date | None = None
    send_at: dt.datetime | None = None
    for_date: dt.date | None = None
    recipients: tuple[str, ...] = ("all",)

    def sort_key(self) -> tuple[dt.date, dt.time, str, str, str, dt.date]:
        """Chronological, then stable by agreement, rule and kind."""
        moment = self.start.timetz().replace(tzinfo=None) if self.start else dt.time()
        return (
            self.date,
            moment,
            self.agreement,
            self.rule,
            self.kind.value,
            self.for_date or self.date,
        )


@dataclass(frozen=True)
class PlanSettings:
    """Site-wide settings the timeline needs: time zone, send time and default lead times."""

    timezone: ZoneInfo
    send_time: dt.time = dt.time(9, 0)
    meeting_reminders: tuple[Period, ...] = ()
    review_reminders: tuple[Period, ...] = ()
    deadline_reminders: tuple[Period, ...] = ()
    term_reminders: tuple[Period, ...] = ()
    notice_reminders: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class _Due:
    occurrence: Occurrence
    leads: tuple[Period, ...]


def plan(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
    *,
    reminders: bool = False,
) -> list[Occurrence]:
    """Everything the agreement's clocks produce from `first` to `last`, sorted.

    With `reminders`, also every reminder whose send day is in the window; their subjects may
    lie after `last` by up to the longest lead time.
    """
    horizon = last + _longest_lead(agreement, settings) if reminders else last
    dues = list(_dues(agreement, calendar, settings, first, horizon))
    result = [due.occurrence for due in dues if first <= due.occurrence.date <= last]
    if reminders:
        result.extend(_reminders(dues, calendar, settings, first, last))
    result.sort(key=Occurrence.sort_key)
    return result


def reminder_send_day(for_date: dt.date, lead: Period, calendar: OperationalCalendar) -> dt.date:
    """The day a reminder `lead` ahead of `for_date` goes out: never on a non-operational day,
    and never later than the lead says, so a weekend or holiday pulls it earlier."""
    return calendar.previous_on_or_before(lead.before(for_date, calendar))


def send_instant(day: dt.date, settings: PlanSettings) -> dt.datetime:
    """The UTC instant of the send window's opening on `day` in the site's time zone."""
    local = dt.datetime.combine(day, settings.send_time, tzinfo=settings.timezone)
    return local.astimezone(UTC)


def _reminders(
    dues: list[_Due],
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
    return max((_upper_bound(lead) for lead in leads), default=dt.timedelta())


def _upper_bound(lead: Period) -> dt.timedelta:
    """A calendar length no shorter than the period (operational days: generously)."""
    days_per_unit = {"days": 1, "operational days": 3, "weeks": 7, "months": 31, "years": 366}
    return dt.timedelta(days=lead.amount * days_per_unit[lead.unit.value] + 14)


def _dues(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[_Due]:
    ends_on = agreement.term.last_day
    yield from _term_dues(agreement, settings, first, last)
    yield from _notice_dues(agreement, calendar, settings, first, last)
    for meeting in agreement.meetings:
        leads = _leads(meeting.reminders, settings.meeting_reminders)
        for day, moved in _cadence_days(meeting.cadence, calendar, first, last, ends_on):
            yield _Due(_meeting_occurrence(agreement.id, meeting, settings, day, moved), leads)
    for review in agreement.reviews:
        leads = _leads(review.reminders, settings.review_reminders)
        for day, moved in _cadence_days(review.cadence, calendar, first, last, ends_on):
            occurrence = Occurrence(
                agreement.id,
                f"review:{review.id}",
                OccurrenceKind.REVIEW,
                review.title,
                day,
                moved_from=moved,
                recipients=review.notify,
            )
            yield _Due(occurrence, leads)
    for deadline in agreement.deadlines:
        if first <= deadline.date <= last:
            occurrence = Occurrence(
                agreement.id,
                f"deadline:{deadline.id}",
                OccurrenceKind.DEADLINE,
                deadline.title,
                deadline.date,
                recipients=deadline.notify,
            )
            yield _Due(occurrence, _leads(deadline.reminders, settings.deadline_reminders))


def _leads(own: tuple[Period, ...] | None, default: tuple[Period, ...]) -> tuple[Period, ...]:
    return default if own is None else own


def _cadence_days(
    cadence: Cadence,
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    ends_on: dt.date | None,
) -> Iterator[tuple[dt.date, dt.date | None]]:
    for item in expand(cadence, first, last, calendar):
        if ends_on is None or (item.moved_from or item.date) <= ends_on:
            yield item.date, item.moved_from


def _meeting_occurrence(
    agreement_id: str,
    meeting: Meeting,
    settings: PlanSettings,
    day: dt.date,
    moved: dt.date | None,
) -> Occurrence:
    start = end = None
    if meeting.time is not None:
        start = dt.datetime.combine(day, meeting.time, tzinfo=settings.timezone)
        end = start + meeting.duration
    return Occurrence(
        agreement_id,
        f"meeting:{meeting.id}",
        OccurrenceKind.MEETING,
        meeting.title,
        day,
        start,
        end,
        moved,
        recipients=meeting.attendees,
    )


def _term_dues(
    agreement: Agreement, settings: PlanSettings, first: dt.date, last: dt.date
) -> Iterator[_Due]:
    term = agreement.term
    if first <= term.start <= last:
        yield _Due(
            Occurrence(
                agreement.id,
                "term:start",
                OccurrenceKind.TERM_START,
                f"{agreement.title} starts",
                term.start,
            ),
            (),
        )
    end = term.last_day
    if end is not None and first <= end <= last:
        limit = "may run (the term is a maximum)" if term.up_to else "of the term"
        occurrence = Occurrence(
            agreement.id,
            "term:end",
            OccurrenceKind.TERM_END,
            f"{agreement.title}: last day {limit}",
            end,
        )
        yield _Due(occurrence, _leads(agreement.term_reminders, settings.term_reminders))


def _notice_dues(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[_Due]:
    rule = agreement.notice
    if rule is None:
        return
    leads = _leads(agreement.notice_reminders, settings.notice_reminders)
    for end in _possible_ends(rule, agreement, first, last):
        day = latest_service(rule, end, calendar)
        if first <= day <= last and day >= agreement.term.start:
            title = f"Last day to serve {rule.form} notice ({rule.period}) to end on {end:%d %b %Y}"
            yield _Due(
                Occurrence(
                    agreement.id,
                    "notice:latest",
                    OccurrenceKind.NOTICE_DEADLINE,
                    title,
                    day,
                    for_date=end,
                ),
                leads,
            )


def _possible_ends(
    rule: NoticeRule, agreement: Agreement, first: dt.date, last: dt.date
) -> list[dt.date]:
    """Ends a notice deadline is worth announcing for: each 31 March, or the term's end."""
    term_last = agreement.term.last_day
    if rule.fy_end:
        upper = rule.period.as_relativedelta() + last if not rule.period.needs_calendar else last
        ends = fy_ends_between(max(first, agreement.term.start), upper)
        return [end for end in ends if term_last is None or end <= term_last]
    return [term_last] if term_last is not None else []
