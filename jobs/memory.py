"""An in-memory store: the fake beside the SQL store, for fast unit tests. It passes the same
shared store tests (tests/integration/test_store_contract.py): one lock stands for the
agreement's lock, and a unit that raises puts everything back as it was.

It stays fast with many agreements: rows are indexed by agreement, pending rows never given a
next attempt sit in a heap by (due, key) for `claim` and `next_due` (a row that changes
leaves its old heap item behind, recognised as stale by its generation), and the few rows
waiting for a retry or held by a sender are kept apart. A unit's rollback undoes a journal
of what it changed, instead of copying every row first.
"""

from __future__ import annotations

import datetime as dt
import heapq
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from jobs.ports import (
    Activity,
    BatchReads,
    Claim,
    FeedRecord,
    OutboxConflict,
    RecordedFact,
    TokenHash,
)
from lifecycle.facts import Fact
from lifecycle.feeds import FeedScope
from lifecycle.messages import Message
from lifecycle.outbox import Changes, Entry, State

Audit = tuple[dt.datetime, str, str, str]


@dataclass(frozen=True)
class Held:
    """What a sender's claim adds to a row."""

    owner: str | None = None
    until: dt.datetime | None = None
    attempts: int = 0
    next_attempt: dt.datetime | None = None
    reply: str = ""
    error: str = ""
    finished: dt.datetime | None = None  # when a sender last let go of the row


@dataclass
class Tables:
    """Everything the fake keeps (its indexes apart)."""

    facts: list[RecordedFact] = field(default_factory=list)
    rows: dict[str, Entry] = field(default_factory=dict)
    held: dict[str, Held] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)
    audit: list[Audit] = field(default_factory=list)


class MemoryStore:
    """Facts, outbox and audit in dictionaries."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.RLock()
        # Feeds are written outside agreement units, so a unit's rollback leaves them be.
        self.feed_rows: dict[int, tuple[FeedRecord, str]] = {}
        self._facts_by: dict[str, list[RecordedFact]] = {}
        self._by_agreement: dict[str, dict[str, None]] = {}  # keys in insertion order
        self._counts: Counter[State] = Counter()
        self._fresh: list[tuple[dt.datetime, str, int]] = []  # heap: (due, key, generation)
        self._generation: dict[str, int] = {}  # the live heap item of each fresh row
        self._generations = 0
        self._retrying: set[str] = set()  # pending rows with a next attempt
        self._sending: set[str] = set()
        self._journal: list[Callable[[], None]] | None = None  # undo steps of the open unit

    @property
    def rows(self) -> dict[str, Entry]:
        """The outbox rows by key (for tests to look at)."""
        return self.tables.rows

    @property
    def facts(self) -> list[RecordedFact]:
        """Every recorded fact (for tests to look at)."""
        return self.tables.facts

    @contextmanager
    def unit(self, agreement: str) -> Iterator[MemoryUnit]:
        with self.lock, self._undone_on_failure():
            yield MemoryUnit(self, agreement)

    @contextmanager
    def batch(self, agreements: Sequence[str]) -> Iterator[Mapping[str, MemoryBatchUnit]]:
        with self.lock:
            writes: list[Callable[[], None]] = []
            units = {name: MemoryBatchUnit(self, name, writes) for name in agreements}
            yield units
            with self._undone_on_failure():  # all or nothing, and nothing before the end
                for write in writes:
                    write()

    @contextmanager
    def _undone_on_failure(self) -> Iterator[None]:
        """Journal every change made in the block; undo them all if it raises."""
        outer = self._journal is None
        journal = self._journal = [] if self._journal is None else self._journal
        mark = len(journal)
        try:
            yield
        except BaseException:
            steps = journal[mark:]
            del journal[mark:]
            self._journal = None  # undoing journals nothing
            try:
                for step in reversed(steps):
                    step()
            finally:
                self._journal = journal
            raise
        finally:
            if outer:
                self._journal = None

    def _undo(self, step: Callable[[], None]) -> None:
        if self._journal is not None:
            self._journal.append(step)

    # ------------------------------------------------------------------ writes, indexed

    def _put(self, key: str, entry: Entry | None) -> None:
        """Set (or with None, remove) a row, keeping the indexes."""
        old = self.tables.rows.get(key)
        self._undo(lambda: self._put(key, old))
        if entry is None:
            self.tables.rows.pop(key, None)
        else:
            self.tables.rows[key] = entry
        self._index(key, old, entry)

    def _index(self, key: str, old: Entry | None, new: Entry | None) -> None:
        if old is not None:
            self._counts[old.state] -= 1
        if new is None:
            if old is not None:
                self._by_agreement[old.message.agreement].pop(key, None)
        else:
            self._counts[new.state] += 1
            self._by_agreement.setdefault(new.message.agreement, {})[key] = None
        self._generation.pop(key, None)
        self._retrying.discard(key)
        self._sending.discard(key)
        if new is None:
            return
        if new.state is State.SENDING:
            self._sending.add(key)
        elif new.state is State.PENDING:
            if self._held(key).next_attempt is not None:
                self._retrying.add(key)
            else:
                self._generations += 1
                self._generation[key] = self._generations
                heapq.heappush(self._fresh, (new.message.due_at, key, self._generations))

    def _hold(self, key: str, held: Held) -> None:
        old = self.tables.held.get(key)

        def back() -> None:
            if old is None:
                self.tables.held.pop(key, None)
            else:
                self.tables.held[key] = old

        self._undo(back)
        self.tables.held[key] = held

    def _held(self, key: str) -> Held:
        return self.tables.held.get(key) or Held()

    def _stamp(self, agreement: str, inputs: str | None) -> None:
        old = self.tables.stamps.get(agreement)
        self._undo(lambda: self._stamp(agreement, old))
        if inputs is None:
            self.tables.stamps.pop(agreement, None)
        else:
            self.tables.stamps[agreement] = inputs

    def _audit(self, entry: Audit) -> None:
        self._undo(self._unaudit)
        self.tables.audit.append(entry)

    def _unaudit(self) -> None:
        self.tables.audit.pop()

    def _add_fact(self, recorded: RecordedFact) -> None:
        agreement = recorded.fact.agreement

        def back() -> None:
            self.tables.facts.pop()
            self._facts_by[agreement].pop()

        self._undo(back)
        self.tables.facts.append(recorded)
        self._facts_by.setdefault(agreement, []).append(recorded)

    def _move(self, key: str, state: State, message: Message | None = None) -> Entry:
        entry = self.tables.rows[key]
        moved = Entry(message or entry.message, state, entry.version + 1)
        self._put(key, moved)
        return moved

    def _write_plan(
        self, agreement: str, changes: Changes, inputs: str, actor: str, at: dt.datetime
    ) -> None:
        """`apply_plan`: compare-and-set against the rows as they are now."""
        rows = self.tables.rows
        clashes = [m.key for m in changes.inserts if m.key in rows]
        clashes += [
            key
            for key, (state, version) in changes.expected.items()
            if (entry := rows.get(key)) is None or (entry.state, entry.version) != (state, version)
        ]
        if clashes:
            raise OutboxConflict(agreement, clashes)
        for message in changes.inserts:
            self._put(message.key, Entry(message, State.PENDING))
        for message in [*changes.updates, *changes.revivals]:
            self._move(message.key, State.PENDING, message)
        for key in changes.withdrawals:
            self._move(key, State.WITHDRAWN)
        self._stamp(agreement, inputs)
        if changes.count:
            self._audit((at, actor, "plan", agreement))

    def _record(self, fact: Fact, actor: str, at: dt.datetime, number: int) -> RecordedFact:
        recorded = RecordedFact(number, fact, at, actor)
        self._add_fact(recorded)
        self._audit((at, actor, "record", fact.agreement))
        return recorded

    # ------------------------------------------------------------------ feeds

    def add_feed(
        self, scope: FeedScope, label: str, at: dt.datetime, salt: str, token_hash: TokenHash
    ) -> FeedRecord:
        with self.lock:
            feed_id = max(self.feed_rows, default=0) + 1
            record = FeedRecord(feed_id, scope, label, 0, at, None, salt)
            self.feed_rows[feed_id] = (record, token_hash(record))
            return record

    def feed(self, feed_id: int) -> FeedRecord | None:
        found = self.feed_rows.get(feed_id)
        return None if found is None else found[0]

    def feeds(self) -> list[FeedRecord]:
        with self.lock:
            return [self.feed_rows[key][0] for key in sorted(self.feed_rows)]

    def feed_by_hash(self, token_hash: str) -> FeedRecord | None:
        with self.lock:
            rows = list(self.feed_rows.values())
        return next((record for record, stored in rows if stored == token_hash), None)

    def revoke_feed(self, feed_id: int, at: dt.datetime) -> FeedRecord | None:
        with self.lock:
            found = self.feed_rows.get(feed_id)
            if found is None:
                return None
            record, stored = found
            if record.revoked_at is None:
                record = replace(record, revoked_at=at)
                self.feed_rows[feed_id] = (record, stored)
            return record

    def rotate_feed(self, feed_id: int, token_hash: TokenHash) -> FeedRecord | None:
        with self.lock:
            found = self.feed_rows.get(feed_id)
            if found is None or found[0].revoked_at is not None:
                return None if found is None else found[0]
            record = replace(found[0], generation=found[0].generation + 1)
            self.feed_rows[feed_id] = (record, token_hash(record))
            return record

    def fact_marks(self, agreements: Sequence[str]) -> dict[str, tuple[int, dt.datetime]]:
        marks: dict[str, tuple[int, dt.datetime]] = {}
        with self.lock:
            for agreement in dict.fromkeys(agreements):
                facts = self._facts_by.get(agreement)
                if facts:
                    seq = max(item.id for item in facts)
                    marks[agreement] = (seq, max(item.recorded_at for item in facts))
        return marks

    # ------------------------------------------------------------------ reads

    def history(self, agreement: str) -> list[RecordedFact]:
        return list(self._facts_by.get(agreement, ()))

    def facts_by_agreement(
        self, agreements: Collection[str] | None = None
    ) -> dict[str, list[Fact]]:
        return {
            agreement: [item.fact for item in facts]
            for agreement, facts in self._facts_by.items()
            if facts and (agreements is None or agreement in agreements)
        }

    def outbox(self, agreement: str) -> list[Entry]:
        rows = self.tables.rows
        return [rows[key] for key in self._by_agreement.get(agreement, ())]

    def all_outbox(self) -> list[Entry]:
        return [self.tables.rows[key] for key in sorted(self.tables.rows)]

    def stamps(self, agreements: Collection[str] | None = None) -> dict[str, str]:
        if agreements is None:
            return dict(self.tables.stamps)
        return {a: self.tables.stamps[a] for a in agreements if a in self.tables.stamps}

    def state_counts(self) -> dict[State, int]:
        with self.lock:
            return {state: self._counts[state] for state in State}

    def recent(self, state: State, limit: int) -> list[Activity]:
        with self.lock:
            done = [
                Activity(entry.message, state, held.finished, held.reply or held.error)
                for key, held in self.tables.held.items()
                if held.finished is not None
                and (entry := self.tables.rows.get(key)) is not None
                and entry.state is state
            ]
        return sorted(done, key=lambda a: (a.at, a.message.key), reverse=True)[:limit]

    def audit_count(self) -> int:
        return len(self.tables.audit)

    # ------------------------------------------------------------------ senders

    def claim(
        self,
        owner: str,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
        *,
        lease_from: dt.datetime | None = None,
    ) -> list[Claim]:
        until = (lease_from or now) + lease
        with self.lock:
            fresh = self._pop_fresh(now, limit)
            retrying = [
                (entry.message.due_at, key)
                for key in self._retrying
                if self._claimable(entry := self.tables.rows[key], now)
            ]
            due = sorted([(item[0], item[1]) for item in fresh] + retrying)[:limit]
            taken = {key for _, key in due}
            for item in fresh:
                if item[1] not in taken:
                    heapq.heappush(self._fresh, item)
            claims = []
            for _, key in due:
                held = self._held(key)
                held = replace(held, owner=owner, until=until, attempts=held.attempts + 1)
                self._hold(key, held)
                moved = self._move(key, State.SENDING)
                claims.append(Claim(moved.message, owner, held.attempts, until, moved.version))
            return claims

    def _pop_fresh(self, now: dt.datetime, limit: int) -> list[tuple[dt.datetime, str, int]]:
        """Up to `limit` live heap items due by `now`, soonest first (stale ones dropped)."""
        found: list[tuple[dt.datetime, str, int]] = []
        heap = self._fresh
        while heap and heap[0][0] <= now and len(found) < limit:
            item = heapq.heappop(heap)
            if self._generation.get(item[1]) == item[2]:
                found.append(item)
        return found

    def _claimable(self, entry: Entry, now: dt.datetime) -> bool:
        held = self._held(entry.message.key)
        return (
            entry.state is State.PENDING
            and entry.message.due_at <= now
            and (held.next_attempt is None or held.next_attempt <= now)
        )

    def mark_sent(self, claim: Claim, at: dt.datetime, reply: str) -> bool:
        return self._finish(claim, at, State.SENT, reply=reply)

    def mark_retry(
        self, claim: Claim, at: dt.datetime, next_attempt: dt.datetime, error: str
    ) -> bool:
        return self._finish(claim, at, State.PENDING, next_attempt=next_attempt, error=error)

    def mark_failed(
        self, claim: Claim, at: dt.datetime, error: str, report: Message | None = None
    ) -> bool:
        with self.lock:
            moved = self._finish(claim, at, State.FAILED, error=error)
            if moved and report is not None and report.key not in self.tables.rows:
                self._put(report.key, Entry(report, State.PENDING))
            return moved

    def release(self, claim: Claim, at: dt.datetime) -> bool:
        return self._finish(claim, at, State.PENDING)

    def mark_missed(self, claim: Claim, at: dt.datetime, reason: str) -> bool:
        return self._finish(claim, at, State.MISSED, error=reason)

    def next_due(self, *, leases: bool = True) -> dt.datetime | None:
        with self.lock:
            heap = self._fresh
            while heap and self._generation.get(heap[0][1]) != heap[0][2]:
                heapq.heappop(heap)
            ready = [heap[0][0]] if heap else []
            for key in self._retrying:
                entry, held = self.tables.rows[key], self._held(key)
                ready.append(max(entry.message.due_at, held.next_attempt or entry.message.due_at))
            expiring = [
                until for key in self._sending if leases and (until := self._held(key).until)
            ]
            return min([*ready, *expiring], default=None)

    def queue(self, message: Message, at: dt.datetime) -> bool:
        with self.lock:
            if message.key in self.tables.rows:
                return False
            self._put(message.key, Entry(message, State.PENDING))
            self._audit((at, "service", "queued", message.agreement))
            return True

    def reclaim_expired(self, now: dt.datetime) -> int:
        with self.lock:
            expired = [
                key
                for key in sorted(self._sending)
                if (until := self._held(key).until) is not None and until < now
            ]
            for key in expired:
                self._hold(key, replace(self._held(key), owner=None, until=None))
                agreement = self._move(key, State.PENDING).message.agreement
                self._stamp(agreement, None)
                self._audit((now, "reclaimer", "reclaimed", agreement))
            return len(expired)

    def mark(self, key: str, state: State) -> None:
        """Set a row's state directly (tests that need a row sent without a sender)."""
        with self.lock:
            self._move(key, state)

    def _finish(self, claim: Claim, at: dt.datetime, state: State, **outcome: object) -> bool:
        key = claim.message.key
        with self.lock:
            entry, held = self.tables.rows.get(key), self.tables.held.get(key)
            if entry is None or held is None or entry.state is not State.SENDING:
                return False
            if (held.owner, entry.version) != (claim.owner, claim.version):
                return False
            self._hold(key, replace(held, owner=None, until=None, finished=at, **outcome))  # type: ignore[arg-type]
            self._move(key, state)
            if state is not State.SENT:
                self._stamp(entry.message.agreement, None)
            self._audit((at, claim.owner, state.value, entry.message.agreement))
            return True


class MemoryUnit:
    """One agreement's unit of work on the fake."""

    def __init__(self, store: MemoryStore, agreement: str) -> None:
        self.store = store
        self.agreement = agreement

    def history(self) -> list[RecordedFact]:
        return self.store.history(self.agreement)

    def outbox(self) -> list[Entry]:
        return self.store.outbox(self.agreement)

    def stamp(self) -> str | None:
        return self.store.tables.stamps.get(self.agreement)

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        _check_own(self.agreement, fact)
        return self.store._record(fact, actor, at, len(self.history()) + 1)

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        self.store._write_plan(self.agreement, changes, inputs, actor, at)


class MemoryBatchUnit(BatchReads):
    """One agreement of a batch on the fake: reads what the batch read at its start (and
    its own writes since); its writes wait for the end of the batch."""

    def __init__(
        self, store: MemoryStore, agreement: str, writes: list[Callable[[], None]]
    ) -> None:
        history, entries = store.history(agreement), store.outbox(agreement)
        super().__init__(history, entries, store.tables.stamps.get(agreement))
        self.store, self.agreement, self._writes = store, agreement, writes

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        _check_own(self.agreement, fact)
        recorded = RecordedFact(len(self._history) + 1, fact, at, actor)
        self._reads_own_fact(recorded)

        def write() -> None:
            self.store._record(fact, actor, at, recorded.id)

        self._writes.append(write)
        return recorded

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        self._writes.append(
            lambda: self.store._write_plan(self.agreement, changes, inputs, actor, at)
        )
        self._reads_own_plan(changes, inputs)


def _check_own(agreement: str, fact: Fact) -> None:
    if fact.agreement != agreement:
        raise ValueError(f"a unit of {agreement!r} cannot record for {fact.agreement!r}")
