"""An agreement's state: its fact log folded in order. Pure, and rebuilt on every plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lifecycle.agreement import Agreement
from lifecycle.facts import (
    Fact,
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


@dataclass(frozen=True)
class Notice:
    """A notice in force: who served it, when, and the day it ends the agreement (by the
    notice rule, or agreed by every party in `agreed_by`)."""

    by: str
    served_on: dt.date
    ending: dt.date
    agreed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One started procedure (a dispute, an FOI request) and what has happened to it."""

    id: str
    procedure: str
    by: str
    started_on: dt.date
    summary: str
    escalations: tuple[dt.date, ...] = ()
    closed_on: dt.date | None = None
    outcome: str = ""

    @property
    def is_open(self) -> bool:
        """True until the case is closed (a dispute resolved, an enquiry answered)."""
        return self.closed_on is None


@dataclass(frozen=True)
class Variation:
    """A proposed variation and the parties that have signed it so far."""

    id: str
    summary: str
    proposed_on: dt.date
    signatures: tuple[tuple[str, dt.date], ...] = ()

    def signed_by(self, party: str) -> bool:
        """True when `party` has signed."""
        return any(signer == party for signer, _ in self.signatures)


@dataclass(frozen=True)
class AgreementState:
    """Everything the fact log says about one agreement."""

    notice: Notice | None = None
    extended_to: dt.date | None = None
    cases: dict[str, Case] = field(default_factory=dict)
    moved: dict[tuple[str, dt.date], dt.datetime] = field(default_factory=dict)
    cancelled: frozenset[tuple[str, dt.date]] = frozenset()
    variations: dict[str, Variation] = field(default_factory=dict)


def fold(facts: Iterable[Fact]) -> AgreementState:
    """The state after every fact, applied in the order given (the order recorded)."""
    state = AgreementState()
    for fact in facts:
        state = apply(state, fact)
    return state


def apply(state: AgreementState, fact: Fact) -> AgreementState:
    """The state after one more fact."""
    if isinstance(fact, NoticeServed):
        return replace(state, notice=Notice(fact.by, fact.on, fact.ending, fact.agreed_by))
    if isinstance(fact, NoticeWithdrawn):
        return replace(state, notice=None)
    if isinstance(fact, TermExtended):
        return replace(state, extended_to=fact.to)
    if isinstance(fact, MeetingMoved):
        return replace(state, moved={**state.moved, (fact.meeting, fact.occurrence): fact.to})
    if isinstance(fact, MeetingCancelled):
        return replace(state, cancelled=state.cancelled | {(fact.meeting, fact.occurrence)})
    if isinstance(fact, ProcedureStarted | ProcedureEscalated | ProcedureClosed):
        return replace(state, cases=_apply_case(state.cases, fact))
    if isinstance(fact, VariationProposed | VariationSigned):
        return replace(state, variations=_apply_variation(state.variations, fact))
    return state


def _apply_case(cases: dict[str, Case], fact: Fact) -> dict[str, Case]:
    if isinstance(fact, ProcedureStarted):
        case = Case(fact.case, fact.procedure, fact.by, fact.on, fact.summary)
        return {**cases, case.id: case}
    if isinstance(fact, ProcedureEscalated):
        case = cases[fact.case]
        return {**cases, case.id: replace(case, escalations=(*case.escalations, fact.on))}
    if isinstance(fact, ProcedureClosed):
        case = cases[fact.case]
        return {**cases, case.id: replace(case, closed_on=fact.on, outcome=fact.outcome)}
    return cases


def _apply_variation(variations: dict[str, Variation], fact: Fact) -> dict[str, Variation]:
    if isinstance(fact, VariationProposed):
        return {**variations, fact.variation: Variation(fact.variation, fact.summary, fact.on)}
    if isinstance(fact, VariationSigned):
        variation = variations[fact.variation]
        signed = replace(variation, signatures=(*variation.signatures, (fact.by, fact.on)))
        return {**variations, variation.id: signed}
    return variations


def last_day(agreement: Agreement, state: AgreementState) -> dt.date | None:
    """The last day the agreement runs given the facts: extended, or ended early by notice."""
    ends = [day for day in (agreement.term.last_day, state.extended_to) if day is not None]
    end = max(ends) if ends else None
    if state.notice is not None:
        return state.notice.ending if end is None else min(end, state.notice.ending)
    return end
