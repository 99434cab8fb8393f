"""The store port: what the application needs from persistence, as Protocols.

`storage.store.SqlStore` (SQLite and PostgreSQL) and `jobs.memory.MemoryStore` (a fake for
fast unit tests) both implement it and pass the same shared tests.

Two kinds of writer share the outbox, and the port keeps them apart:
- an agreement's writers (a recording command, the planner) work inside `Store.unit`: the
  agreement is locked against every other writer of that agreement until the unit ends, and
  what they write (facts, outbox changes, the plan stamp, audit) commits together or not at
  all. Their outbox writes are compare-and-set on the state and version they read; a row that
  changed since (a sender claimed or sent it) raises `OutboxConflict`, and they start again.
  `Store.batch` is many such units in one transaction (the planner's bulk path): every
  agreement's lock, one read of them all, one bulk write of every plan at the end.
- senders claim due rows under a lease (`claim`) without taking the agreement's lock, and
  move only the rows they hold (`mark_sent`, `mark_retry`, `mark_failed`, `release`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from lifecycle.errors import ConcordatError
from lifecycle.facts import Fact
from lifecycle.feeds import FeedScope
from lifecycle.messages import Message
from lifecycle.outbox import Changes, Entry, State


class OutboxConflict(ConcordatError, RuntimeError):
    """Raised when an outbox row changed after a planner read it (a sender claimed, sent or
    released it): the unit is rolled back and the planner reads again."""

    def __init__(self, agreement: str, keys: list[str]) -> None:
        self.agreement = agreement
        self.keys = keys
        shown = ", ".join(keys[:3]) + (" ..." if len(keys) > 3 else "")
        super().__init__(
            f"outbox rows of {agreement!r} kept changing while planning ({shown}); nothing "
            "was recorded: try again"
        )


@dataclass(frozen=True)
class RecordedFact:
    """A fact as stored: its number within its agreement (1, 2, 3... in the order recorded,
    unique, so two writers can never both append the same), and when and by whom."""

    id: int
    fact: Fact
    recorded_at: dt.datetime
    recorded_by: str


@dataclass(frozen=True)
class Claim:
    """A row a sender holds: the message, who holds it, how many times it has been claimed
    (this one included), until when the lease runs, and the row's version when claimed. The
    version fences the holder: once the lease ran out and the row was reclaimed (even by
    another worker of the same owner), this claim can no longer move it."""

    message: Message
    owner: str
    attempts: int
    lease_until: dt.datetime
    version: int


@dataclass(frozen=True)
class Activity:
    """A message the senders are done with (sent, failed or missed): when, and the server's
    reply or the reason."""

    message: Message
    state: State
    at: dt.datetime
    detail: str


class AgreementUnit(Protocol):
    """One agreement, locked against its other writers; everything written commits together
    when the unit ends normally and nothing does when it raises."""

    def history(self) -> list[RecordedFact]:
        """The agreement's facts in the order recorded."""
        ...

    def outbox(self) -> list[Entry]:
        """The agreement's outbox rows, with their versions."""
        ...

    def stamp(self) -> str | None:
        """The inputs digest the agreement was last planned from."""
        ...

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        """Append one fact and its audit entry."""
        ...

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        """Write the changes (compare-and-set on `changes.expected`), the stamp and one audit
        entry listing them; raises `OutboxConflict` when a row is not as it was read."""
        ...


def applied(changes: Changes, entries: Mapping[str, Entry]) -> dict[str, Entry]:
    """The rows `changes` write, as a later read in the same unit sees them (`entries`: the
    rows as read, by key): what a batch's unit shows of its own plan before the batch
    writes it."""
    result = {message.key: Entry(message, State.PENDING) for message in changes.inserts}
    for message in [*changes.updates, *changes.revivals]:
        result[message.key] = Entry(message, State.PENDING, changes.expected[message.key][1] + 1)
    for key in changes.withdrawals:
        version = changes.expected[key][1] + 1
        result[key] = Entry(entries[key].message, State.WITHDRAWN, version)
    return result


class BatchReads:
    """What one agreement's unit of a batch reads: what the batch read at its start, with
    the unit's own facts and plans folded in. The adapters' batch units share it and differ
    only in where their writes wait for the end of the batch."""

    def __init__(self, history: list[RecordedFact], entries: list[Entry], stamp: str | None):
        self._history, self._stamp = history, stamp
        self._entries = {entry.message.key: entry for entry in entries}
        self._unread: list[Changes] = []

    def history(self) -> list[RecordedFact]:
        return list(self._history)

    def outbox(self) -> list[Entry]:
        for changes in self._unread:  # its own plans, folded in when first asked for
            self._entries.update(applied(changes, self._entries))
        self._unread.clear()
        return list(self._entries.values())

    def stamp(self) -> str | None:
        return self._stamp

    def _reads_own_fact(self, recorded: RecordedFact) -> None:
        self._history.append(recorded)

    def _reads_own_plan(self, changes: Changes, inputs: str) -> None:
        self._stamp = inputs
        self._unread.append(changes)


class Store(Protocol):
    """Facts, the outbox and the audit log."""

    def unit(self, agreement: str) -> AbstractContextManager[AgreementUnit]:
        """Lock `agreement` for one unit of work (see the module's docstring)."""
        ...

    def batch(
        self, agreements: Sequence[str]
    ) -> AbstractContextManager[Mapping[str, AgreementUnit]]:
        """One unit of work per listed agreement, all in one transaction that holds every
        one's lock (taken in one fixed order, so two batches never deadlock): their facts,
        outboxes and stamps are read together when it starts, and what their `apply_plan`s
        write is kept and written in bulk when the block ends. An `OutboxConflict` (a row of
        any of them moved since it was read) aborts the whole batch: nothing of it is
        written."""
        ...

    def history(self, agreement: str) -> list[RecordedFact]:
        """The agreement's facts in the order recorded (a read, no lock)."""
        ...

    def facts_by_agreement(
        self, agreements: Collection[str] | None = None
    ) -> dict[str, list[Fact]]:
        """Every agreement's facts (or those of `agreements`) in the order recorded, in one
        read."""
        ...

    def outbox(self, agreement: str) -> list[Entry]:
        """The agreement's outbox rows."""
        ...

    def all_outbox(self) -> list[Entry]:
        """Every outbox row, ordered by key."""
        ...

    def stamps(self, agreements: Collection[str] | None = None) -> dict[str, str]:
        """Every planned agreement's inputs digest (or those of `agreements`), in one read."""
        ...

    def state_counts(self) -> dict[State, int]:
        """How many outbox rows are in each state (every state, zeros included)."""
        ...

    def recent(self, state: State, limit: int) -> list[Activity]:
        """The latest `limit` rows that reached `state` (sent, failed or missed), newest
        first."""
        ...

    def audit_count(self) -> int:
        """How many audit entries there are."""
        ...

    def claim(
        self,
        owner: str,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
        *,
        lease_from: dt.datetime | None = None,
    ) -> list[Claim]:
        """Take up to `limit` pending rows due by `now` (soonest first, skipping rows another
        sender is claiming) into `sending`, held by `owner` until `lease_from + lease`
        (`lease_from` defaults to `now`; a simulation leases in real time, since the
        processes that may die holding rows live in real time)."""
        ...

    def mark_sent(self, claim: Claim, at: dt.datetime, reply: str) -> bool:
        """A held row was accepted by the transport; False (nothing written) when the claim
        no longer holds it."""
        ...

    def mark_retry(
        self, claim: Claim, at: dt.datetime, next_attempt: dt.datetime, error: str
    ) -> bool:
        """A held row failed for now: pending again, not to be claimed before `next_attempt`.
        Like `mark_failed` and `release`, it takes the agreement's lock and drops its plan
        stamp: the planner assumed the row was on its way, so the next plan looks again."""
        ...

    def mark_failed(
        self, claim: Claim, at: dt.datetime, error: str, report: Message | None = None
    ) -> bool:
        """A held row failed for good; `report` (the administrator's report of it) is queued
        in the same transaction, once: a report whose key exists already is not added again."""
        ...

    def release(self, claim: Claim, at: dt.datetime) -> bool:
        """Give a held row back unsent (a sender stopping)."""
        ...

    def mark_missed(self, claim: Claim, at: dt.datetime, reason: str) -> bool:
        """A held row came due while nobody was sending and is no use any more (a reminder
        of something already past): kept, marked `missed`, never sent."""
        ...

    def next_due(self, *, leases: bool = True) -> dt.datetime | None:
        """The soonest instant there is work: a pending row may be claimed, or (with
        `leases`) a held row's lease runs out (to be reclaimed); None when there is none."""
        ...

    def reclaim_expired(self, now: dt.datetime) -> int:
        """Rows whose sender's lease ran out become pending again, each agreement under its
        lock with its plan stamp dropped; returns how many."""
        ...

    def queue(self, message: Message, at: dt.datetime) -> bool:
        """Add a message no plan makes (a report to the administrator) unless its key is
        there already; True when it was added."""
        ...


@dataclass(frozen=True)
class FeedRecord:
    """A calendar feed handed out: whose (`scope`), a note for the administrator (`label`),
    and the generation its token is derived from (bumped by a rotation, which kills the old
    URL). The token itself is never stored: only its SHA-256. `salt` is random, made when the
    feed is issued and kept across rotations: it is signed into the token, so another database
    (a fresh one, a restored copy) with the same secret never hands out the same URL."""

    id: int
    scope: FeedScope
    label: str
    generation: int
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    salt: str = ""


# A feed's row (its id, scope, generation and salt) -> the SHA-256 hex of that generation's
# token. The store asks for it once it knows the id, so the site's secret never reaches it.
TokenHash = Callable[[FeedRecord], str]


@runtime_checkable
class FeedStore(Protocol):
    """The calendar feeds' tokens. Each write is one transaction; a rotation bumps the
    generation in place (`generation + 1` under the row's lock), so two at once both
    happen, one after the other, and neither is lost."""

    def add_feed(
        self, scope: FeedScope, label: str, at: dt.datetime, salt: str, token_hash: TokenHash
    ) -> FeedRecord:
        """Store a new live feed at generation 0 with its random `salt`."""
        ...

    def feed(self, feed_id: int) -> FeedRecord | None:
        """The feed with this id (live or revoked), or None."""
        ...

    def feeds(self) -> list[FeedRecord]:
        """Every feed, oldest first."""
        ...

    def feed_by_hash(self, token_hash: str) -> FeedRecord | None:
        """The feed whose current token hashes to `token_hash` (live or revoked), or None."""
        ...

    def revoke_feed(self, feed_id: int, at: dt.datetime) -> FeedRecord | None:
        """Revoke a live feed at `at` (a revoked one keeps its first revocation); None when
        there is no such feed."""
        ...

    def rotate_feed(self, feed_id: int, token_hash: TokenHash) -> FeedRecord | None:
        """Bump a live feed's generation and store the new token's hash (a revoked feed is
        returned unchanged); None when there is no such feed."""
        ...

    def fact_marks(self, agreements: Sequence[str]) -> dict[str, tuple[int, dt.datetime]]:
        """For each of `agreements` with facts: the last fact's number and when it was
        recorded, in one read (what a feed's cache is keyed by)."""
        ...


class Outcome(StrEnum):
    """What became of one message handed to a mailer."""

    SENT = "sent"
    TEMPORARY = "temporary"  # try again later: refused connection, timeout, 4xx
    PERMANENT = "permanent"  # will never work as it is: 5xx


@dataclass(frozen=True)
class Delivery:
    """The mailer's answer for one message: the outcome and the server's words."""

    outcome: Outcome
    detail: str


# Told each message's delivery (by its index) as soon as it is known.
OnDelivery = Callable[[int, Delivery], Awaitable[None]]


class Mailer(Protocol):
    """Renders and delivers messages (SMTP, or a Maildir when none is configured)."""

    async def deliver(
        self, messages: Sequence[Message], settle: OnDelivery | None = None
    ) -> list[Delivery]:
        """One delivery per message, in order, each also given to `settle` the moment it is
        known (so it is recorded before the next message goes); a delivery problem is an
        outcome, not an exception."""
        ...

    def describe(self) -> str:
        """Where mail goes, in a few words, for the service's start banner."""
        ...
