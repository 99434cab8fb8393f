"""The outbox's bulk path: many agreements' plans read and written in a few statements.

Rows go to the driver as they are stored, each value prepared once: the payload's JSON is
dumped once per message, and SQLite's instants are the text SQLAlchemy's `DateTime` writes
there (`2024-03-05 09:00:00.000000`, UTC), made here instead of by a per-row type processor,
so the stored rows are the same as before and every reader keeps reading them. Inserts go
through the driver's `executemany` (SQLite) or `COPY` (PostgreSQL); updates through
`executemany` of a compare-and-set UPDATE on (key, state, version).

The compare-and-set guarantee is kept in bulk: every write runs under a savepoint; an insert
over an existing key (a unique violation, which stops `COPY` and `executemany` alike) or an
update count short of the rows sent (both drivers sum an `executemany`'s row counts) rolls the
savepoint back, finds which rows are not as they were read, and raises `OutboxConflict`, so
the caller's transaction writes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from jobs.ports import OutboxConflict, RecordedFact
from lifecycle.facts import from_payload
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, Entry, State

UTC = dt.UTC
# Parameters per statement stay well under SQLite's 32,766 and PostgreSQL's 65,535.
CHUNK = 900
INSERTED = (
    "key", "agreement", "kind", "recipient", "due_at", "state", "attempts", "version",
    "message_id", "subject", "payload", "fingerprint", "created_at", "updated_at",
)  # fmt: skip
ENTRY = ("key", "agreement", "kind", "recipient", "due_at", "subject", "payload",
         "fingerprint", "state", "version")  # fmt: skip
FACT = ("agreement", "seq", "type", "payload", "happened_on", "recorded_at", "recorded_by")
AUDIT = ("at", "actor", "action", "agreement", "subject", "detail")
# One encoder for every payload: `json.dumps(..., sort_keys=True)` makes a new one per call.
PAYLOAD = json.JSONEncoder(sort_keys=True)


@dataclass(frozen=True)
class Plan:
    """One agreement's `apply_plan`, kept until it is written."""

    agreement: str
    changes: Changes
    inputs: str
    actor: str
    at: dt.datetime


class Dialect:
    """How values and placeholders look to one driver."""

    def __init__(self, connection: Connection) -> None:
        self.postgres = connection.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"

    def instant(self, moment: dt.datetime) -> Any:
        """An aware instant as the driver stores it: itself in UTC for psycopg
        (`timestamptz`), SQLAlchemy's SQLite text otherwise."""
        moment = moment.astimezone(UTC)
        if self.postgres:
            return moment
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    def read_instant(self, value: dt.datetime | str) -> dt.datetime:
        """An instant as read back: SQLite's text is naive UTC."""
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)


def write_plans(connection: Connection, plans: Sequence[Plan]) -> None:
    """Write every plan's rows, stamps and audit entries in bulk; raises `OutboxConflict`
    (the savepoint rolled back) when a row is not as its plan read it."""
    if not plans:
        return
    dialect = Dialect(connection)
    _write_outbox(connection, dialect, plans)
    _write_stamps(connection, dialect, plans)
    audits = [_audit_row(dialect, plan) for plan in plans if plan.changes.count]
    if audits:
        statement = f"INSERT INTO audit ({', '.join(AUDIT)}) VALUES ({dialect.marks(len(AUDIT))})"
        connection.exec_driver_sql(statement, audits)


def _write_outbox(connection: Connection, dialect: Dialect, plans: Sequence[Plan]) -> None:
    cache: dict[dt.datetime, Any] = {}  # many rows share an instant (one per recipient)

    def instant(moment: dt.datetime) -> Any:
        found = cache.get(moment)
        if found is None:
            found = cache[moment] = dialect.instant(moment)
        return found

    inserts, contents, withdrawals = [], [], []
    expected: dict[str, tuple[str, State, int]] = {}
    for plan in plans:
        now, changes = instant(plan.at), plan.changes
        inserts += [_insert_row(message, now, instant) for message in changes.inserts]
        for message in [*changes.updates, *changes.revivals]:
            state, version = changes.expected[message.key]
            expected[message.key] = (plan.agreement, state, version)
            contents.append((*_content(message, instant), State.PENDING.value, version + 1, now,
                             message.key, state.value, version))  # fmt: skip
        for key in changes.withdrawals:
            state, version = changes.expected[key]
            expected[key] = (plan.agreement, state, version)
            withdrawals.append((State.WITHDRAWN.value, version + 1, now, key, state.value,
                                version))  # fmt: skip
    if not (inserts or contents or withdrawals):
        return
    savepoint = connection.begin_nested()
    try:
        _insert(connection, dialect, inserts)
        matched = _update(connection, dialect, CONTENT_UPDATE, contents)
        matched += _update(connection, dialect, STATE_UPDATE, withdrawals)
    except IntegrityError:
        savepoint.rollback()
        keys = [row[0] for row in inserts]
        clashes = existing_keys(connection, dialect, keys)
        if not clashes:  # not a key that exists: a real error, not a race
            raise
        agreement = next(row[1] for row in inserts if row[0] in clashes)
        raise OutboxConflict(agreement, [key for key in keys if key in clashes]) from None
    if matched != len(contents) + len(withdrawals):
        savepoint.rollback()
        moved = _moved(connection, dialect, expected)
        agreement = expected[moved[0]][0] if moved else plans[0].agreement
        raise OutboxConflict(agreement, moved)
    savepoint.commit()


CONTENT_UPDATE = (
    "UPDATE outbox SET kind = {m}, recipient = {m}, due_at = {m}, subject = {m}, payload = {m},"
    " fingerprint = {m}, state = {m}, version = {m}, updated_at = {m}"
    " WHERE key = {m} AND state = {m} AND version = {m}"
)
STATE_UPDATE = (
    "UPDATE outbox SET state = {m}, version = {m}, updated_at = {m}"
    " WHERE key = {m} AND state = {m} AND version = {m}"
)


def _insert(connection: Connection, dialect: Dialect, rows: list[tuple[Any, ...]]) -> None:
    """New rows: `COPY` on PostgreSQL, `executemany` on SQLite; an existing key raises
    `IntegrityError` either way (a plain INSERT, not ON CONFLICT: nothing is skipped)."""
    if not rows:
        return
    columns = ", ".join(INSERTED)
    if not dialect.postgres:
        statement = f"INSERT INTO outbox ({columns}) VALUES ({dialect.marks(len(INSERTED))})"
        connection.exec_driver_sql(statement, rows)
        return
    _copy(connection, f"COPY outbox ({columns}) FROM STDIN", rows)


def _copy(connection: Connection, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """psycopg's `COPY ... FROM STDIN` on the connection's own transaction; the driver's
    errors become SQLAlchemy's, as `execute` would raise them."""
    import psycopg

    raw: Any = connection.connection.dbapi_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _update(
    connection: Connection, dialect: Dialect, template: str, rows: list[tuple[Any, ...]]
) -> int:
    """Run a compare-and-set UPDATE for every row; the rows it matched (the drivers sum an
    `executemany`'s counts)."""
    if not rows:
        return 0
    result = connection.exec_driver_sql(template.format(m=dialect.mark), rows)
    return int(result.rowcount)


def _moved(
    connection: Connection, dialect: Dialect, expected: dict[str, tuple[str, State, int]]
) -> list[str]:
    """The keys whose row is gone or not in the (state, version) it was read in."""
    found = {
        key: (state, version)
        for key, state, version in _select_in(
            connection, dialect, "SELECT key, state, version FROM outbox WHERE key IN ({})",
            list(expected),
        )
    }  # fmt: skip
    return [
        key
        for key, (_, state, version) in expected.items()
        if found.get(key) != (state.value, version)
    ]


def existing_keys(connection: Connection, dialect: Dialect, keys: list[str]) -> set[str]:
    """Which of `keys` the outbox holds."""
    query = "SELECT key FROM outbox WHERE key IN ({})"
    return {row[0] for row in _select_in(connection, dialect, query, keys)}


def _select_in(
    connection: Connection, dialect: Dialect, query: str, values: Sequence[Any]
) -> Iterator[tuple[Any, ...]]:
    """A query with one `IN ({})`, run over `values` a chunk at a time."""
    for start in range(0, len(values), CHUNK):
        chunk = list(values[start : start + CHUNK])
        statement = query.format(dialect.marks(len(chunk)))
        for row in connection.exec_driver_sql(statement, tuple(chunk)):
            yield tuple(row)


def _write_stamps(connection: Connection, dialect: Dialect, plans: Sequence[Plan]) -> None:
    """Each agreement's stamp, inserted or replaced (the last plan of an agreement wins)."""
    latest = {plan.agreement: (plan.agreement, plan.inputs, dialect.instant(plan.at))
              for plan in plans}  # fmt: skip
    statement = (
        f"INSERT INTO plan_stamp (agreement, inputs, planned_at) VALUES ({dialect.marks(3)})"
        " ON CONFLICT (agreement) DO UPDATE SET inputs = excluded.inputs,"
        " planned_at = excluded.planned_at"
    )
    connection.exec_driver_sql(statement, list(latest.values()))


def _content(message: Message, instant: Any) -> tuple[Any, ...]:
    """kind, recipient, due_at, subject, payload, fingerprint: what a plan may change."""
    return (
        message.kind.value,
        message.recipient,
        instant(message.due_at),
        message.subject,
        PAYLOAD.encode(message.payload),
        message.fingerprint,
    )


def _insert_row(message: Message, now: Any, instant: Any) -> tuple[Any, ...]:
    kind, recipient, due, subject, payload, fingerprint = _content(message, instant)
    message_id = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@concordat.invalid>"
    return (message.key, message.agreement, kind, recipient, due, State.PENDING.value, 0, 0,
            message_id, subject, payload, fingerprint, now, now)  # fmt: skip


def _audit_row(dialect: Dialect, plan: Plan) -> tuple[Any, ...]:
    changes = plan.changes
    detail = {
        "inserted": [message.key for message in changes.inserts],
        "updated": [message.key for message in changes.updates],
        "revived": [message.key for message in changes.revivals],
        "withdrawn": list(changes.withdrawals),
    }
    subject = f"{changes.count} change(s)"[:600]
    return (dialect.instant(plan.at), plan.actor, "plan", plan.agreement, subject,
            json.dumps(detail, sort_keys=True))  # fmt: skip


# --------------------------------------------------------------------------- reads


def read_outboxes(connection: Connection, agreements: Sequence[str]) -> dict[str, list[Entry]]:
    """Every listed agreement's outbox rows (in the order one agreement's query returns
    them), in one query per chunk of agreements.

    The cyclic garbage collector is paused while they are read: decoding tens of thousands
    of payloads allocates hundreds of thousands of dicts and lists, none of them in a cycle,
    and each allocation threshold crossed would otherwise start a collection that walks
    everything the process holds (a new day's re-plan spent a quarter of its time so)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_outboxes(connection, agreements)
    finally:
        if was_enabled:
            gc.enable()


def _read_outboxes(connection: Connection, agreements: Sequence[str]) -> dict[str, list[Entry]]:
    dialect = Dialect(connection)
    query = f"SELECT {', '.join(ENTRY)} FROM outbox WHERE agreement IN ({{}})"
    result: dict[str, list[Entry]] = {agreement: [] for agreement in agreements}
    cache: dict[Any, dt.datetime] = {}
    for (
        key,
        agreement,
        kind,
        recipient,
        due,
        subject,
        payload,
        fingerprint,
        state,
        version,
    ) in _select_in(connection, dialect, query, agreements):
        due_at = cache.get(due)
        if due_at is None:
            due_at = cache[due] = dialect.read_instant(due)
        message = Message(key, agreement, _KIND_OF[kind], recipient, due_at, subject,
                          json.loads(payload), fingerprint)  # fmt: skip
        result[agreement].append(Entry(message, _STATE_OF[state], version))
    return result


# The enums by their stored values: a dict look-up per row, not an enum call per row.
_KIND_OF = {kind.value: kind for kind in MessageKind}
_STATE_OF = {state.value: state for state in State}


def read_stamps(connection: Connection, agreements: Sequence[str]) -> dict[str, str]:
    """The listed agreements' plan stamps."""
    dialect = Dialect(connection)
    query = "SELECT agreement, inputs FROM plan_stamp WHERE agreement IN ({})"
    return {row[0]: row[1] for row in _select_in(connection, dialect, query, agreements)}


def read_histories(
    connection: Connection, agreements: Sequence[str]
) -> dict[str, list[RecordedFact]]:
    """The listed agreements' facts, each agreement's in the order recorded."""
    dialect = Dialect(connection)
    query = f"SELECT {', '.join(FACT)} FROM fact WHERE agreement IN ({{}})"
    result: dict[str, list[RecordedFact]] = {agreement: [] for agreement in agreements}
    for agreement, seq, kind, payload, happened, recorded_at, recorded_by in _select_in(
        connection, dialect, query, agreements
    ):
        on = happened if isinstance(happened, dt.date) else dt.date.fromisoformat(happened)
        fact = from_payload(kind, agreement, on, json.loads(payload))
        result[agreement].append(
            RecordedFact(seq, fact, dialect.read_instant(recorded_at), recorded_by)
        )
    for facts in result.values():
        facts.sort(key=lambda item: item.id)
    return result
