"""Decide whether a reported happening applies, and if so which fact to record.

Each function takes the agreement, its current state and the day, checks the happening
against them, and returns the fact to append, or raises `Refused`/`UnknownName` with the
reason. Nothing is recorded by a refused command.
"""

from __future__ import annotations

import datetime as dt

from lifecycle.agreement import Agreement
from lifecycle.cadence import expand
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import Refused, UnknownName
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
from lifecycle.notice import earliest_end, is_valid_end
from lifecycle.procedure import chained_ladder
from lifecycle.state import AgreementState, Case, Variation, last_day


def serve_notice(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    by: str,
    on: dt.date,
    ending: dt.date | None,
) -> NoticeServed:
    """Notice to terminate, checked against the agreement's notice rule."""
    _check_party(agreement, by)
    _check_running(agreement, state, on)
    rule = agreement.notice
    if rule is None:
        raise Refused(f"agreement {agreement.id!r} declares no notice rule")
    if state.notice is not None:
        raise Refused(
            f"agreement {agreement.id!r} is already ending: notice served on "
            f"{state.notice.served_on} ends it on {state.notice.ending}"
        )
    earliest = earliest_end(rule, on, calendar)
    end = ending or earliest
    if not is_valid_end(rule, on, end, calendar):
        fy = " expiring at the end of a financial year" if rule.fy_end else ""
        raise Refused(
            f"notice served on {on} with {rule.period}{fy} cannot end the agreement "
            f"on {end}; the earliest valid end is {earliest}"
        )
    current_end = last_day(agreement, state)
    if current_end is not None and end > current_end:
        raise Refused(f"the agreement already ends on {current_end}, before {end}")
    return NoticeServed(agreement.id, on, by, end)


def withdraw_notice(agreement: Agreement, state: AgreementState, on: dt.date) -> NoticeWithdrawn:
    """Withdraw the notice in force."""
    if state.notice is None:
        raise Refused(f"agreement {agreement.id!r} has no notice in force to withdraw")
    _check_not_before(on, state.notice.served_on, "the notice was served")
    if on > state.notice.ending:
        raise Refused(f"the notice already ended the agreement on {state.notice.ending}")
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
    if not summary.strip():
        raise Refused("a summary is needed: say what the matter is")
    number = 1 + sum(1 for case in state.cases.values() if case.procedure == procedure_id)
    case_id = f"{agreement.id}.{procedure_id}.{number}"
    return ProcedureStarted(agreement.id, on, case_id, procedure_id, by, summary.strip())


def escalate_case(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    case_id: str,
    on: dt.date,
) -> ProcedureEscalated:
    """Move an open case from the step current on `on` to the next one, early."""
    case = _open_case(state, case_id)
    last_escalation = case.escalations[-1] if case.escalations else case.started_on
    _check_not_before(on, last_escalation, "the case's last escalation or start")
    windows = chained_ladder(agreement, case.procedure, case.started_on, calendar, case.escalations)
    current = [window for window in windows if window.due <= on]
    if current and current[-1] is windows[-1] and len(windows) == _rung_count(agreement, case):
        raise Refused(f"case {case_id} is already at its last step ({current[-1].step.title})")
    return ProcedureEscalated(agreement.id, on, case_id)


def close_case(
    agreement: Agreement, state: AgreementState, case_id: str, on: dt.date, outcome: str
) -> ProcedureClosed:
    """Close an open case (a dispute resolved, an enquiry answered)."""
    case = _open_case(state, case_id)
    _check_not_before(on, case.started_on, "the case was started")
    return ProcedureClosed(agreement.id, on, case_id, outcome.strip())


def move_meeting(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    meeting_id: str,
    occurrence: dt.date,
    to: dt.datetime,
    on: dt.date,
) -> MeetingMoved:
    """Move one occurrence (its date in the plan) to another day and time; the fact keeps the
    rule's own date, so later policy or closure-day changes do not lose it."""
    rule_date = _check_occurrence(agreement, state, calendar, meeting_id, occurrence)
    _check_running(agreement, state, to.date())
    if not calendar.first <= to.date() <= calendar.last:
        raise Refused(f"{to.date()} is outside the calendar ({calendar.first} to {calendar.last})")
    return MeetingMoved(agreement.id, on, meeting_id, rule_date, to)


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
    if not summary.strip():
        raise Refused("a summary is needed: say what the variation changes")
    variation_id = f"{agreement.id}.variation.{len(state.variations) + 1}"
    return VariationProposed(agreement.id, on, variation_id, summary.strip())


def sign_variation(
    agreement: Agreement, state: AgreementState, variation_id: str, by: str, on: dt.date
) -> VariationSigned:
    """Record one party's signature of a variation."""
    variation = _variation(state, variation_id)
    _check_party(agreement, by)
    if variation.signed_by(by):
        raise Refused(f"{by} has already signed {variation_id}")
    _check_not_before(on, variation.proposed_on, "the variation was proposed")
    return VariationSigned(agreement.id, on, variation_id, by)


def extend_term(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    to: dt.date,
    on: dt.date,
) -> TermExtended:
    """Extend the term to a new last day (as Peterborough's three-month extension)."""
    _check_running(agreement, state, on)
    if to > calendar.last:
        raise Refused(f"{to} is beyond the operational calendar, which ends on {calendar.last}")
    current = last_day(agreement, state)
    if current is None:
        raise Refused(
            f"agreement {agreement.id!r} runs until terminated; there is no end to extend"
        )
    if state.notice is not None:
        raise Refused(
            f"agreement {agreement.id!r} is ending on notice served on "
            f"{state.notice.served_on}; withdraw the notice first"
        )
    if to <= current:
        raise Refused(f"the agreement already runs to {current}; an extension must go beyond it")
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
        raise Refused(f"agreement {agreement.id!r} ended on {end}")


def _check_not_before(on: dt.date, earliest: dt.date, what: str) -> None:
    if on < earliest:
        raise Refused(f"{on} is before {what} ({earliest})")


def _open_case(state: AgreementState, case_id: str) -> Case:
    case = state.cases.get(case_id)
    if case is None:
        raise UnknownName("case", case_id, sorted(state.cases))
    if not case.is_open:
        raise Refused(f"case {case_id} is not open: it was closed on {case.closed_on}")
    return case


def _variation(state: AgreementState, variation_id: str) -> Variation:
    variation = state.variations.get(variation_id)
    if variation is None:
        raise UnknownName("variation", variation_id, sorted(state.variations))
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
    if not calendar.first <= occurrence <= calendar.last:
        raise Refused(f"{occurrence} is outside the calendar ({calendar.first} to {calendar.last})")
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
        raise Refused(
            f"meeting {meeting_id!r} has no occurrence on {occurrence}; "
            "use the date `concordat plan` shows"
        )
    rule_date = found[0].moved_from or occurrence
    if (meeting_id, rule_date) in state.cancelled:
        raise Refused(f"the {occurrence} occurrence of {meeting_id!r} is already cancelled")
    return rule_date
