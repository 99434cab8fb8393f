"""What a command would set off, without recording it: the confirmation step of a form.

The command is decided against the agreement's current facts exactly as recording decides it
(`handlers.decide`), then the agreement is planned with and without the new fact by the one
`lifecycle.timeline.plan`, and the two plans are compared over a window: what it adds (a
dispute's steps, a notice's end, a meeting's new time) and what it removes (meetings after a
new end, a moved meeting's old time). The outbox is compared the same way: the messages the
fact would add and the pending ones it would withdraw. Nothing is written: the store is only
read, without a lock, so recording decides again on the facts as they are then.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from config.loader import Configuration
from jobs.handlers import decide
from jobs.planner import DEFAULT_HORIZON_DAYS, FACT_LOOKBACK, plan_agreement
from jobs.ports import RecordedFact, Store
from lifecycle import commands as c
from lifecycle.agreement import Agreement
from lifecycle.errors import UnknownName
from lifecycle.facts import Fact, MeetingMoved
from lifecycle.messages import Message
from lifecycle.outbox import Changes, Entry, State
from lifecycle.state import fold
from lifecycle.timeline import Occurrence, plan


@dataclass(frozen=True)
class Consequences:
    """The fact a command would record, and what it would change: occurrences the plan
    gains and loses, messages the outbox gains, and pending messages it withdraws."""

    fact: Fact
    plan: PlanDifference
    messages_added: list[Message]
    messages_withdrawn: list[Message]


def dry_run(
    command: c.Command,
    configuration: Configuration,
    store: Store,
    today: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Consequences:
    """Decide `command` on the facts as they are (raises `Refused` or `UnknownName` as
    recording would) and compare the plans and outboxes with and without its fact."""
    agreement_id = c.agreement_of(command)
    agreement = configuration.agreement(agreement_id)
    if agreement is None:
        known = [a.id for a in configuration.agreements]
        raise UnknownName("agreement", agreement_id, known)
    history = store.history(agreement.id)
    facts = [item.fact for item in history]
    fact = decide(command, agreement, fold(facts), configuration, today)
    difference = compare_plans(configuration, agreement, facts, fact, today, horizon_days)
    unit = _ReadUnit(history, store.outbox(agreement.id))
    # Whole: the messages the fact sets off however far ahead, not only those the outbox
    # queues within its send horizon; the rest the daily re-plan queues in their turn.
    was = plan_agreement(configuration, unit, agreement, facts, today, horizon_days, whole=True)
    will = plan_agreement(
        configuration, unit, agreement, [*facts, fact], today, horizon_days, whole=True
    )
    added, withdrawn = _outbox_difference(was, will, unit.entries)
    return Consequences(fact, difference, added, withdrawn)


@dataclass(frozen=True)
class PlanDifference:
    """What one fact changes in its agreement's plan from `first` to `last`."""

    added: list[Occurrence]
    removed: list[Occurrence]
    first: dt.date
    last: dt.date


def compare_plans(
    configuration: Configuration,
    agreement: Agreement,
    facts: list[Fact],
    fact: Fact,
    today: dt.date,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> PlanDifference:
    """The agreement's plan after `facts` and `fact` against its plan after `facts` alone:
    what a command would set off, or (on a result page) what a recorded fact did."""
    first, last = _window(fact, today, horizon_days)
    before = _plan(configuration, agreement, facts, first, last)
    after = _plan(configuration, agreement, [*facts, fact], first, last)
    return PlanDifference(_less(after, before), _less(before, after), first, last)


def _window(fact: Fact, today: dt.date, horizon_days: int) -> tuple[dt.date, dt.date]:
    """From the fact's day (or a month back, where the planner still sends what facts set
    off) to the planner's horizon, stretched to a moved meeting's old and new days."""
    first = min(fact.on, today - FACT_LOOKBACK)
    last = today + dt.timedelta(days=horizon_days)
    if isinstance(fact, MeetingMoved):
        days = (fact.occurrence, fact.to.date())
        first, last = min(first, *days), max(last, *days)
    return first, last


def _plan(
    configuration: Configuration,
    agreement: Agreement,
    facts: list[Fact],
    first: dt.date,
    last: dt.date,
) -> list[Occurrence]:
    calendar = configuration.calendar_for(agreement)
    first, last = max(first, calendar.first), min(last, calendar.last)
    return plan(agreement, calendar, configuration.settings, first, last, state=fold(facts))


def _less(these: list[Occurrence], those: list[Occurrence]) -> list[Occurrence]:
    """The occurrences of `these` not in `those` (as multisets), in plan order."""
    missing = Counter(these) - Counter(those)
    return sorted(missing.elements(), key=Occurrence.sort_key)


def _outbox_difference(
    was: Changes, will: Changes, entries: list[Entry]
) -> tuple[list[Message], list[Message]]:
    """Messages the fact adds (inserted or revived only with it) and pending messages it
    withdraws (withdrawn only with it): the outbox may be behind the plan, and that
    backlog is the planner's, not this fact's."""
    had = {m.key for m in [*was.inserts, *was.revivals]}
    added = [m for m in [*will.inserts, *will.revivals] if m.key not in had]
    by_key = {entry.message.key: entry for entry in entries}
    gone = set(will.withdrawals) - set(was.withdrawals)
    withdrawn = [
        by_key[key].message
        for key in will.withdrawals
        if key in gone and by_key[key].state is State.PENDING
    ]
    return sorted(added, key=_due), sorted(withdrawn, key=_due)


def _due(message: Message) -> tuple[dt.datetime, str]:
    return message.due_at, message.key


class _ReadUnit:
    """The planner's view of an agreement, read once; it refuses to write, since a dry run
    must never record or plan anything."""

    def __init__(self, history: list[RecordedFact], entries: list[Entry]) -> None:
        self._history, self.entries = history, entries

    def history(self) -> list[RecordedFact]:
        return list(self._history)

    def outbox(self) -> list[Entry]:
        return list(self.entries)

    def stamp(self) -> str | None:
        return None

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:  # noqa: ARG002
        raise AssertionError("a dry run records nothing")

    def apply_plan(
        self,
        changes: Changes,  # noqa: ARG002
        inputs: str,  # noqa: ARG002
        actor: str,  # noqa: ARG002
        at: dt.datetime,  # noqa: ARG002
    ) -> None:
        raise AssertionError("a dry run writes nothing")
