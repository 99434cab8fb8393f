"""The dispatcher: takes due rows from the outbox, hands them to the mailer, and records what
became of each. Any number of dispatchers may run on one PostgreSQL: each claims its own rows
under a lease (`Store.claim`), so no row is sent by two at once, and a dispatcher that dies
leaves rows another reclaims when the lease runs out.

The one window a crash can leave is a message the mail server accepted whose `sent` was not
yet recorded: after the lease it is claimed and sent again, with the same Message-ID (derived
from the outbox key), so the repeat is recognisably the same message. Nothing is dropped: a
row leaves `sending` only as sent, retried later, failed (logged, and reported to the site's
administrator by a message queued in the same transaction), or missed (a reminder of
something already past, logged).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from zoneinfo import ZoneInfo

from jobs.backoff import backoff
from jobs.clock import Clock
from jobs.ports import Claim, Delivery, Mailer, OnDelivery, Outcome, Store
from lifecycle.catch_up import missed_reason
from lifecycle.messages import Message
from lifecycle.reports import failure_report, missed_report

log = logging.getLogger("concordat.dispatcher")


@dataclass(frozen=True)
class DispatchPolicy:
    """How the dispatcher claims and retries."""

    lease: dt.timedelta = dt.timedelta(minutes=5)
    batch: int = 50
    max_attempts: int = 8
    retry_base: dt.timedelta = dt.timedelta(minutes=1)
    retry_cap: dt.timedelta = dt.timedelta(hours=6)
    late_after: dt.timedelta = dt.timedelta(minutes=15)  # due longer ago: sent "late"
    report_to: str | None = None  # the site's administrator, told of each failed message


@dataclass(frozen=True)
class Event:
    """One thing that happened to one message, for the log."""

    action: str  # sent, retry, failed, missed, lost
    key: str
    agreement: str
    recipient: str
    subject: str
    detail: str = ""
    late: bool = False
    kind: str = ""  # why it was sent: reminder, invite, notice, admin_report...
    clause: str = ""  # the clause of the agreement it comes from, when the TOML names one


@dataclass
class DispatchReport:
    """What one round of dispatching did."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, action: str) -> None:
        """Count one event."""
        self.counts[action] = self.counts.get(action, 0) + 1

    @property
    def handled(self) -> int:
        """Rows taken out of the outbox's hands this round."""
        return sum(self.counts.values())


class Dispatcher:
    """Claims, delivers and marks, batch after batch, until nothing is due."""

    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        clock: Clock,
        owner: str,
        timezone: ZoneInfo,
        policy: DispatchPolicy = DispatchPolicy(),
        log: Callable[[Event], None] | None = None,
        rng: random.Random | None = None,
        lease_clock: Clock | None = None,
    ) -> None:
        self.store, self.mailer, self.clock = store, mailer, clock
        self.lease_clock = lease_clock or clock  # real time, even when `clock` is simulated
        self.owner, self.timezone, self.policy = owner, timezone, policy
        self.log = log or (lambda _event: None)
        self.rng = rng or random.Random()

    async def dispatch_due(self, stop: asyncio.Event | None = None) -> DispatchReport:
        """Send everything due now; returns what was done. Stops between batches when `stop`
        is set, so a shutdown never abandons a batch half-recorded."""
        report = DispatchReport()
        await asyncio.to_thread(self.store.reclaim_expired, self.lease_clock.now())
        while stop is None or not stop.is_set():
            claims = await asyncio.to_thread(
                partial(self.store.claim, lease_from=self.lease_clock.now()),
                self.owner, self.clock.now(), self.policy.lease, self.policy.batch,
            )  # fmt: skip
            if not claims:
                break
            await self._batch(claims, report)
        return report

    async def _batch(self, claims: list[Claim], report: DispatchReport) -> None:
        now = self.clock.now()
        today = now.astimezone(self.timezone).date()
        to_send: list[Claim] = []
        missed: list[tuple[Message, str]] = []
        for claim in claims:
            reason = _missed(claim, today)
            if reason is None:
                to_send.append(claim)
                continue
            moved = await asyncio.to_thread(self.store.mark_missed, claim, now, reason)
            self._record(report, "missed" if moved else "lost", claim, reason)
            if moved:
                missed.append((claim.message, reason))
        await self._report_missed(missed, now)
        if not to_send:
            return
        settled: set[int] = set()

        async def settle(index: int, delivery: Delivery) -> None:
            settled.add(index)  # recorded now, before the next message goes
            await self._settle_safely(to_send[index], delivery, report)

        deliveries = await self._deliver(to_send, settle)
        for index, (claim, delivery) in enumerate(zip(to_send, deliveries, strict=True)):
            if index not in settled:  # a mailer that answers only at the end, or broke
                await self._settle_safely(claim, delivery, report)

    async def _report_missed(self, missed: list[tuple[Message, str]], now: dt.datetime) -> None:
        """One report to the administrator for the messages a batch found missed (after
        downtime there may be many: one mail lists them, rather than one mail each). Queued
        after they were marked; a crash in between leaves them logged and listed by
        `status`, unreported by mail."""
        if not missed or self.policy.report_to is None:
            return
        told = missed_report(missed, now, self.policy.report_to)
        try:
            await asyncio.to_thread(self.store.queue, told, now)
        except Exception:  # the batch's own messages come first; the misses stay listed
            log.exception("could not queue the report of %d missed message(s)", len(missed))

    async def _settle_safely(
        self, claim: Claim, delivery: Delivery, report: DispatchReport
    ) -> None:
        try:
            await self._settle(claim, delivery, report)
        except Exception as error:
            # The database refused the record: the row stays held until its lease ends,
            # then goes out again with the same Message-ID (the documented repeat).
            self._record(report, "lost", claim, f"not recorded: {error}")

    async def _deliver(self, claims: list[Claim], settle: OnDelivery) -> list[Delivery]:
        """The mailer's answers; a mailer that breaks (a bug, a rendering error) counts as a
        temporary failure of what it had not answered yet, so those rows are retried, not
        left held."""
        try:
            return await self.mailer.deliver([claim.message for claim in claims], settle)
        except Exception as error:
            detail = f"the mailer failed: {type(error).__name__}: {error}"
            return [Delivery(Outcome.TEMPORARY, detail) for _ in claims]

    async def _settle(self, claim: Claim, delivery: Delivery, report: DispatchReport) -> None:
        """Record what became of one message."""
        now = self.clock.now()
        if delivery.outcome is Outcome.SENT:
            moved = await asyncio.to_thread(self.store.mark_sent, claim, now, delivery.detail)
            action = "sent"
        elif delivery.outcome is Outcome.TEMPORARY and claim.attempts < self.policy.max_attempts:
            wait = backoff(claim.attempts, self.policy.retry_base, self.policy.retry_cap, self.rng)
            moved = await asyncio.to_thread(
                self.store.mark_retry, claim, now, now + wait, delivery.detail
            )
            action = "retry"
        else:
            reason = delivery.detail
            if delivery.outcome is Outcome.TEMPORARY:
                reason = f"gave up after {claim.attempts} attempts: {reason}"
            told = None
            if self.policy.report_to is not None:
                told = failure_report(
                    claim.message, reason, claim.attempts, now, self.policy.report_to
                )
            moved = await asyncio.to_thread(self.store.mark_failed, claim, now, reason, told)
            action = "failed"
        self._record(report, action if moved else "lost", claim, delivery.detail)

    def _record(self, report: DispatchReport, action: str, claim: Claim, detail: str) -> None:
        """Count and log one event; "lost" means the claim's lease ran out before it was
        recorded (another dispatcher has the row now, and may send it again)."""
        message = claim.message
        late = self.clock.now() - message.due_at > self.policy.late_after
        report.add(action)
        clause = str(message.payload.get("clause") or "")
        self.log(Event(action, message.key, message.agreement, message.recipient,
                       message.subject, detail, late, message.kind.value, clause))  # fmt: skip


def _missed(claim: Claim, today: dt.date) -> str | None:
    """Why the claimed message is no use any more; a payload that cannot say (a malformed
    date) counts as still useful: better late than silently dropped."""
    try:
        return missed_reason(claim.message, today)
    except ValueError:
        return None
