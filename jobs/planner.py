"""The planner: configuration plus facts, over a rolling horizon, into outbox rows.

Planning an agreement whose inputs (its configuration file, the site settings, its facts, the
planning day and horizon) are unchanged since the last plan is skipped outright; otherwise the
wanted messages are reconciled with its outbox rows and only the differences are written.

Each agreement is planned in its own unit of work (`Store.unit`): no recording command or
other planner writes it meanwhile, and the outbox writes are compare-and-set, so a planner
that raced a sender (a row claimed or sent between its read and its write) starts that
agreement again from a fresh read, a bounded number of times.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TypeVar

from config.loader import Configuration
from jobs.ports import AgreementUnit, OutboxConflict, Store
from lifecycle.agreement import Agreement
from lifecycle.digests import digest_messages, without_folded
from lifecycle.facts import Fact, to_payload
from lifecycle.messages import Message, MessageKind, invite_messages, messages_for
from lifecycle.occurrence import Occurrence
from lifecycle.outbox import Changes, Entry, State, instance_cancels, reconcile
from lifecycle.state import AgreementState, fold
from lifecycle.timeline import plan, send_instant

DEFAULT_HORIZON_DAYS = 400
# A fact recorded up to this long after it happened still sends what it set off.
FACT_LOOKBACK = dt.timedelta(days=31)
# How many times a unit of work that lost a race with a sender is started again.
ATTEMPTS = 5
REMOVED = "removed"
T = TypeVar("T")


@dataclass
class PlanReport:
    """What a planning run did."""

    planned: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0
    withdrawn: int = 0
    by_agreement: dict[str, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        """Outbox rows written in all."""
        return self.inserted + self.updated + self.withdrawn

    def add(self, agreement: str, changes: Changes) -> None:
        """Count one agreement's planned changes."""
        self.planned += 1
        self.inserted += len(changes.inserts)
        self.updated += len(changes.updates) + len(changes.revivals)
        self.withdrawn += len(changes.withdrawals)
        if changes.count:
            self.by_agreement[agreement] = changes.count


def retrying(work: Callable[[], T]) -> T:
    """Run a unit of work, starting it again when it lost a race with a sender."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except OutboxConflict:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def replan(
    configuration: Configuration,
    store: Store,
    today: dt.date,
    now: dt.datetime,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    only: Collection[str] | None = None,
    actor: str = "planner",
    progress: Callable[[int], None] | None = None,
) -> PlanReport:
    """Plan every agreement (or those in `only`) from `today` over the horizon. Facts and
    stamps are read in bulk first, so unchanged agreements cost no lock and no write."""
    report = PlanReport()
    facts = store.facts_by_agreement(only)  # only those planned: O(changed) for a reload
    stamps = store.stamps(only)
    for agreement in configuration.agreements:
        if only is not None and agreement.id not in only:
            continue
        known = facts.get(agreement.id, [])
        if stamps.get(agreement.id) == plan_inputs(
            configuration, agreement, known, today, horizon_days
        ):
            report.skipped += 1
        else:
            retrying(
                functools.partial(
                    _plan_locked, configuration, store, agreement, today, now, horizon_days,
                    actor, report,
                )
            )  # fmt: skip
        if progress is not None:
            progress(1)
    if only is None:
        _retire_removed(configuration, store, stamps, today, now, actor, report)
    return report


def _plan_locked(
    configuration: Configuration,
    store: Store,
    agreement: Agreement,
    today: dt.date,
    now: dt.datetime,
    horizon_days: int,
    actor: str,
    report: PlanReport,
) -> None:
    """Plan one agreement in its own unit, from what the unit reads (a command may have
    recorded a fact since the bulk read)."""
    with store.unit(agreement.id) as unit:
        facts = [item.fact for item in unit.history()]
        changes = plan_in_unit(
            configuration, unit, agreement, facts, today, horizon_days, actor, now
        )
    if changes is None:
        report.skipped += 1
    else:
        report.add(agreement.id, changes)


def plan_in_unit(
    configuration: Configuration,
    unit: AgreementUnit,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    horizon_days: int,
    actor: str,
    now: dt.datetime,
) -> Changes | None:
    """Plan the unit's agreement and write the changes and the plan stamp; None (nothing
    written) when its inputs are unchanged since it was last planned."""
    inputs = plan_inputs(configuration, agreement, facts, today, horizon_days)
    if unit.stamp() == inputs:
        return None
    changes = plan_agreement(configuration, unit, agreement, facts, today, horizon_days)
    unit.apply_plan(changes, inputs, actor, now)
    return changes


def plan_agreement(
    configuration: Configuration,
    unit: AgreementUnit,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    horizon_days: int,
) -> Changes:
    """The outbox changes that make the unit's agreement match its plan from `today`.

    What facts set off is planned from `FACT_LOOKBACK` ago, or from the oldest notice still
    pending if that is older, so that every pending notice a later fact made void (a chaser
    for a variation signed since) is seen unwanted and withdrawn. Notices older than the
    lookback are only compared, never newly inserted or revived: they would go out late."""
    settings, calendar = configuration.settings, configuration.calendar_for(agreement)
    existing = unit.outbox()
    state = fold(facts)
    lookback = today - FACT_LOOKBACK
    since = min([lookback, *_pending_notice_days(existing, settings.timezone)])
    occurrences = plan(
        agreement,
        calendar,
        settings,
        today,
        today + dt.timedelta(days=horizon_days),
        reminders=True,
        state=state,
        facts_from=since,
    )
    lookback_start = send_instant(lookback, settings)
    known = {e.message.key for e in existing if e.state is not State.WITHDRAWN}
    wanted = [
        message
        for message in planned_messages(configuration, agreement, occurrences, state, today)
        if message.kind is not MessageKind.NOTICE
        or message.due_at >= lookback_start
        or message.key in known
    ]
    wanted += instance_cancels(wanted, existing, today, send_instant(today, settings))
    return reconcile(
        wanted,
        existing,
        send_instant(today, settings),
        notices_from=send_instant(since, settings),
        today=today,
    )


def planned_messages(
    configuration: Configuration,
    agreement: Agreement,
    occurrences: list[Occurrence],
    state: AgreementState,
    today: dt.date,
) -> list[Message]:
    """Every message the plan wants for the agreement from `today`, before the outbox is
    consulted: the occurrences' messages (less the reminders folded into digests), the
    series invites and the digests. The planner and `concordat preview` both read it."""
    settings, calendar = configuration.settings, configuration.calendar_for(agreement)
    wanted = without_folded(agreement, messages_for(agreement, occurrences, calendar, settings))
    wanted += invite_messages(agreement, calendar, settings, state, today)
    wanted += digest_messages(agreement, occurrences, calendar, settings, today)
    return wanted


def _pending_notice_days(existing: list[Entry], timezone: dt.tzinfo) -> list[dt.date]:
    return [
        entry.message.due_at.astimezone(timezone).date()
        for entry in existing
        if entry.state is State.PENDING and entry.message.kind is MessageKind.NOTICE
    ]


def _retire_removed(
    configuration: Configuration,
    store: Store,
    stamps: dict[str, str],
    today: dt.date,
    now: dt.datetime,
    actor: str,
    report: PlanReport,
) -> None:
    """An agreement whose file was removed wants nothing more: all its pending rows are
    withdrawn, also those already due, and invites already sent for meetings to come are
    cancelled."""
    configured = {agreement.id for agreement in configuration.agreements}
    everything = dt.datetime.min.replace(tzinfo=dt.UTC)
    for agreement_id in sorted(set(stamps) - configured):
        if stamps[agreement_id] == REMOVED:
            continue

        def retire(agreement_id: str = agreement_id) -> Changes:
            with store.unit(agreement_id) as unit:
                changes = reconcile([], unit.outbox(), everything, today=today)
                unit.apply_plan(changes, REMOVED, actor, now)
            return changes

        report.add(agreement_id, retrying(retire))


def plan_inputs(
    configuration: Configuration,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    horizon_days: int,
) -> str:
    """The digest a plan is stamped with: the agreement's file, the site, its facts, the
    planning day and the horizon."""
    digest = hashlib.sha256()
    digest.update(configuration.digests.get(agreement.id, "").encode())
    digest.update(f"{today}|{horizon_days}".encode())
    for fact in facts:
        digest.update(f"{fact.type_name}|{fact.on}|{sorted(to_payload(fact).items())}".encode())
    return digest.hexdigest()
