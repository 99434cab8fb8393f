"""Command handlers: check a command against the agreement and its facts, record the fact,
then re-plan that agreement so the outbox follows at once.

All of it is one unit of work on the agreement (`Store.unit`): its facts are read, the command
decided, the fact appended and the outbox re-planned while no other writer of the agreement
runs, and it commits whole or not at all. N commands at once on one agreement are decided one
after another, each on the facts the previous ones recorded (distinct case ids, one notice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from config.loader import Configuration
from jobs.clock import Clock
from jobs.planner import (
    DEFAULT_HORIZON_DAYS,
    PlanReport,
    plan_in_unit,
    retrying,
)
from jobs.ports import AgreementUnit, OutboxConflict, RecordedFact, Store
from lifecycle import commands as c
from lifecycle import decisions as d
from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError, FactInFuture, UnknownName, Unplannable
from lifecycle.facts import Fact
from lifecycle.outbox import Changes
from lifecycle.state import AgreementState, apply, fold


@dataclass(frozen=True)
class Services:
    """What a handler needs: configuration, store, clock, who is acting, and the day plans
    start from (the App computes "today in the site's time zone", in one place)."""

    configuration: Configuration
    store: Store
    clock: Clock
    actor: str
    today: dt.date
    horizon_days: int = DEFAULT_HORIZON_DAYS


@dataclass(frozen=True)
class Outcome:
    """The fact recorded and what re-planning did."""

    recorded: RecordedFact
    report: PlanReport
    state: AgreementState


Decide = Callable[[Agreement, AgreementState, OperationalCalendar], Fact]


def handle(command: c.Command, services: Services) -> Outcome:
    """Check, record and re-plan in one unit of work; raises `Refused`/`UnknownName` and
    records nothing when the command does not apply."""
    agreement_id = c.agreement_of(command)
    agreement = services.configuration.agreement(agreement_id)
    if agreement is None:
        known = [a.id for a in services.configuration.agreements]
        raise UnknownName("agreement", agreement_id, known)
    return retrying(lambda: _handle_locked(command, agreement, services))


def _handle_locked(command: c.Command, agreement: Agreement, services: Services) -> Outcome:
    today = services.today
    with services.store.unit(agreement.id) as unit:
        facts = [item.fact for item in unit.history()]
        state = fold(facts)
        fact = decide(command, agreement, state, services.configuration, today)
        recorded = unit.append_fact(fact, services.actor, services.clock.now())
        report = _replan(services, unit, agreement, [*facts, fact], today)
    return Outcome(recorded, report, apply(state, fact))


def decide(
    command: c.Command,
    agreement: Agreement,
    state: AgreementState,
    configuration: Configuration,
    today: dt.date,
) -> Fact:
    """The fact `command` records on the agreement in `state`, or `Refused`: the one
    decision recording and its dry run (`jobs.dry_run`) both make."""
    calendar = configuration.calendar_for(agreement)
    fact = _decider(command, today)(agreement, state, calendar)
    if fact.on > today:
        raise FactInFuture(fact.on)
    return fact


def _replan(
    services: Services,
    unit: AgreementUnit,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
) -> PlanReport:
    """Re-plan inside the unit; a fact the planner cannot follow is refused, and the unit
    rolls back, so it is never recorded (the fact log cannot be edited afterwards)."""
    try:
        changes = plan_in_unit(
            services.configuration, unit, agreement, facts, today, services.horizon_days,
            services.actor, services.clock.now(),
        )  # fmt: skip
    except OutboxConflict:
        raise
    except ConcordatError as error:
        raise Unplannable(error) from error
    report = PlanReport()
    report.add(agreement.id, changes or Changes())
    return report


def _decider(command: c.Command, today: dt.date) -> Decide:
    """The domain decision for a command, as a function of agreement, state and calendar."""
    match command:
        case c.ServeNotice(_, by, on, ending, agreed):
            return lambda a, s, cal: d.serve_notice(a, s, cal, by, on, ending, agreed)
        case c.WithdrawNotice(_, on):
            return lambda a, s, _cal: d.withdraw_notice(a, s, on)
        case c.StartProcedure(_, procedure, by, on, summary):
            return lambda a, s, _cal: d.start_procedure(a, s, procedure, by, on, summary)
        case c.EscalateCase(case, on):
            return lambda a, s, cal: d.escalate_case(a, s, cal, case, on)
        case c.CloseCase(case, on, outcome):
            return lambda a, s, _cal: d.close_case(a, s, case, on, outcome)
        case c.MoveMeeting(_, meeting, occurrence, to):
            return lambda a, s, cal: d.move_meeting(a, s, cal, meeting, occurrence, to, today)
        case c.CancelMeeting(_, meeting, occurrence):
            return lambda a, s, cal: d.cancel_meeting(a, s, cal, meeting, occurrence, today)
        case c.ProposeVariation(_, on, summary):
            return lambda a, s, _cal: d.propose_variation(a, s, on, summary)
        case c.SignVariation(variation, by, on):
            return lambda a, s, _cal: d.sign_variation(a, s, variation, by, on)
        case c.ExtendTerm(_, new_end, on, beyond):
            return lambda a, s, cal: d.extend_term(a, s, cal, new_end, on, beyond)
    raise TypeError(f"no handler for {command!r}")
