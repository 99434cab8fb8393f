"""The SQL store (SQLite or PostgreSQL): converts between tables and domain objects.

Writes go through `storage.transactions.writing`: an agreement's unit of work holds that
agreement's lock, a sender's claim takes the outbox rows it returns. Outbox writes are
compare-and-set on (state, version), so no writer overwrites a row another has moved since.
A batch (`SqlStore.batch`, the planner's path) holds many agreements' locks in one
transaction; plans go to the database through `storage.bulk` (the driver's executemany, COPY
on PostgreSQL), a unit's at once, a batch's together at its end.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Row, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from jobs.ports import Activity, BatchReads, Claim, FeedRecord, RecordedFact, TokenHash
from lifecycle.facts import Fact, from_payload, to_payload
from lifecycle.feeds import FEED_KINDS, FeedScope
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, Entry, State
from storage.bulk import Plan, read_histories, read_outboxes, read_stamps, write_plans
from storage.engine import unavailable_on_failure
from storage.tables import AuditRecord, FactRecord, FeedToken, OutboxRecord, PlanStamp
from storage.transactions import install, writing

UTC = dt.UTC
# Bound parameters per statement are limited (SQLite): a longer list of agreements is read
# whole and filtered here.
IN_LIMIT = 500
FACT: Table = FactRecord.__table__  # type: ignore[attr-defined]
OUTBOX: Table = OutboxRecord.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditRecord.__table__  # type: ignore[attr-defined]
STAMP: Table = PlanStamp.__table__  # type: ignore[attr-defined]
FEEDS: Table = FeedToken.__table__  # type: ignore[attr-defined]


# Rows a store instance inserts before it refreshes PostgreSQL's statistics of the outbox.
ANALYZE_AFTER_ROWS = 50_000


def utc(moment: dt.datetime) -> dt.datetime:
    """An aware instant in UTC; SQLModel's column type stores and returns these."""
    return moment.astimezone(UTC)


class SqlStore:
    """Facts, outbox and audit in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        install(engine)  # engines made by `make_engine` have it already
        self._counter_lock = threading.Lock()
        self._inserted_since_analyze = 0

    @contextmanager
    def unit(self, agreement: str) -> Iterator[SqlUnit]:
        with unavailable_on_failure(self.engine), writing(self.engine, agreement) as connection:
            yield SqlUnit(connection, agreement)

    @contextmanager
    def batch(self, agreements: Sequence[str]) -> Iterator[Mapping[str, SqlBatchUnit]]:
        """Many agreements in one transaction holding all their locks: their facts, outboxes
        and stamps read in one query each, their plans written together when the block ends
        (see `Store.batch`)."""
        names = list(dict.fromkeys(agreements))
        with unavailable_on_failure(self.engine), writing(self.engine, names) as connection:
            histories = read_histories(connection, names)
            outboxes = read_outboxes(connection, names)
            stamps = read_stamps(connection, names)
            pending: list[Plan] = []
            units = {
                name: SqlBatchUnit(connection, name, histories[name], outboxes[name],
                                   stamps.get(name), pending)
                for name in names
            }  # fmt: skip
            yield units
            write_plans(connection, pending)
        self._note_inserted(sum(len(plan.changes.inserts) for plan in pending))

    def _note_inserted(self, rows: int) -> None:
        """Refresh PostgreSQL's statistics of the outbox once many rows went in. Right after
        a first plan has bulk-loaded hundreds of thousands of rows, autovacuum has not yet
        analysed the table, so the planner still takes it for small and reads each batch's
        outboxes by a sequential scan: a new day's re-plan of 10,000 agreements took 40 s
        instead of 25. ANALYZE samples the table in about 0.1 s."""
        if rows == 0 or self.engine.dialect.name != "postgresql":
            return
        with self._counter_lock:
            self._inserted_since_analyze += rows
            due = self._inserted_since_analyze >= ANALYZE_AFTER_ROWS
            if due:
                self._inserted_since_analyze = 0
        if due:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE outbox")
                connection.commit()

    def history(self, agreement: str) -> list[RecordedFact]:
        with self._reading() as connection:
            return _history(connection, agreement)

    def facts_by_agreement(
        self, agreements: Collection[str] | None = None
    ) -> dict[str, list[Fact]]:
        result: dict[str, list[Fact]] = defaultdict(list)
        query = select(FACT).order_by(FACT.c.id)
        if agreements is not None and len(agreements) <= IN_LIMIT:
            query = query.where(FACT.c.agreement.in_(agreements))
        with self._reading() as connection:
            for row in connection.execute(query):
                if agreements is None or row.agreement in agreements:
                    result[row.agreement].append(_fact(row))
        return dict(result)

    def outbox(self, agreement: str) -> list[Entry]:
        with self._reading() as connection:
            return _outbox(connection, agreement)

    def all_outbox(self) -> list[Entry]:
        with self._reading() as connection:
            return [_entry(row) for row in connection.execute(select(OUTBOX).order_by("key"))]

    def stamps(self, agreements: Collection[str] | None = None) -> dict[str, str]:
        query = select(STAMP)
        if agreements is not None and len(agreements) <= IN_LIMIT:
            query = query.where(STAMP.c.agreement.in_(agreements))
        with self._reading() as connection:
            rows = connection.execute(query)
            return {
                r.agreement: r.inputs
                for r in rows
                if agreements is None or r.agreement in agreements
            }

    def state_counts(self) -> dict[State, int]:
        query = select(OUTBOX.c.state, func.count()).group_by(OUTBOX.c.state)
        counts = dict.fromkeys(State, 0)
        with self._reading() as connection:
            for state, count in connection.execute(query):
                counts[State(state)] = int(count)
        return counts

    def recent(self, state: State, limit: int) -> list[Activity]:
        query = (
            select(OUTBOX)
            .where(OUTBOX.c.state == state.value)
            .order_by(OUTBOX.c.updated_at.desc(), OUTBOX.c.key.desc())
            .limit(limit)
        )
        with self._reading() as connection:
            return [
                Activity(_message(row), state, _instant(row.updated_at),
                         row.reply or row.last_error or "")
                for row in connection.execute(query)
            ]  # fmt: skip

    def audit_count(self) -> int:
        with self._reading() as connection:
            return int(connection.execute(select(func.count()).select_from(AUDIT)).scalar_one())

    def claim(
        self,
        owner: str,
        now: dt.datetime,
        lease: dt.timedelta,
        limit: int,
        *,
        lease_from: dt.datetime | None = None,
    ) -> list[Claim]:
        at = utc(now)
        due = (
            select(OUTBOX.c.key)
            .where(
                OUTBOX.c.state == State.PENDING.value,
                OUTBOX.c.due_at <= at,
                or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= at),
            )
            .order_by(OUTBOX.c.due_at, OUTBOX.c.key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(OUTBOX)
            .where(OUTBOX.c.key.in_(due.scalar_subquery()))
            .values(
                state=State.SENDING.value,
                lease_owner=owner,
                lease_until=utc(lease_from or now) + lease,
                attempts=OUTBOX.c.attempts + 1,
                version=OUTBOX.c.version + 1,
                updated_at=at,
            )
            .returning(*OUTBOX.c)
        )
        with unavailable_on_failure(self.engine), writing(self.engine) as connection:
            rows = connection.execute(claim).all()
        claims = [
            Claim(_message(r), owner, r.attempts, utc(r.lease_until), r.version) for r in rows
        ]
        return sorted(claims, key=lambda c: (c.message.due_at, c.message.key))

    def mark_sent(self, claim: Claim, at: dt.datetime, reply: str) -> bool:
        values = {"state": State.SENT.value, "sent_at": utc(at), "reply": reply}
        return self._finish(claim, at, "sent", values)

    def mark_retry(
        self, claim: Claim, at: dt.datetime, next_attempt: dt.datetime, error: str
    ) -> bool:
        values = {
            "state": State.PENDING.value,
            "next_attempt_at": utc(next_attempt),
            "last_error": error,
        }
        return self._finish(claim, at, "retry", values)

    def mark_failed(
        self, claim: Claim, at: dt.datetime, error: str, report: Message | None = None
    ) -> bool:
        values = {"state": State.FAILED.value, "last_error": error}
        return self._finish(claim, at, "failed", values, report)

    def release(self, claim: Claim, at: dt.datetime) -> bool:
        return self._finish(claim, at, "released", {"state": State.PENDING.value})

    def mark_missed(self, claim: Claim, at: dt.datetime, reason: str) -> bool:
        values = {"state": State.MISSED.value, "last_error": reason}
        return self._finish(claim, at, "missed", values)

    def next_due(self, *, leases: bool = True) -> dt.datetime | None:
        # Two index-friendly halves rather than min(max(due_at, coalesce(next_attempt_at,
        # due_at))), which reads every pending row: rows never tried, by due_at; rows
        # waiting for a retry (few), by the later of their due and next attempt.
        pending = OUTBOX.c.state == State.PENDING.value
        fresh = select(func.min(OUTBOX.c.due_at)).where(pending, OUTBOX.c.next_attempt_at.is_(None))
        later = func.greatest if self.engine.dialect.name == "postgresql" else func.max
        retrying = select(func.min(later(OUTBOX.c.due_at, OUTBOX.c.next_attempt_at))).where(
            pending, OUTBOX.c.next_attempt_at.is_not(None)
        )
        expiring = select(func.min(OUTBOX.c.lease_until)).where(
            OUTBOX.c.state == State.SENDING.value
        )
        with self._reading() as connection:
            queries = (fresh, retrying, expiring) if leases else (fresh, retrying)
            found = [connection.execute(query).scalar_one_or_none() for query in queries]
        instants = [_instant(value) for value in found if value is not None]
        return min(instants, default=None)

    def queue(self, message: Message, at: dt.datetime) -> bool:
        with unavailable_on_failure(self.engine), writing(self.engine, None) as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            added = dialect.insert(OUTBOX).on_conflict_do_nothing().returning(OUTBOX.c.key)
            if connection.execute(added, [_row(message, at)]).first() is None:
                return False
            audit = _audit(at, "service", "queued", message.agreement, message.key, {})
            connection.execute(insert(AUDIT), [audit])
            return True

    def reclaim_expired(self, now: dt.datetime) -> int:
        expired = and_(OUTBOX.c.state == State.SENDING.value, OUTBOX.c.lease_until < utc(now))
        with self._reading() as connection:
            agreements = connection.execute(
                select(OUTBOX.c.agreement).where(expired).distinct()
            ).scalars()
            found = sorted(agreements)
        reclaimed = 0
        for agreement in found:
            back = (
                update(OUTBOX)
                .where(expired, OUTBOX.c.agreement == agreement)
                .values(**_out_of_sending(now, state=State.PENDING.value))
                .returning(OUTBOX.c.key)
            )
            with unavailable_on_failure(self.engine), writing(self.engine, agreement) as c:
                keys = list(c.execute(back).scalars())
                if keys:
                    _drop_stamp(c, agreement)
                    audit = _audit(now, "reclaimer", "reclaimed", agreement, _key_list(keys),
                                   {"keys": keys})  # fmt: skip
                    c.execute(insert(AUDIT), [audit])
            reclaimed += len(keys)
        return reclaimed

    def _finish(
        self,
        claim: Claim,
        at: dt.datetime,
        action: str,
        values: dict[str, Any],
        report: Message | None = None,
    ) -> bool:
        """Move a row the claim still holds out of `sending`, with an audit entry; False
        (nothing written) when it does not. A row going back to the planner's hands (not
        sent) is moved under the agreement's lock and drops its plan stamp. A `report` is
        queued in the same transaction, unless its key is there already."""
        key, agreement = claim.message.key, claim.message.agreement
        held = and_(
            OUTBOX.c.key == key,
            OUTBOX.c.state == State.SENDING.value,
            OUTBOX.c.lease_owner == claim.owner,
            OUTBOX.c.version == claim.version,
        )
        move = update(OUTBOX).where(held).values(**_out_of_sending(at, **values))
        sent = values["state"] == State.SENT.value
        lock = None if sent else agreement
        with unavailable_on_failure(self.engine), writing(self.engine, lock) as connection:
            if connection.execute(move).rowcount != 1:
                return False
            if not sent:
                _drop_stamp(connection, agreement)
            detail = {"key": key, **{k: _plain(v) for k, v in values.items()}}
            audit = _audit(at, claim.owner, action, agreement, key, detail)
            connection.execute(insert(AUDIT), [audit])
            if report is not None:
                dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                queue = dialect.insert(OUTBOX).on_conflict_do_nothing()
                connection.execute(queue, [_row(report, at)])
        return True

    def add_feed(
        self, scope: FeedScope, label: str, at: dt.datetime, salt: str, token_hash: TokenHash
    ) -> FeedRecord:
        # The hash needs the id, which the insert gives: a placeholder no token can hash
        # to ("-" is not hex) stands in until the update, in the same transaction.
        row = {"kind": scope.kind, "target": scope.target, "label": label, "generation": 0,
               "salt": salt, "token_hash": f"-{uuid.uuid4().hex}",
               "created_at": utc(at)}  # fmt: skip
        with unavailable_on_failure(self.engine), writing(self.engine) as connection:
            added = insert(FEEDS).values(**row).returning(*FEEDS.c)
            record = _feed(connection.execute(added).one())
            final = (
                update(FEEDS)
                .where(FEEDS.c.id == record.id)
                .values(token_hash=token_hash(record))
                .returning(*FEEDS.c)
            )
            return _feed(connection.execute(final).one())

    def feed(self, feed_id: int) -> FeedRecord | None:
        with self._reading() as connection:
            found = connection.execute(select(FEEDS).where(FEEDS.c.id == feed_id)).first()
        return None if found is None else _feed(found)

    def feeds(self) -> list[FeedRecord]:
        with self._reading() as connection:
            return [_feed(row) for row in connection.execute(select(FEEDS).order_by(FEEDS.c.id))]

    def feed_by_hash(self, token_hash: str) -> FeedRecord | None:
        query = select(FEEDS).where(FEEDS.c.token_hash == token_hash)
        with self._reading() as connection:
            found = connection.execute(query).first()
        return None if found is None else _feed(found)

    def revoke_feed(self, feed_id: int, at: dt.datetime) -> FeedRecord | None:
        live = and_(FEEDS.c.id == feed_id, FEEDS.c.revoked_at.is_(None))
        with unavailable_on_failure(self.engine), writing(self.engine) as connection:
            connection.execute(update(FEEDS).where(live).values(revoked_at=utc(at)))
            found = connection.execute(select(FEEDS).where(FEEDS.c.id == feed_id)).first()
        return None if found is None else _feed(found)

    def rotate_feed(self, feed_id: int, token_hash: TokenHash) -> FeedRecord | None:
        live = and_(FEEDS.c.id == feed_id, FEEDS.c.revoked_at.is_(None))
        bump = (
            update(FEEDS).where(live).values(generation=FEEDS.c.generation + 1).returning(*FEEDS.c)
        )
        with unavailable_on_failure(self.engine), writing(self.engine) as connection:
            # The bump takes the row's write lock (PostgreSQL) or runs under the database's
            # (SQLite, BEGIN IMMEDIATE): a second rotation waits and bumps the result.
            bumped = connection.execute(bump).first()
            if bumped is not None:
                new_hash = token_hash(_feed(bumped))
                connection.execute(
                    update(FEEDS).where(FEEDS.c.id == feed_id).values(token_hash=new_hash)
                )
            found = connection.execute(select(FEEDS).where(FEEDS.c.id == feed_id)).first()
        return None if found is None else _feed(found)

    def fact_marks(self, agreements: Sequence[str]) -> dict[str, tuple[int, dt.datetime]]:
        if not agreements:
            return {}
        query = (
            select(FACT.c.agreement, func.max(FACT.c.seq), func.max(FACT.c.recorded_at))
            .where(FACT.c.agreement.in_(list(agreements)))
            .group_by(FACT.c.agreement)
        )
        with self._reading() as connection:
            return {
                agreement: (int(seq), _instant(recorded))
                for agreement, seq, recorded in connection.execute(query)
            }

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection for reads; a driver's error becomes `DatabaseUnavailable`."""
        with unavailable_on_failure(self.engine), self.engine.connect() as connection:
            yield connection


class SqlUnit:
    """One agreement's unit of work on a connection whose transaction holds its lock."""

    def __init__(self, connection: Connection, agreement: str) -> None:
        self.connection = connection
        self.agreement = agreement

    def history(self) -> list[RecordedFact]:
        return _history(self.connection, self.agreement)

    def outbox(self) -> list[Entry]:
        return _outbox(self.connection, self.agreement)

    def stamp(self) -> str | None:
        query = select(STAMP.c.inputs).where(STAMP.c.agreement == self.agreement)
        result: str | None = self.connection.execute(query).scalar_one_or_none()
        return result

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        if fact.agreement != self.agreement:
            raise ValueError(f"a unit of {self.agreement!r} cannot record for {fact.agreement!r}")
        payload = to_payload(fact)
        last = select(func.coalesce(func.max(FACT.c.seq), 0)).where(
            FACT.c.agreement == self.agreement
        )
        seq = int(self.connection.execute(last).scalar_one()) + 1
        row = {
            "agreement": fact.agreement,
            "seq": seq,
            "type": fact.type_name,
            "payload": json.dumps(payload, sort_keys=True),
            "happened_on": fact.on,
            "recorded_at": utc(at),
            "recorded_by": actor,
        }
        self.connection.execute(insert(FACT), [row])
        detail = {"on": fact.on.isoformat(), **payload}
        audit = _audit(at, actor, "record", fact.agreement, fact.type_name, detail)
        self.connection.execute(insert(AUDIT), [audit])
        return RecordedFact(seq, fact, at, actor)

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        write_plans(self.connection, [Plan(self.agreement, changes, inputs, actor, at)])


class SqlBatchUnit(BatchReads, SqlUnit):
    """One agreement of a batch: reads what the batch read (and its own writes since),
    and keeps its plan for the batch to write in bulk at the end."""

    def __init__(
        self,
        connection: Connection,
        agreement: str,
        history: list[RecordedFact],
        entries: list[Entry],
        stamp: str | None,
        pending: list[Plan],
    ) -> None:
        SqlUnit.__init__(self, connection, agreement)
        BatchReads.__init__(self, history, entries, stamp)
        self._pending = pending

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        recorded = SqlUnit.append_fact(self, fact, actor, at)
        self._reads_own_fact(recorded)
        return recorded

    def apply_plan(self, changes: Changes, inputs: str, actor: str, at: dt.datetime) -> None:
        touched = {m.key for m in [*changes.updates, *changes.revivals]} | set(changes.withdrawals)
        if any(plan.agreement == self.agreement for plan in self._pending) and touched:
            # A second plan of the agreement in one batch: the first is written before it,
            # so each compare-and-set sees the row as the one before left it.
            write_plans(self.connection, self._pending)
            self._pending.clear()
        self._pending.append(Plan(self.agreement, changes, inputs, actor, at))
        self._reads_own_plan(changes, inputs)


def _instant(value: dt.datetime | str) -> dt.datetime:
    """An instant read back from an aggregate: SQLite's max() of two stored instants is their
    text, naive UTC."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
    return utc(value)


def _out_of_sending(at: dt.datetime, **values: Any) -> dict[str, Any]:
    """The values of a row leaving `sending`: the lease cleared and the version bumped, so a
    planner or a stale claim that read it before cannot write over it."""
    return {
        **values,
        "lease_owner": None,
        "lease_until": None,
        "version": OUTBOX.c.version + 1,
        "updated_at": utc(at),
    }


def _drop_stamp(connection: Connection, agreement: str) -> None:
    """Forget when the agreement was last planned, so the next plan looks at it again."""
    connection.execute(delete(STAMP).where(STAMP.c.agreement == agreement))


def _key_list(keys: list[str]) -> str:
    """A few keys for an audit subject."""
    return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _history(connection: Connection, agreement: str) -> list[RecordedFact]:
    query = select(FACT).where(FACT.c.agreement == agreement).order_by(FACT.c.seq)
    return [
        RecordedFact(row.seq, _fact(row), utc(row.recorded_at), row.recorded_by)
        for row in connection.execute(query)
    ]


def _outbox(connection: Connection, agreement: str) -> list[Entry]:
    return read_outboxes(connection, [agreement])[agreement]


def _fact(row: Row[Any]) -> Fact:
    return from_payload(row.type, row.agreement, row.happened_on, json.loads(row.payload))


def _content(message: Message) -> dict[str, Any]:
    return {
        "kind": message.kind.value,
        "recipient": message.recipient,
        "due_at": utc(message.due_at),
        "subject": message.subject,
        "payload": json.dumps(message.payload, sort_keys=True),
        "fingerprint": message.fingerprint,
    }


def _row(message: Message, now: dt.datetime) -> dict[str, Any]:
    return {
        **_content(message),
        "key": message.key,
        "agreement": message.agreement,
        "state": State.PENDING.value,
        "attempts": 0,
        "version": 0,
        "message_id": message.message_id,
        "created_at": now,
        "updated_at": now,
    }


def _message(row: Row[Any]) -> Message:
    return Message(
        row.key,
        row.agreement,
        MessageKind(row.kind),
        row.recipient,
        utc(row.due_at),
        row.subject,
        json.loads(row.payload),
        row.fingerprint,
    )


def _entry(row: Row[Any]) -> Entry:
    return Entry(_message(row), State(row.state), row.version)


def _feed(row: Row[Any]) -> FeedRecord:
    kind = next(kind for kind in FEED_KINDS if kind == row.kind)
    revoked = None if row.revoked_at is None else utc(row.revoked_at)
    return FeedRecord(row.id, FeedScope(kind, row.target), row.label, row.generation,
                      utc(row.created_at), revoked, row.salt)  # fmt: skip


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _audit(
    at: dt.datetime, actor: str, action: str, agreement: str, subject: str, detail: object
) -> dict[str, Any]:
    return {
        "at": utc(at),
        "actor": actor,
        "action": action,
        "agreement": agreement,
        "subject": subject[:600],
        "detail": json.dumps(detail, sort_keys=True),
    }
