"""An in-memory store: the fake beside the SQL store, for fast unit tests. It passes the same
shared store tests (tests/integration/test_store_contract.py): one lock stands for the
agreement's lock, and a unit that raises puts everything back as it was."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from jobs.ports import Activity, Claim, FeedRecord, OutboxConflict, RecordedFact, TokenHash
from lifecycle.facts import Fact
from lifecycle.feeds import FeedScope
from lifecycle.messages import Message
from lifecycle.outbox import Changes, Entry, State


@dataclass
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
    """Everything the fake keeps; copied whole for a unit's rollback."""

    facts: list[RecordedFact] = field(default_factory=list)
    rows: dict[str, Entry] = field(default_factory=dict)
    held: dict[str, Held] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)
    audit: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)


class MemoryStore:
    """Facts, outbox and audit in dictionaries."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.lock = threading.RLock()
        # Feeds are written outside agreement units, so a unit's rollback leaves them be.
        self.feed_rows: dict[int, tuple[FeedRecord, str]] = {}

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
        with self.lock:
            t = self.tables
            saved = Tables(list(t.facts), dict(t.rows), dict(t.held), dict(t.stamps), list(t.audit))
            try:
                yield MemoryUnit(self, agreement)
            except BaseException:
                self.tables = saved
                raise

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
        wanted = set(agreements)
        with self.lock:
            facts = list(self.tables.facts)
        marks: dict[str, tuple[int, dt.datetime]] = {}
        for item in facts:
            agreement = item.fact.agreement
            if agreement in wanted:
                seq, at = marks.get(agreement, (0, item.recorded_at))
                marks[agreement] = (max(seq, item.id), max(at, item.recorded_at))
        return marks

    def history(self, agreement: str) -> list[RecordedFact]:
        return [item for item in self.tables.facts if item.fact.agreement == agreement]

    def facts_by_agreement(
        self, agreements: Collection[str] | None = None
    ) -> dict[str, list[Fact]]:
        result: dict[str, list[Fact]] = {}
        for item in self.tables.facts:
            if agreements is not None and item.fact.agreement not in agreements:
                continue
            result.setdefault(item.fact.agreement, []).append(item.fact)
        return result

    def outbox(self, agreement: str) -> list[Entry]:
        rows = self.tables.rows.values()
        return [entry for entry in rows if entry.message.agreement == agreement]

    def all_outbox(self) -> list[Entry]:
        return [self.tables.rows[key] for key in sorted(self.tables.rows)]

    def stamps(self, agreements: Collection[str] | None = None) -> dict[str, str]:
        if agreements is None:
            return dict(self.tables.stamps)
        return {a: self.tables.stamps[a] for a in agreements if a in self.tables.stamps}

    def state_counts(self) -> dict[State, int]:
        with self.lock:
            counts = dict.fromkeys(State, 0)
            for entry in self.tables.rows.values():
                counts[entry.state] += 1
            return counts

    def recent(self, state: State, limit: int) -> list[Activity]:
        with self.lock:
            done = [
                Activity(entry.message, state, held.finished, held.reply or held.error)
                for key, entry in self.tables.rows.items()
                if entry.state is state
                and (held := self.tables.held.get(key)) is not None
                and held.finished is not None
            ]
        return sorted(done, key=lambda a: (a.at, a.message.key), reverse=True)[:limit]

    def audit_count(self) -> int:
        return len(self.tables.audit)

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
            due = sorted(
                (e for e in self.tables.rows.values() if self._claimable(e, now)),
                key=lambda e: (e.message.due_at, e.message.key),
            )[:limit]
            claims = []
            for entry in due:
                held = self.tables.held.setdefault(entry.message.key, Held())
                held.owner, held.until, held.attempts = owner, until, held.attempts + 1
                moved = self._move(entry.message.key, State.SENDING)
                claims.append(Claim(entry.message, owner, held.attempts, until, moved.version))
            return claims

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
                self.tables.rows[report.key] = Entry(report, State.PENDING)
            return moved

    def release(self, claim: Claim, at: dt.datetime) -> bool:
        return self._finish(claim, at, State.PENDING)

    def mark_missed(self, claim: Claim, at: dt.datetime, reason: str) -> bool:
        return self._finish(claim, at, State.MISSED, error=reason)

    def next_due(self, *, leases: bool = True) -> dt.datetime | None:
        with self.lock:
            ready = [
                max(entry.message.due_at, self.tables.held.get(key, Held()).next_attempt
                    or entry.message.due_at)
                for key, entry in self.tables.rows.items()
                if entry.state is State.PENDING
            ]  # fmt: skip
            expiring = [
                until
                for key, entry in self.tables.rows.items()
                if leases
                and entry.state is State.SENDING
                and (until := self.tables.held[key].until)
            ]
            return min([*ready, *expiring], default=None)

    def queue(self, message: Message, at: dt.datetime) -> bool:
        with self.lock:
            if message.key in self.tables.rows:
                return False
            self.tables.rows[message.key] = Entry(message, State.PENDING)
            self.tables.audit.append((at, "service", "queued", message.agreement))
            return True

    def reclaim_expired(self, now: dt.datetime) -> int:
        with self.lock:
            expired = [
                key
                for key, entry in self.tables.rows.items()
                if entry.state is State.SENDING and (until := self.tables.held[key].until)
                if until < now
            ]
            for key in expired:
                self.tables.held[key].owner = self.tables.held[key].until = None
                agreement = self._move(key, State.PENDING).message.agreement
                self.tables.stamps.pop(agreement, None)
                self.tables.audit.append((now, "reclaimer", "reclaimed", agreement))
            return len(expired)

    def mark(self, key: str, state: State) -> None:
        """Set a row's state directly (tests that need a row sent without a sender)."""
        with self.lock:
            self._move(key, state)

    def _claimable(self, entry: Entry, now: dt.datetime) -> bool:
        held = self.tables.held.get(entry.message.key, Held())
        return (
            entry.state is State.PENDING
            and entry.message.due_at <= now
            and (held.next_attempt is None or held.next_attempt <= now)
        )

    def _move(self, key: str, state: State, message: Message | None = None) -> Entry:
        entry = self.tables.rows[key]
        moved = Entry(message or entry.message, state, entry.version + 1)
        self.tables.rows[key] = moved
        return moved

    def _finish(self, claim: Claim, at: dt.datetime, state: State, **outcome: object) -> bool:
        key = claim.message.key
        with self.lock:
            entry, held = self.tables.rows.get(key), self.tables.held.get(key)
            if entry is None or held is None or entry.state is not State.SENDING:
                return False
            if (held.owner, entry.version) != (claim.owner, claim.version):
                return False
            self.tables.held[key] = replace(held, owner=None, until=None, finished=at, **outcome)  # type: ignore[arg-type]
            self._move(key, state)
            if state is not State.SENT:
                self.tables.stamps.pop(entry.message.agreement, None)
            self.tables.audit.append((at, claim.owner, state.value, entry.message.agreement))
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
        if fact.agreement != self.agreement:
            raise ValueError(f"a unit of {self.agreement!r} cannot record for {fact.agreement!r}")
        tables = self.store.tables
        number = 1 + sum(1 for item in tables.facts if item.fact.agreement == self.agreement)
        recorded = RecordedFact(number, fact, at, actor)
        tables.facts.append(recorded)
        tables.audit.append((at, actor, "record", fact.agreement))
        return recorded

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        tables = self.store.tables
        clashes = [m.key for m in changes.inserts if m.key in tables.rows]
        clashes += [
            key
            for key, (state, version) in changes.expected.items()
            if (entry := tables.rows.get(key)) is None
            or (entry.state, entry.version) != (state, version)
        ]
        if clashes:
            raise OutboxConflict(self.agreement, clashes)
        for message in changes.inserts:
            tables.rows[message.key] = Entry(message, State.PENDING)
        for message in [*changes.updates, *changes.revivals]:
            self.store._move(message.key, State.PENDING, message)
        for key in changes.withdrawals:
            self.store._move(key, State.WITHDRAWN)
        tables.stamps[self.agreement] = inputs
        if changes.count:
            tables.audit.append((at, actor, "plan", self.agreement))
