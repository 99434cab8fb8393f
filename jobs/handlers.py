"""Command handlers: check a command against the agreement and its facts, record the fact,
then re-plan that agreement so the outbox follows at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from config.loader import Configuration
from jobs.clock import Clock
from jobs.planner import DEFAULT_HORIZON_DAYS, FACT_LOOKBACK, PlanReport, replan
from jobs.ports import RecordedFact, Store
from lifecycle import commands as c
from lifecycle import decisions as d
from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError, Refused, UnknownName
from lifecycle.facts import Fact
from lifecycle.state import AgreementState, apply, fold
from lifecycle.timeline import plan


@dataclass(frozen=True)
class Services:
    """What a handler needs: configuration, store, clock and who is acting."""

    configuration: Configuration
    store: Store
    clock: Clock
    actor: str
    horizon_days: int = DEFAULT_HORIZON_DAYS
    today: dt.date | None = None

    def planning_day(self) -> dt.date:
        """The day plans start from: given, or today in the site's time zone."""
        return (
            self.today or self.clock.now().astimezone(self.configuration.settings.timezone).date()
        )


@dataclass(frozen=True)
class Outcome:
    """The fact recorded and what re-planning did."""

    recorded: RecordedFact
    report: PlanReport
    state: AgreementState


Decide = Callable[[Agreement, AgreementState, OperationalCalendar], Fact]


def handle(command: c.Command, services: Services) -> Outcome:
    """Check, record and re-plan; raises `Refused`/`UnknownName` and records nothing when the
    command does not apply."""
    agreement_id = c.agreement_of(command)
    agreement = services.configuration.agreement(agreement_id)
    if agreement is None:
        known = [a.id for a in services.configuration.agreements]
        raise UnknownName("agreement", agreement_id, known)
    state = fold(item.fact for item in services.store.history(agreement.id))
    calendar = services.configuration.calendar_for(agreement)
    today = services.planning_day()
    fact = _decider(command, today)(agreement, state, calendar)
    if fact.on > today:
        raise Refused(f"{fact.on} is in the future: record what has happened, once it has")
    _check_plannable(services, agreement, calendar, apply(state, fact), today)
    recorded = services.store.append_fact(fact, services.actor, services.clock.now())
    report = replan(
        services.configuration,
        services.store,
        today,
        services.clock.now(),
        horizon_days=services.horizon_days,
        only={agreement.id},
        actor=services.actor,
    )
    return Outcome(recorded, report, apply(state, fact))


def _check_plannable(
    services: Services,
    agreement: Agreement,
    calendar: OperationalCalendar,
    state: AgreementState,
    today: dt.date,
) -> None:
    """Plan with the new fact before recording it, so that a fact the planner cannot follow
    is refused rather than recorded (the fact log cannot be edited afterwards)."""
    last = today + dt.timedelta(days=services.horizon_days)
    settings = services.configuration.settings
    try:
        plan(
            agreement,
            calendar,
            settings,
            today,
            last,
            reminders=True,
            state=state,
            facts_from=today - FACT_LOOKBACK,
        )
    except ConcordatError as error:
        raise Refused(f"this would leave the agreement unplannable: {error}") from error


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
