"""Occurrences of the clocks an agreement declares: term, notice deadlines, meetings, reviews
and deadlines, bounded by the last day the facts leave the agreement running."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lifecycle.agreement import Agreement, Meeting
from lifecycle.cadence import Cadence, CadenceDate, apply_policy, expand
from lifecycle.calendar import OperationalCalendar
from lifecycle.notice import fy_ends_between, latest_service
from lifecycle.occurrence import Due, Occurrence, OccurrenceKind, PlanSettings
from lifecycle.periods import Period
from lifecycle.state import AgreementState, last_day

NO_TIME = dt.timedelta()
_new = tuple.__new__  # builds a named tuple from all its fields without a Python-level call


def declared_dues(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
    with_leads: bool = False,
) -> Iterator[Due]:
    """Every declared clock's occurrence from `first` to `last`; `with_leads` reaches each
    clock past `last` by its own longest lead, so that every reminder sent by `last` has its
    subject (a 7-day meeting lead does not make the meetings expand two years further)."""
    ends_on = last_day(agreement, state)

    def until(leads: tuple[Period, ...]) -> dt.date:
        return (
            last + max((lead.longest() for lead in leads), default=NO_TIME) if with_leads else last
        )

    term_leads = leads_or(agreement.term_reminders, settings.term_reminders)
    yield from _term_dues(agreement, state, settings, first, until(term_leads))
    notice_leads = leads_or(agreement.notice_reminders, settings.notice_reminders)
    yield from _notice_dues(agreement, state, calendar, settings, first, until(notice_leads))
    for meeting in agreement.meetings:
        leads = leads_or(meeting.reminders, settings.meeting_reminders)
        occurrences = _meetings(
            agreement.id, meeting, state, calendar, settings, first, until(leads), ends_on
        )
        yield from [_new(Due, (occurrence, leads, True)) for occurrence in occurrences]
    for review in agreement.reviews:
        leads = leads_or(review.reminders, settings.review_reminders)
        for item in _bounded(review.cadence, calendar, first, until(leads), ends_on):
            yield Due(
                Occurrence(
                    agreement.id,
                    f"review:{review.id}",
                    OccurrenceKind.REVIEW,
                    review.title,
                    item.date,
                    moved_from=item.moved_from,
                    recipients=review.notify,
                ),
                leads,
            )
    for deadline in agreement.deadlines:
        leads = leads_or(deadline.reminders, settings.deadline_reminders)
        if first <= deadline.date <= until(leads) and (ends_on is None or deadline.date <= ends_on):
            yield Due(
                Occurrence(
                    agreement.id,
                    f"deadline:{deadline.id}",
                    OccurrenceKind.DEADLINE,
                    deadline.title,
                    deadline.date,
                    recipients=deadline.notify,
                ),
                leads,
            )


def leads_or(own: tuple[Period, ...] | None, default: tuple[Period, ...]) -> tuple[Period, ...]:
    """The clock's own lead times, or the site's default for its kind."""
    return default if own is None else own


def _bounded(
    cadence: Cadence,
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    ends_on: dt.date | None,
) -> Iterator[CadenceDate]:
    for item in expand(cadence, first, last, calendar):
        if ends_on is None or max(item.date, item.moved_from or item.date) <= ends_on:
            yield item


def meeting_occurrences(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> list[Occurrence]:
    """Every meeting occurrence of the agreement from `first` to `last`, meeting by meeting:
    the meeting occurrences of `timeline.plan` over the window (no other clock and no fact
    makes one), without the other clocks, the facts and the sorting a series, which looks
    them up by their rule date, does not need."""
    ends_on = last_day(agreement, state)
    result: list[Occurrence] = []
    for meeting in agreement.meetings:
        occurrences = _meetings(
            agreement.id, meeting, state, calendar, settings, first, last, ends_on
        )
        result += [occurrence for occurrence in occurrences if first <= occurrence.date <= last]
    return result


def _meetings(
    agreement_id: str,
    meeting: Meeting,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
    ends_on: dt.date | None,
) -> list[Occurrence]:
    """Meeting occurrences after recorded moves and cancellations, both keyed by the rule's own
    date; a moved occurrence keeps that date in `moved_from`, and so its identity, however
    far it was moved."""
    moves = {day: to for (name, day), to in state.moved.items() if name == meeting.id}
    cancelled = {day for name, day in state.cancelled if name == meeting.id}
    skipped = cancelled | moves.keys()
    result = _scheduled(agreement_id, meeting, settings, calendar, first, last, ends_on, skipped)
    for origin, to in sorted(moves.items()):
        if origin in cancelled or not first <= to.astimezone(settings.timezone).date() <= last:
            continue
        if ends_on is not None and origin > ends_on:
            continue
        item = apply_policy(origin, meeting.cadence.policy, calendar)
        result.append(
            _moved(_meeting_at(agreement_id, meeting, settings, item), meeting, to, settings)
        )
    return result


def _scheduled(
    agreement_id: str,
    meeting: Meeting,
    settings: PlanSettings,
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    ends_on: dt.date | None,
    skipped: set[dt.date],
) -> list[Occurrence]:
    """The meeting on each date of its cadence but those moved or cancelled: `_bounded` and
    `_meeting_at` written out in one loop, as a plan makes hundreds of these per agreement."""
    rule, kind, title = f"meeting:{meeting.id}", OccurrenceKind.MEETING, meeting.title
    time, duration, zone = meeting.time, meeting.duration, settings.timezone
    attendees, location, combine = meeting.attendees, meeting.location, dt.datetime.combine
    result: list[Occurrence] = []
    for item in expand(meeting.cadence, first, last, calendar):
        date, origin = item.date, item.moved_from or item.date
        if (ends_on is not None and max(date, origin) > ends_on) or origin in skipped:
            continue
        start = end = None
        if time is not None:
            start = combine(date, time, tzinfo=zone)
            end = start + duration
        result.append(  # every field in order, as a plain tuple: no keyword handling per meeting
            _new(
                Occurrence,
                (
                    agreement_id,
                    rule,
                    kind,
                    title,
                    date,
                    start,
                    end,
                    item.moved_from,
                    None,
                    None,
                    attendees,
                    None,
                    location,
                    "",
                    None,
                ),
            )
        )
    return result


def _meeting_at(
    agreement_id: str, meeting: Meeting, settings: PlanSettings, item: CadenceDate
) -> Occurrence:
    start = end = None
    if meeting.time is not None:
        start = dt.datetime.combine(item.date, meeting.time, tzinfo=settings.timezone)
        end = start + meeting.duration
    return Occurrence(
        agreement_id,
        f"meeting:{meeting.id}",
        OccurrenceKind.MEETING,
        meeting.title,
        item.date,
        start,
        end,
        item.moved_from,
        recipients=meeting.attendees,
        location=meeting.location,
    )


def _moved(
    occurrence: Occurrence, meeting: Meeting, to: dt.datetime, settings: PlanSettings
) -> Occurrence:
    start = to.astimezone(settings.timezone)
    return Occurrence(
        occurrence.agreement,
        occurrence.rule,
        occurrence.kind,
        occurrence.title,
        start.date(),
        start,
        start + meeting.duration,
        occurrence.origin_date,
        recipients=occurrence.recipients,
        location=occurrence.location,
        detail=f"moved from {occurrence.date:%a %d %b %Y}",
    )


def _term_dues(
    agreement: Agreement,
    state: AgreementState,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Due]:
    term = agreement.term
    if first <= term.start <= last:
        yield Due(
            Occurrence(
                agreement.id,
                "term:start",
                OccurrenceKind.TERM_START,
                f"{agreement.title} starts",
                term.start,
            )
        )
    end = last_day(agreement, state)
    if end is None or not first <= end <= last:
        return
    if state.notice is not None and state.notice.ending == end:
        why = f"ends on notice served by {state.notice.by} on {state.notice.served_on}"
    elif state.extended_to == end:
        why = "last day of the extended term"
    else:
        why = (
            "last day it may run (the term is a maximum)" if term.up_to else "last day of the term"
        )
    yield Due(
        Occurrence(
            agreement.id, "term:end", OccurrenceKind.TERM_END, f"{agreement.title}: {why}", end
        ),
        leads_or(agreement.term_reminders, settings.term_reminders),
    )


def _notice_dues(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Due]:
    """The last day to serve notice for each end worth announcing; none once notice is served."""
    rule = agreement.notice
    if rule is None or state.notice is not None:
        return
    leads = leads_or(agreement.notice_reminders, settings.notice_reminders)
    term_last = last_day(agreement, state)
    if rule.fy_end:
        upper = last + rule.period.longest()
        ends = fy_ends_between(max(first, agreement.term.start), upper)
        ends = [end for end in ends if term_last is None or end <= term_last]
    else:
        ends = [term_last] if term_last is not None else []
    for end in ends:
        day = latest_service(rule, end, calendar)
        if first <= day <= last and day >= agreement.term.start:
            title = f"Last day to serve {rule.form} notice ({rule.period}) to end on {end:%d %b %Y}"
            yield Due(
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
