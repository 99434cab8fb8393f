"""Messages: what the service must send, each with a stable key, derived from occurrences.

The key names what a message is about, never when it is due, so that re-planning the same
inputs gives the same keys; what the recipient would act on is summarised by its fingerprint
(`MEANING`: the date, the times, the place, the step, the date it is about, the lead), so that
a moved meeting or an escalated dispute is a change of the same message, while a reworded
title or a corrected contact name is not: that only rewrites rows not yet sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lifecycle.agreement import Agreement, Contact, Meeting
from lifecycle.calendar import OperationalCalendar
from lifecycle.clocks import meeting_occurrences
from lifecycle.errors import MalformedId
from lifecycle.ids import CaseId, OutboxKey
from lifecycle.kinds import BY_NAME, FAMILIES, KINDS, OF_FAMILY, Kind, MessageKind, kind_for
from lifecycle.occurrence import Occurrence, OccurrenceKind, PlanSettings
from lifecycle.series import MeetingSeries, Moment, day_of, series_and_spans, series_window
from lifecycle.state import AgreementState
from lifecycle.timeline import reminder_send_day, send_instant

__all__ = [
    "MEANING",
    "Message",
    "MessageKind",
    "invite_messages",
    "kind_of",
    "messages_for",
    "occurrence_payload",
]


@dataclass(frozen=True)
class Message:
    """One message to one recipient, due at one instant (UTC)."""

    key: str
    agreement: str
    kind: MessageKind
    recipient: str
    due_at: dt.datetime
    subject: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str = ""

    @property
    def message_id(self) -> str:
        """The RFC 5322 Message-ID: derived from the key, so a resend repeats it."""
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        return f"<{digest}@concordat.invalid>"


def messages_for(
    agreement: Agreement,
    occurrences: Iterable[Occurrence],
    calendar: OperationalCalendar,
    settings: PlanSettings,
) -> list[Message]:
    """Every message the occurrences ask for, one per recipient, each of the kind
    `lifecycle.kinds` declares for its occurrence.

    What the recipients of one occurrence share (its payload, subject, fingerprint, due
    instant) is made once per occurrence, and who is told what once per list of recipients:
    this is most of the messages a plan builds."""
    messages: list[Message] = []
    clauses: dict[str, str] = {}
    # The kind follows from the occurrence's kind, its rule's prefix and whether it is a
    # first step, so it is looked up once per rule, not once per occurrence.
    kinds: dict[tuple[OccurrenceKind, str, bool], Kind | None] = {}
    for occurrence in occurrences:
        first_step = _first_step(agreement, occurrence)
        which = (occurrence.kind, occurrence.rule, first_step)
        if which in kinds:
            kind = kinds[which]
        else:
            kind = kinds[which] = kind_for(occurrence, first_step)
        if kind is None:
            continue
        due = _due(occurrence, kind, calendar, settings)
        if due is None:
            continue
        audience = _audience(agreement, occurrence.recipients)
        if occurrence.rule not in clauses:
            clauses[occurrence.rule] = agreement.clause_of(occurrence.rule)
        shared = {
            "template": kind.name,
            "agreement_title": agreement.title,
            "clause": clauses[occurrence.rule],
            "operational_days": _operational_days(occurrence, calendar),
        }
        messages.extend(_messages(occurrence, kind.family, audience, shared, due))
    return messages


def invite_messages(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    state: AgreementState,
    today: dt.date,
) -> list[Message]:
    """One invite per meeting series and attendee: the series (RRULE and exceptions, derived
    from the plan: `lifecycle.series`) from the term's start to its end, or for an agreement
    running until terminated to the end of the fourth year ahead (so an open series is
    re-issued once a year, not daily). A series with no meeting left wants none. Its
    fingerprint is the series', so any change of a date, time or place is followed up with
    the whole series again (SEQUENCE = the follow-up's number)."""
    if not agreement.meetings:
        return []
    horizon = dt.date(today.year + 4, 12, 31)
    window = series_window(agreement, state, min(horizon, calendar.last))
    messages: list[Message] = []
    every = _every_series(agreement, calendar, settings, state, window, today)
    for index, meeting in enumerate(agreement.meetings):
        known = every[index]
        if known is None:
            continue
        if not known.holds_on(today):
            known = every[index] = _Upcoming.of(known.series, today)
        if known.next is not None:
            messages += _series_invites(agreement, meeting, known, settings, calendar)
    return messages


@dataclass(frozen=True)
class _Upcoming:
    """A meeting's series, its next meeting as seen from `since` (None: none left) and the
    day of its last meeting: what the invite needs of the series' expansion."""

    series: MeetingSeries
    since: dt.date
    next: tuple[Moment, Moment] | None
    last: dt.date | None
    fingerprint: str  # the series' (a hash of all of it: made once, not per attendee)
    payload: dict[str, Any]  # the series' `to_payload()`, made once, not every day

    @classmethod
    def of(
        cls,
        series: MeetingSeries,
        today: dt.date,
        spans: list[tuple[Moment, Moment]] | None = None,
    ) -> _Upcoming:
        """Expand the series once, as seen from `today` (`spans`: its `starts()`, when the
        caller has them)."""
        if spans is None:
            spans = series.starts()
        upcoming = [span for span in spans if day_of(span[0]) >= today]
        first = min(upcoming) if upcoming else None  # the earliest: moves reorder
        last = day_of(spans[-1][0]) if spans else None
        return cls(series, today, first, last, series.fingerprint, series.to_payload())

    def holds_on(self, today: dt.date) -> bool:
        """True when the next meeting seen from `since` is also the next seen from `today`:
        no day from `since` to `today` passed it (the days only shrink what is upcoming)."""
        return self.since <= today and (self.next is None or today <= day_of(self.next[0]))


# Each agreement's series by everything they depend on: they change when the agreement, its
# facts or the year do, not from one day's re-plan to the next, and they are the costliest
# part of planning (one plan of the whole term, and the RRULE expanded again per meeting).
# Each keeps only its next meeting (a few hundred bytes), not its expansion.
_SERIES: dict[tuple[object, ...], list[_Upcoming | None]] = {}
SERIES_KEPT = 50_000  # agreements whose series are kept; then the memo starts again


def _every_series(
    agreement: Agreement,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    state: AgreementState,
    window: tuple[dt.date, dt.date],
    today: dt.date,
) -> list[_Upcoming | None]:
    """Each meeting's series over the window (None: no meeting there), made from one plan of
    the window, and remembered by its inputs (the state by its repr: equal reprs are equal
    states; a dict in it makes it unhashable). The caller brings each up to its day."""
    key = (agreement, calendar, settings, repr(state), window)
    found = _SERIES.get(key)
    if found is None:
        first_day, last_day = window
        # A meeting's occurrences depend on no other clock (`lifecycle.feeds.only_meeting`).
        planned = meeting_occurrences(agreement, state, calendar, settings, first_day, last_day)
        found = []
        for meeting in agreement.meetings:
            made = series_and_spans(
                agreement, meeting, calendar, settings, state, first_day, last_day, planned
            )
            found.append(None if made is None else _Upcoming.of(made[0], today, made[1]))
        if len(_SERIES) >= SERIES_KEPT:
            _SERIES.clear()
        _SERIES[key] = found
    return found


def forget_series() -> None:
    """Empty the series and audience memos (benchmarks of a cold first plan; tests)."""
    _SERIES.clear()
    _AUDIENCES.clear()


def _series_invites(
    agreement: Agreement,
    meeting: Meeting,
    known: _Upcoming,
    settings: PlanSettings,
    calendar: OperationalCalendar,
) -> list[Message]:
    """The series' invite to each attendee, due `invite_lead` before the next meeting (at
    once when that is already close)."""
    next_span, last = known.next, known.last
    if next_span is None or last is None:
        return []
    next_start, next_end = next_span
    due = send_instant(
        reminder_send_day(day_of(next_start), settings.invite_lead, calendar), settings
    )
    audience = _audience(agreement, meeting.attendees)
    shared: dict[str, Any] = {
        "agreement": agreement.id,
        "rule": f"meeting:{meeting.id}",
        "kind": OccurrenceKind.MEETING.value,
        "title": meeting.title,
        "date": last.isoformat(),  # what the invite is about lasts until the last meeting
        "start": next_start.isoformat(),
        "end": next_end.isoformat(),
        "location": meeting.location,
        "template": "meeting_invite",
        "agreement_title": agreement.title,
        "clause": meeting.clause,
        "series": known.payload,
        "timezone": str(settings.timezone),
    }
    subject = f"{meeting.title}: meetings from {day_of(next_start):%a %d %b %Y}"
    about = f"meeting:{meeting.id}:series"
    prefix = str(OutboxKey("invite", agreement.id, about, ""))  # each key: + the address
    attendees = _attendees(audience)
    return [
        Message(
            prefix + contact.email,
            agreement.id,
            MessageKind.INVITE,
            contact.email,
            due,
            subject,
            {
                **shared,
                "recipient_name": contact.name,
                "told": list(told),
                "attendees": list(attendees(contact)),
            },
            known.fingerprint,
        )
        for contact, told in audience
    ]


def kind_of(message: Message) -> Kind:
    """The kind a message is rendered as: a follow-up or a report by its family, a message
    the planner made by the kind it chose."""
    named = BY_NAME.get(str(message.payload.get("template", "")))
    if named is not None and named.family is message.kind:
        return named
    by_family = OF_FAMILY.get(message.kind)
    if by_family is not None:
        return by_family
    return next(kind for kind in KINDS if kind.family is message.kind)


def _first_step(agreement: Agreement, occurrence: Occurrence) -> bool:
    """True for the first step of a case's own procedure (`case:<case>:<procedure>:<step>`):
    the case has just started. A later step, or the first of a procedure it escalated to,
    is an escalation."""
    if occurrence.kind is not OccurrenceKind.PROCEDURE_STEP:
        return False
    parts = occurrence.rule.split(":")
    if len(parts) != 4:
        return False
    try:
        case = CaseId.parse(parts[1])
    except MalformedId:
        return False
    procedure = agreement.procedure(parts[2])
    return (
        procedure is not None
        and procedure.id == case.procedure
        and (procedure.steps[0].id == parts[3])
    )


def _operational_days(occurrence: Occurrence, calendar: OperationalCalendar) -> int | None:
    """Operational days from the message's day to what it is about, where that is how the
    agreement measures it (a lead in operational days; a procedure step's window)."""
    counted = occurrence.kind is OccurrenceKind.PROCEDURE_STEP or (
        occurrence.lead is not None and "operational" in occurrence.lead
    )
    if not counted or occurrence.for_date is None:
        return None
    if not calendar.first <= occurrence.date <= occurrence.for_date <= calendar.last:
        return None
    return calendar.count_between(occurrence.date, occurrence.for_date)


# The contacts a reference list names, each with who else it tells them is told.
_Audience = tuple[tuple[Contact, list[str]], ...]


# Each agreement's audiences by reference list, kept across plans (a new day's re-plan makes
# them all again otherwise), by the agreement's identity: hashing a whole agreement costs
# more than making an audience. The agreement is kept with them, so its id is not reused.
_AUDIENCES: dict[int, tuple[Agreement, dict[tuple[str, ...], _Audience]]] = {}
AUDIENCES_KEPT = 50_000  # agreements whose audiences are kept; then the memo starts again


def _audience(agreement: Agreement, references: tuple[str, ...]) -> _Audience:
    """Each contact `references` names, with who else gets the message as that contact may
    see them (remembered: `_AUDIENCES`). Callers copy the lists they are given."""
    known = _AUDIENCES.get(id(agreement))
    if known is None or known[0] is not agreement:
        if len(_AUDIENCES) >= AUDIENCES_KEPT:
            _AUDIENCES.clear()
        known = _AUDIENCES[id(agreement)] = (agreement, {})
    audiences = known[1]
    audience = audiences.get(references)
    if audience is None:
        audience = audiences[references] = _make_audience(agreement, references)
    return audience


def _make_audience(agreement: Agreement, references: tuple[str, ...]) -> _Audience:
    """Each contact with who else gets the message, as that contact may see them: private
    contacts of other organisations are left out. Who may be seen depends only on the
    viewer's party, so each name is made once and each party's view once, not once per
    pair of contacts."""
    contacts = agreement.recipients(references)
    named = [(other, _shown_name(agreement, other)) for other in contacts]
    views: dict[str, list[tuple[str, str]]] = {}
    result: list[tuple[Contact, list[str]]] = []
    for contact in contacts:
        view = views.get(contact.party)
        if view is None:
            view = views[contact.party] = [
                (other.id, name) for other, name in named if other.visible_to(contact)
            ]
        result.append((contact, [name for other_id, name in view if other_id != contact.id]))
    return tuple(result)


def _attendees(audience: _Audience) -> Callable[[Contact], list[list[str]]]:
    """The invite's attendee rows as each contact may see them, made once per party (who
    may be seen depends only on the viewer's party); callers copy the list they get."""
    views: dict[str, list[list[str]]] = {}

    def seen_by(contact: Contact) -> list[list[str]]:
        view = views.get(contact.party)
        if view is None:
            view = views[contact.party] = [
                [c.name, c.email, "REQ-PARTICIPANT"] for c, _ in audience if c.visible_to(contact)
            ]
        return view

    return seen_by


def _shown_name(agreement: Agreement, contact: Contact) -> str:
    """A contact as other recipients see them: name and organisation."""
    party = agreement.party(contact.party)
    return f"{contact.name} ({party.name})" if party is not None else contact.name


def _due(
    occurrence: Occurrence, kind: Kind, calendar: OperationalCalendar, settings: PlanSettings
) -> dt.datetime | None:
    """When the occurrence's message is due: a reminder at its send instant, a notice at the
    send time of the operational day on or before its day; None: no message."""
    if kind.family is MessageKind.REMINDER:
        return occurrence.send_at
    if kind.family is MessageKind.NOTICE:
        return send_instant(calendar.previous_on_or_before(occurrence.date), settings)
    return None


def _messages(
    occurrence: Occurrence,
    kind: MessageKind,
    audience: _Audience,
    shared: dict[str, Any],
    due: dt.datetime,
) -> Iterator[Message]:
    """The occurrence's message to each contact of the audience."""
    agreement = occurrence.agreement
    family = FAMILIES[kind].key_family
    if kind is MessageKind.REMINDER:
        about = f"{occurrence.rule}:{occurrence.about or occurrence.for_date}:{occurrence.lead}"
    else:
        about = _notice_about(occurrence)
    prefix = str(OutboxKey(family, agreement, about, ""))  # each recipient's key: + address
    base = occurrence_payload(occurrence)
    extra = {name: value for name, value in shared.items() if value}
    subject = _subject(occurrence, kind)
    fingerprint = _fingerprint(kind, base)
    for contact, told in audience:
        payload = {**base, "recipient_name": contact.name, **extra}
        if told:
            payload["told"] = list(told)
        yield Message(
            prefix + contact.email, agreement, kind, contact.email, due, subject, payload,
            fingerprint,
        )  # fmt: skip


def _notice_about(occurrence: Occurrence) -> str:
    """Steps are identified by their case and step (their day may move on escalation); chasers
    and notices by their day as well."""
    if occurrence.kind is OccurrenceKind.PROCEDURE_STEP:
        return occurrence.rule
    return f"{occurrence.rule}:{occurrence.date}"


def _subject(occurrence: Occurrence, kind: MessageKind) -> str:
    """The title and the day: for a reminder the day it reminds of."""
    if kind is MessageKind.REMINDER and occurrence.for_date is not None:
        return f"{occurrence.title} ({occurrence.for_date:%a %d %b %Y})"
    return f"{occurrence.title} ({occurrence.date:%a %d %b %Y})"


def occurrence_payload(occurrence: Occurrence) -> dict[str, Any]:
    """The occurrence as JSON-ready values, for rendering the message later."""

    def iso(value: dt.date | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "agreement": occurrence.agreement,
        "rule": occurrence.rule,
        "kind": occurrence.kind.value,
        "title": occurrence.title,
        "date": occurrence.date.isoformat(),
        "start": iso(occurrence.start),
        "end": iso(occurrence.end),
        "moved_from": iso(occurrence.moved_from),
        "for_date": iso(occurrence.for_date),
        "lead": occurrence.lead,
        "location": occurrence.location,
        "detail": occurrence.detail,
    }


# What a recipient acts on: a change of any of these in a message already sent is followed up
# (an invite update, a notice update); a change of anything else (title, wording, a contact's
# name, the send time) is not.
MEANING = ("rule", "date", "start", "end", "location", "for_date", "lead")


def _fingerprint(kind: MessageKind, payload: dict[str, Any]) -> str:
    meaning = [kind.value, *(payload[name] for name in MEANING)]
    return hashlib.sha256(json.dumps(meaning).encode()).hexdigest()[:20]
