"""Occurrences set off by recorded facts: notices served, procedure steps, variation chasers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.occurrence import Due, Occurrence, OccurrenceKind, PlanSettings
from lifecycle.procedure import chained_ladder
from lifecycle.state import AgreementState, Case, Variation, last_day


def fact_dues(
    agreement: Agreement,
    state: AgreementState,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Due]:
    """Everything the facts set off from `first` to `last`."""
    notice = state.notice
    if notice is not None and first <= notice.served_on <= last:
        title = (
            f"Notice served by {_party_name(agreement, notice.by)}: the agreement ends on "
            f"{notice.ending:%d %b %Y}"
        )
        yield Due(
            Occurrence(
                agreement.id,
                "notice:served",
                OccurrenceKind.NOTICE_SERVED,
                title,
                notice.served_on,
                for_date=notice.ending,
            )
        )
    for case in state.cases.values():
        yield from _case_dues(agreement, case, calendar, first, last)
        yield from _closing_dues(agreement, case, calendar, settings, first, last)
    ends_on = last_day(agreement, state)
    chase_until = last if ends_on is None else min(last, ends_on)
    for variation in state.variations.values():
        yield from _variation_dues(agreement, variation, settings, first, chase_until)


def _closing_dues(
    agreement: Agreement,
    case: Case,
    calendar: OperationalCalendar,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Due]:
    """The close of each step's window, for its reminders only ("N operational days left"):
    none for a closed case, nor for a window the case escalated out of before it closed."""
    if case.closed_on is not None or not settings.window_reminders:
        return
    windows = chained_ladder(agreement, case.procedure, case.started_on, calendar,
                             case.escalations)  # fmt: skip
    for window, following in zip(windows, [*windows[1:], None], strict=True):
        closes = window.closes
        if closes is None or not first <= closes <= last:
            continue
        if following is not None and following.due <= closes:
            continue  # escalated before this window closed
        title = f"Window closes: {window.step.title} ({case.id}: {case.summary})"
        occurrence = Occurrence(
            agreement.id,
            f"case:{case.id}:{window.procedure}:{window.step.id}",
            OccurrenceKind.PROCEDURE_STEP,
            title,
            closes,
            recipients=window.step.notify,
        )
        yield Due(occurrence, settings.window_reminders, listed=False)


def _case_dues(
    agreement: Agreement, case: Case, calendar: OperationalCalendar, first: dt.date, last: dt.date
) -> Iterator[Due]:
    """Each step due up to the case's closing day; later steps are not wanted any more."""
    for window in chained_ladder(
        agreement, case.procedure, case.started_on, calendar, case.escalations
    ):
        if case.closed_on is not None and window.due > case.closed_on:
            break
        if not first <= window.due <= last:
            continue
        closes = f"; window closes {window.closes:%a %d %b %Y}" if window.closes else ""
        title = f"{window.step.title} ({case.id}: {case.summary})"
        yield Due(
            Occurrence(
                agreement.id,
                f"case:{case.id}:{window.procedure}:{window.step.id}",
                OccurrenceKind.PROCEDURE_STEP,
                title,
                window.due,
                for_date=window.closes,
                recipients=window.step.notify,
                detail=f"due {window.due:%a %d %b %Y}{closes}",
            )
        )
    if case.closed_on is not None and first <= case.closed_on <= last:
        outcome = f": {case.outcome}" if case.outcome else ""
        yield Due(
            Occurrence(
                agreement.id,
                f"case:{case.id}:closed",
                OccurrenceKind.PROCEDURE_CLOSED,
                f"{case.id} closed{outcome}",
                case.closed_on,
            )
        )


def _variation_dues(
    agreement: Agreement,
    variation: Variation,
    settings: PlanSettings,
    first: dt.date,
    last: dt.date,
) -> Iterator[Due]:
    """Chase each party that has not signed, on the site's cadence, until all have; then say
    the variation has taken effect."""
    signed_on = dict(variation.signatures)
    if all(party.id in signed_on for party in agreement.parties):
        effective = max(signed_on.values())
        if first <= effective <= last:
            yield Due(
                Occurrence(
                    agreement.id,
                    f"variation:{variation.id}:effective",
                    OccurrenceKind.VARIATION_EFFECTIVE,
                    f"Variation in effect: {variation.summary}",
                    effective,
                )
            )
        return
    day = settings.variation_chase.after(variation.proposed_on)
    while day <= last:
        unsigned = tuple(
            f"party:{party.id}"
            for party in agreement.parties
            if party.id not in signed_on or signed_on[party.id] > day
        )
        if day >= first and unsigned:
            yield Due(
                Occurrence(
                    agreement.id,
                    f"variation:{variation.id}:chase",
                    OccurrenceKind.VARIATION_CHASER,
                    f"Signature needed: {variation.summary} ({variation.id})",
                    day,
                    recipients=unsigned,
                )
            )
        day = settings.variation_chase.after(day)


def _party_name(agreement: Agreement, party_id: str) -> str:
    party = agreement.party(party_id)
    return party.name if party else party_id
