"""Decide whether a reported happening applies, and if so which fact to record.

Each function takes the agreement, its current state and the day, checks the happening
against them, and returns the fact to append, or raises a subclass of `Refused` (one per
reason, with its fields) or `UnknownName`. Nothing is recorded by a refused command.
"""

from __future__ import annotations

import datetime as dt

from lifecycle.agreement import Agreement
from lifecycle.cadence import expand
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import (
    AgreedEndNeeded,
    AgreementEnded,
    AlreadyCancelled,
    AlreadyEnding,
    AlreadySigned,
    AtLastStep,
    BeforeStart,
    BeyondCalendar,
    BeyondTermLimit,
    CaseNotOpen,
    EndingOnNotice,
    EndsBefore,
    ExtensionNotLater,
    InvalidNoticeEnd,
    MeetingHasNoTime,
    NoEndToExtend,
    NoNoticeInForce,
    NoNoticeRule,
    NoSuchOccurrence,
    NotAgreedByAll,
    NoticeAlreadyEnded,
    OutsideCalendar,
    TextNeeded,
    UnknownName,
)
from lifecycle.facts import (
    MeetingCancelled,
    MeetingMoved,
    NoticeServed,
    NoticeWithdrawn,
    ProcedureClosed,
    ProcedureEscalated,
    ProcedureStarted,
    TermExtended,
    VariationProposed,
    VariationSigned,
)
from lifecycle.ids import CaseId, VariationId
from lifecycle.localtime import LocalStart, resolve
from lifecycle.notice import earliest_end, is_valid_end
from lifecycle.procedure import chained_ladder
from lifecycle.state import AgreementState, Case, Variation, last_day
from lifecycle.text import one_line


def serve_notice(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    by: str,
    on: dt.date,
    ending: dt.date | None,
    agreed_by: tuple[str, ...] = (),
) -> NoticeServed:
    """Notice to terminate, checked against the agreement's notice rule; or, when every party
    agreed another end (Halton cl. 6.2 "or such other date as may be mutually agreed"), any
    end from the day of service on."""
    _check_party(agreement, by)
    _check_running(agreement, state, on)
    rule = agreement.notice
    if rule is None:
        raise NoNoticeRule(agreement.id)
    if state.notice is not None:
        raise AlreadyEnding(agreement.id, state.notice.served_on, state.notice.ending)
    if agreed_by:
        end = _agreed_end(agreement, on, ending, agreed_by)
    else:
        earliest = earliest_end(rule, on, calendar)
        end = ending or earliest
        if not is_valid_end(rule, on, end, calendar):
            raise InvalidNoticeEnd(on, str(rule.period), rule.fy_end, end, earliest)
    current_end = last_day(agreement, state)
    if current_end is not None and end > current_end:
        raise EndsBefore(current_end, end)
    return NoticeServed(agreement.id, on, by, end, _in_party_order(agreement, agreed_by))


def _agreed_end(
    agreement: Agreement, on: dt.date, ending: dt.date | None, agreed_by: tuple[str, ...]
) -> dt.date:
    """The end every party agreed: each named party must exist and none may be missing."""
    for party in agreed_by:
        _check_party(agreement, party)
    missing = [p.id for p in agreement.parties if p.id not in agreed_by]
    if missing:
        raise NotAgreedByAll(agreement.id, missing)
    if ending is None:
        raise AgreedEndNeeded()
    _check_not_before(ending, on, "the notice was served")
    return ending


def _in_party_order(agreement: Agreement, parties: tuple[str, ...]) -> tuple[str, ...]:
    """The named parties once each, in declaration order, so the fact reads the same
    whichever order they were typed in."""
    return tuple(p.id for p in agreement.parties if p.id in parties)


def withdraw_notice(agreement: Agreement, state: AgreementState, on: dt.date) -> NoticeWithdrawn:
    """Withdraw the notice in force."""
    if state.notice is None:
        raise NoNoticeInForce(agreement.id)
    _check_not_before(on, state.notice.served_on, "the notice was served")
    if on > state.notice.ending:
        raise NoticeAlreadyEnded(state.notice.ending)
    return NoticeWithdrawn(agreement.id, on)


def start_procedure(
    agreement: Agreement,
    state: AgreementState,
    procedure_id: str,
    by: str,
    on: dt.date,
    summary: str,
) -> ProcedureStarted:
    """Start a declared procedure (a dispute, an FOI enquiry); the case gets the next id."""
    if agreement.procedure(procedure_id) is None:
        raise UnknownName("procedure", procedure_id, [p.id for p in agreement.procedures])
    _check_party(agreement, by)
    _check_running(agreement, state, on)
    text = one_line("summary", summary)
    if not text:
        raise TextNeeded("summary", "say what the matter is")
    number = 1 + sum(1 for case in state.cases.values() if case.procedure == procedure_id)
    case_id = CaseId(agreement.id, procedure_id, number)
    return ProcedureStarted(agreement.id, on, str(case_id), procedure_id, by, text)


def escalate_case(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    case_id: CaseId,
    on: dt.date,
) -> ProcedureEscalated:
    """Move an open case from the step current on `on` to the next one, early."""
    case = _open_case(state, case_id)
    last_escalation = case.escalations[-1] if case.escalations else case.started_on
    _check_not_before(on, last_escalation, "the case's last escalation or start")
    windows = chained_ladder(agreement, case.procedure, case.started_on, calendar, case.escalations)
    current = [window for window in windows if window.due <= on]
    if current and current[-1] is windows[-1] and len(windows) == _rung_count(agreement, case):
        raise AtLastStep(str(case_id), current[-1].step.title)
    return ProcedureEscalated(agreement.id, on, str(case_id))


def close_case(
    agreement: Agreement, state: AgreementState, case_id: CaseId, on: dt.date, outcome: str
) -> ProcedureClosed:
    """Close an open case (a dispute resolved, an enquiry answered)."""
    case = _open_case(state, case_id)
    _check_not_before(on, case.started_on, "the case was started")
    return ProcedureClosed(agreement.id, on, str(case_id), one_line("outcome", outcome))


def move_meeting(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    meeting_id: str,
    occurrence: dt.date,
    to: dt.datetime | LocalStart,
    on: dt.date,
) -> MeetingMoved:
    """Move one occurrence (its date in the plan) to another day and time; the fact keeps the
    rule's own date, so later policy or closure-day changes do not lose it. A local time is
    refused when the clocks changing make it name no instant or two."""
    rule_date = _check_occurrence(agreement, state, calendar, meeting_id, occurrence)
    start = to if isinstance(to, dt.datetime) else _local_start(agreement, meeting_id, to)
    _check_running(agreement, state, start.date())
    _check_in_calendar(calendar, start.date())
    return MeetingMoved(agreement.id, on, meeting_id, rule_date, start)


def _local_start(agreement: Agreement, meeting_id: str, to: LocalStart) -> dt.datetime:
    """The instant of a typed local start; a day alone keeps the meeting's own time."""
    time = to.time
    if time is None:
        time = next(m.time for m in agreement.meetings if m.id == meeting_id)
        if time is None:
            raise MeetingHasNoTime(meeting_id)
    return resolve(dt.datetime.combine(to.day, time), to.zone)


def cancel_meeting(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    meeting_id: str,
    occurrence: dt.date,
    on: dt.date,
) -> MeetingCancelled:
    """Cancel one occurrence (its date in the plan) of a meeting."""
    rule_date = _check_occurrence(agreement, state, calendar, meeting_id, occurrence)
    return MeetingCancelled(agreement.id, on, meeting_id, rule_date)


def propose_variation(
    agreement: Agreement, state: AgreementState, on: dt.date, summary: str
) -> VariationProposed:
    """Propose a variation; it takes effect only when every party has signed it."""
    _check_running(agreement, state, on)
    text = one_line("summary", summary)
    if not text:
        raise TextNeeded("summary", "say what the variation changes")
    variation_id = VariationId(agreement.id, len(state.variations) + 1)
    return VariationProposed(agreement.id, on, str(variation_id), text)


def sign_variation(
    agreement: Agreement, state: AgreementState, variation_id: VariationId, by: str, on: dt.date
) -> VariationSigned:
    """Record one party's signature of a variation."""
    variation = _variation(state, variation_id)
    _check_party(agreement, by)
    if variation.signed_by(by):
        raise AlreadySigned(by, str(variation_id))
    _check_not_before(on, variation.proposed_on, "the variation was proposed")
    return VariationSigned(agreement.id, on, str(variation_id), by)


def extend_term(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    to: dt.date,
    on: dt.date,
    beyond_limit: bool = False,
) -> TermExtended:
    """Extend the term to a new last day (as Peterborough's three-month extension). A term
    declared "up to" a last day is a maximum, so going past it must be asked for."""
    _check_running(agreement, state, on)
    if to > calendar.last:
        raise BeyondCalendar(to, calendar.last)
    current = last_day(agreement, state)
    if current is None:
        raise NoEndToExtend(agreement.id)
    if state.notice is not None:
        raise EndingOnNotice(agreement.id, state.notice.served_on)
    if to <= current:
        raise ExtensionNotLater(current, to)
    limit = agreement.term.end if agreement.term.up_to else None
    if limit is not None and to > limit and not beyond_limit:
        raise BeyondTermLimit(agreement.id, limit, to)
    return TermExtended(agreement.id, on, to)


def unsigned_parties(agreement: Agreement, variation: Variation) -> list[str]:
    """Parties that have not yet signed a variation, in declaration order."""
    return [party.id for party in agreement.parties if not variation.signed_by(party.id)]


def _rung_count(agreement: Agreement, case: Case) -> int:
    """How many steps the case's procedure and those it hands on to have in all."""
    count, current, seen = 0, agreement.procedure(case.procedure), set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        count += len(current.steps)
        current = agreement.procedure(current.then) if current.then else None
    return count


def _check_party(agreement: Agreement, party: str) -> None:
    if agreement.party(party) is None:
        raise UnknownName("party", party, [p.id for p in agreement.parties])


def _check_running(agreement: Agreement, state: AgreementState, on: dt.date) -> None:
    _check_not_before(on, agreement.term.start, f"agreement {agreement.id!r} starts")
    end = last_day(agreement, state)
    if end is not None and on > end:
        raise AgreementEnded(agreement.id, end)


def _check_not_before(on: dt.date, earliest: dt.date, what: str) -> None:
    if on < earliest:
        raise BeforeStart(on, what, earliest)


def _check_in_calendar(calendar: OperationalCalendar, day: dt.date) -> None:
    if not calendar.first <= day <= calendar.last:
        raise OutsideCalendar(day, calendar.first, calendar.last)


def _open_case(state: AgreementState, case_id: CaseId) -> Case:
    case = state.cases.get(str(case_id))
    if case is None:
        raise UnknownName("case", str(case_id), sorted(state.cases))
    if not case.is_open:
        raise CaseNotOpen(str(case_id), case.closed_on)
    return case


def _variation(state: AgreementState, variation_id: VariationId) -> Variation:
    variation = state.variations.get(str(variation_id))
    if variation is None:
        raise UnknownName("variation", str(variation_id), sorted(state.variations))
    return variation


def _check_occurrence(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    meeting_id: str,
    occurrence: dt.date,
) -> dt.date:
    """The rule's own date of the occurrence the plan shows on `occurrence`."""
    meeting = next((m for m in agreement.meetings if m.id == meeting_id), None)
    if meeting is None:
        raise UnknownName("meeting", meeting_id, [m.id for m in agreement.meetings])
    _check_in_calendar(calendar, occurrence)
    moved_here = [
        day
        for (name, day), to in state.moved.items()
        if name == meeting_id and to.date() == occurrence
    ]
    if moved_here:
        return moved_here[0]
    found = [
        i for i in expand(meeting.cadence, occurrence, occurrence, calendar) if i.date == occurrence
    ]
    if not found:
        raise NoSuchOccurrence(meeting_id, occurrence)
    rule_date = found[0].moved_from or occurrence
    if (meeting_id, rule_date) in state.cancelled:
        raise AlreadyCancelled(meeting_id, occurrence)
    return rule_date
