"""The planner: configuration plus facts, over a rolling horizon, into outbox rows.

Planning an agreement whose inputs (its configuration file, the site settings, its facts, the
planning day and horizon) are unchanged since the last plan is skipped outright; otherwise the
wanted messages are reconciled with its outbox rows and only the differences are written.

The agreements that need planning are planned `BATCH` at a time in one transaction
(`Store.batch`): no recording command or other planner writes them meanwhile, their rows are
read together and their changes written in bulk at the end. The outbox writes are
compare-and-set, so a batch that raced a sender (a row claimed or sent between its read and
its write) starts again from a fresh read, a bounded number of times, and then falls back to
one unit of work per agreement, so one busy agreement cannot hold back the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from jobs.ports import AgreementUnit, OutboxConflict, Store
from lifecycle.agreement import Agreement
from lifecycle.digests import digest_messages, without_folded
from lifecycle.facts import Fact, to_payload
from lifecycle.messages import Message, MessageKind, invite_messages, messages_for
from lifecycle.occurrence import Occurrence, OccurrenceKind
from lifecycle.outbox import Changes, Entry, State, instance_cancels, reconcile
from lifecycle.state import AgreementState, fold
from lifecycle.timeline import plan, send_instant

if TYPE_CHECKING:  # pydantic: `concordat --help` reads DEFAULT_HORIZON_DAYS without it
    from config.loader import Configuration

DEFAULT_HORIZON_DAYS = 400
# A fact recorded up to this long after it happened still sends what it set off.
FACT_LOOKBACK = dt.timedelta(days=31)
# How many times a unit of work that lost a race with a sender is started again.
ATTEMPTS = 5
REMOVED = "removed"
# Agreements planned in one transaction: enough that the bulk writes and the one commit pay
# (a commit per agreement cost ~8.5 ms on SQLite), few enough that a batch holds its locks
# (on SQLite, the database's: senders and commands wait) only while it plans that many.
BATCH = 100
# How many times a batch that lost a race is started again before its agreements are
# planned one by one.
BATCH_ATTEMPTS = 2
T = TypeVar("T")
R = TypeVar("R")


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


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run a unit of work, starting it again when it lost a race with a sender."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OutboxConflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def in_batches(items: Sequence[T], work: Callable[[list[T]], list[R]]) -> list[R]:
    """Run `work` on `BATCH` items at a time, each batch `retrying`; a batch that keeps
    losing races is run again one item at a time, each retried on its own."""
    results: list[R] = []
    for start in range(0, len(items), BATCH):
        chunk = list(items[start : start + BATCH])
        try:
            results += retrying(functools.partial(work, chunk), BATCH_ATTEMPTS)
        except OutboxConflict:
            for item in chunk:
                results += retrying(functools.partial(work, [item]))
    return results


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
    stamps are read in bulk first, so unchanged agreements cost no lock and no write; the
    others are planned in batches."""
    return _replan(configuration, store, today, now, horizon_days, only, actor, progress)


@contextlib.contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch is planned: a plan makes
    millions of short-lived objects, none of them in cycles worth collecting, and the
    collector's full passes over the configuration's long-lived objects took a quarter of a
    1,000-agreement plan. Reference counting still frees everything at once; the collector
    runs between batches, so whatever cycles a batch leaves cannot pile up over 10,000."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _replan(
    configuration: Configuration,
    store: Store,
    today: dt.date,
    now: dt.datetime,
    horizon_days: int,
    only: Collection[str] | None,
    actor: str,
    progress: Callable[[int], None] | None,
) -> PlanReport:
    report = PlanReport()
    facts = store.facts_by_agreement(only)  # only those planned: O(changed) for a reload
    stamps = store.stamps(only)
    due: list[Agreement] = []
    for agreement in configuration.agreements:
        if only is not None and agreement.id not in only:
            continue
        known = facts.get(agreement.id, [])
        if stamps.get(agreement.id) == plan_inputs(
            configuration, agreement, known, today, horizon_days
        ):
            report.skipped += 1
            if progress is not None:
                progress(1)
        else:
            due.append(agreement)

    def plan_batch(agreements: list[Agreement]) -> list[tuple[str, Changes | None]]:
        with paused_garbage_collector():
            planned = _plan_locked(
                configuration, store, agreements, today, now, horizon_days, actor
            )
        if progress is not None:
            progress(len(agreements))
        return planned

    for agreement_id, changes in in_batches(due, plan_batch):
        if changes is None:
            report.skipped += 1
        else:
            report.add(agreement_id, changes)
    if only is None:
        _retire_removed(configuration, store, stamps, today, now, actor, report)
    return report


def _plan_locked(
    configuration: Configuration,
    store: Store,
    agreements: list[Agreement],
    today: dt.date,
    now: dt.datetime,
    horizon_days: int,
    actor: str,
) -> list[tuple[str, Changes | None]]:
    """Plan the agreements in one batch, each from what the batch reads (a command may have
    recorded a fact since the bulk read); each one's changes, or None where its inputs are
    unchanged since its last plan. Nothing is written unless the whole batch is."""
    with store.batch([agreement.id for agreement in agreements]) as units:
        planned = []
        for agreement in agreements:
            unit = units[agreement.id]
            facts = [item.fact for item in unit.history()]
            changes = plan_in_unit(
                configuration, unit, agreement, facts, today, horizon_days, actor, now
            )
            planned.append((agreement.id, changes))
    return planned


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
    *,
    whole: bool = False,
) -> Changes:
    """The outbox changes that make the unit's agreement match its plan from `today`.

    The plan looks `horizon_days` ahead, but the outbox holds only the messages due within
    the site's send horizon (`send_horizon_end`; `whole`: everything, as a dry run shows a
    command's consequences). Reminders due later are not even built: that is where planning
    spends its time.

    What facts set off is planned from `FACT_LOOKBACK` ago, or from the oldest notice still
    pending if that is older, so that every pending notice a later fact made void (a chaser
    for a variation signed since) is seen unwanted and withdrawn. Notices older than the
    lookback are only compared, never newly inserted or revived: they would go out late."""
    settings, calendar = configuration.settings, configuration.calendar_for(agreement)
    until = None if whole else send_horizon_end(configuration, today)
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
        for message in planned_messages(configuration, agreement, occurrences, state, today, until)
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
        window_end=until,
    )


def with_send_horizon(configuration: Configuration, days: int | None) -> Configuration:
    """The configuration with another send horizon: None queues everything the plan wants
    (the outbox as it was planned before there was a send horizon)."""
    plan_table = configuration.site.plan.model_copy(update={"send_horizon_days": days})
    site = configuration.site.model_copy(update={"plan": plan_table})
    return dataclasses.replace(configuration, site=site)


def send_horizon_end(configuration: Configuration, today: dt.date) -> dt.datetime | None:
    """The last instant the outbox holds rows for: the send time `send_horizon_days` (the
    site's `[plan]` table) after `today`; None when the setting covers everything."""
    days = configuration.site.plan.send_horizon_days
    if days is None:
        return None
    return send_instant(today + dt.timedelta(days=days), configuration.settings)


def planned_messages(
    configuration: Configuration,
    agreement: Agreement,
    occurrences: list[Occurrence],
    state: AgreementState,
    today: dt.date,
    until: dt.datetime | None = None,
) -> list[Message]:
    """Every message the plan wants for the agreement from `today`, before the outbox is
    consulted: the occurrences' messages (less the reminders folded into digests), the
    series invites and the digests. The planner and `concordat preview` both read it.

    With `until`, reminders due after it are left out before they are built (the bulk of
    the messages); invites, notices and digests, few, are built whole, since the outbox
    follows up what was delivered of them by what is wanted now."""
    settings, calendar = configuration.settings, configuration.calendar_for(agreement)
    if until is not None:
        occurrences = [o for o in occurrences if not _reminder_after(o, until)]
    wanted = without_folded(agreement, messages_for(agreement, occurrences, calendar, settings))
    wanted += invite_messages(agreement, calendar, settings, state, today)
    wanted += digest_messages(agreement, occurrences, calendar, settings, today)
    return wanted


def _reminder_after(occurrence: Occurrence, until: dt.datetime) -> bool:
    return (
        occurrence.kind is OccurrenceKind.REMINDER
        and occurrence.send_at is not None
        and occurrence.send_at > until
    )


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
    removed = [name for name in sorted(set(stamps) - configured) if stamps[name] != REMOVED]

    def retire(agreement_ids: list[str]) -> list[tuple[str, Changes]]:
        with store.batch(agreement_ids) as units:
            retired = []
            for agreement_id in agreement_ids:
                unit = units[agreement_id]
                changes = reconcile([], unit.outbox(), everything, today=today)
                unit.apply_plan(changes, REMOVED, actor, now)
                retired.append((agreement_id, changes))
        return retired

    for agreement_id, changes in in_batches(removed, retire):
        report.add(agreement_id, changes)


def plan_inputs(
    configuration: Configuration,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    horizon_days: int,
) -> str:
    """The digest a plan is stamped with: the agreement's file, the site, its facts, the
    planning day, the horizon and the send horizon (when it does not cover everything)."""
    digest = hashlib.sha256()
    digest.update(configuration.digests.get(agreement.id, "").encode())
    digest.update(f"{today}|{horizon_days}".encode())
    send_horizon = configuration.site.plan.send_horizon_days
    if send_horizon is not None:
        digest.update(f"|send {send_horizon}".encode())
    for fact in facts:
        digest.update(f"{fact.type_name}|{fact.on}|{sorted(to_payload(fact).items())}".encode())
    return digest.hexdigest()
