"""The planner: configuration plus facts, over a rolling horizon, into outbox rows.

Planning an agreement whose inputs (its configuration file, the site settings, its facts, the
planning day and horizon) are unchanged since the last plan is skipped outright; otherwise the
wanted messages are reconciled with its outbox rows and only the differences are written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from config.loader import Configuration
from jobs.ports import Store
from lifecycle.agreement import Agreement
from lifecycle.facts import Fact, to_payload
from lifecycle.messages import messages_for
from lifecycle.outbox import reconcile
from lifecycle.state import fold
from lifecycle.timeline import plan, send_instant

DEFAULT_HORIZON_DAYS = 400
# A fact recorded up to this long after it happened still sends what it set off.
FACT_LOOKBACK = dt.timedelta(days=31)


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


def replan(
    configuration: Configuration,
    store: Store,
    today: dt.date,
    now: dt.datetime,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    only: set[str] | None = None,
    actor: str = "planner",
    progress: Callable[[int], None] | None = None,
) -> PlanReport:
    """Plan every agreement (or those in `only`) from `today` over the horizon."""
    report = PlanReport()
    facts = store.facts_by_agreement()
    stamps = store.stamps()
    for agreement in configuration.agreements:
        if only is not None and agreement.id not in only:
            continue
        _plan_one(
            configuration,
            store,
            stamps.get(agreement.id),
            agreement,
            facts.get(agreement.id, []),
            today,
            now,
            horizon_days,
            actor,
            report,
        )
        if progress is not None:
            progress(1)
    if only is None:
        _retire_removed(configuration, store, stamps, today, now, actor, report)
    return report


REMOVED = "removed"


def _retire_removed(
    configuration: Configuration,
    store: Store,
    stamps: dict[str, str],
    today: dt.date,
    now: dt.datetime,
    actor: str,
    report: PlanReport,
) -> None:
    """An agreement whose file was removed wants nothing more: its pending rows are withdrawn
    (and invites already sent are cancelled) as for any other change of configuration."""
    configured = {agreement.id for agreement in configuration.agreements}
    for agreement_id in sorted(set(stamps) - configured):
        if stamps[agreement_id] == REMOVED:
            continue
        window_start = send_instant(today, configuration.settings)
        changes = reconcile([], store.outbox(agreement_id), window_start)
        store.apply_plan(agreement_id, changes, REMOVED, actor, now)
        report.planned += 1
        report.inserted += len(changes.inserts)
        report.withdrawn += len(changes.withdrawals)
        if changes.count:
            report.by_agreement[agreement_id] = changes.count


def _plan_one(
    configuration: Configuration,
    store: Store,
    stamp: str | None,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    now: dt.datetime,
    horizon_days: int,
    actor: str,
    report: PlanReport,
) -> None:
    inputs = _inputs_digest(configuration, agreement, facts, today, horizon_days)
    if stamp == inputs:
        report.skipped += 1
        return
    calendar = configuration.calendar_for(agreement)
    last = today + dt.timedelta(days=horizon_days)
    occurrences = plan(
        agreement,
        calendar,
        configuration.settings,
        today,
        last,
        reminders=True,
        state=fold(facts),
        facts_from=today - FACT_LOOKBACK,
    )
    wanted = messages_for(agreement, occurrences, calendar, configuration.settings)
    window_start = send_instant(today, configuration.settings)
    changes = reconcile(wanted, store.outbox(agreement.id), window_start)
    store.apply_plan(agreement.id, changes, inputs, actor, now)
    report.planned += 1
    report.inserted += len(changes.inserts)
    report.updated += len(changes.updates) + len(changes.revivals)
    report.withdrawn += len(changes.withdrawals)
    if changes.count:
        report.by_agreement[agreement.id] = changes.count


def _inputs_digest(
    configuration: Configuration,
    agreement: Agreement,
    facts: list[Fact],
    today: dt.date,
    horizon_days: int,
) -> str:
    digest = hashlib.sha256()
    digest.update(configuration.digests.get(agreement.id, "").encode())
    digest.update(f"{today}|{horizon_days}".encode())
    for fact in facts:
        digest.update(f"{fact.type_name}|{fact.on}|{sorted(to_payload(fact).items())}".encode())
    return digest.hexdigest()
