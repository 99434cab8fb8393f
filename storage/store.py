"""The SQL store (SQLite or PostgreSQL): converts between tables and domain objects."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jobs.ports import RecordedFact
from lifecycle.facts import Fact, from_payload, to_payload
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes, Entry, State
from storage.tables import AuditRecord, FactRecord, OutboxRecord, PlanStamp

UTC = dt.UTC


def utc(moment: dt.datetime) -> dt.datetime:
    """An aware instant in UTC; SQLModel's column type stores and returns these."""
    return moment.astimezone(UTC)


class SqlStore:
    """Facts, outbox and audit in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        payload = to_payload(fact)
        with Session(self.engine) as session:
            record = FactRecord(
                agreement=fact.agreement,
                type=fact.type_name,
                payload=json.dumps(payload, sort_keys=True),
                happened_on=fact.on,
                recorded_at=utc(at),
                recorded_by=actor,
            )
            session.add(record)
            session.add(
                _audit(
                    at,
                    actor,
                    "record",
                    fact.agreement,
                    fact.type_name,
                    {"on": fact.on.isoformat(), **payload},
                )
            )
            session.commit()
            session.refresh(record)
            assert record.id is not None
            return RecordedFact(record.id, fact, at, actor)

    def history(self, agreement: str) -> list[RecordedFact]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(FactRecord)
                .where(FactRecord.agreement == agreement)
                .order_by(col(FactRecord.id))
            ).all()
            return [
                RecordedFact(row.id or 0, _fact(row), utc(row.recorded_at), row.recorded_by)
                for row in rows
            ]

    def facts_by_agreement(self) -> dict[str, list[Fact]]:
        result: dict[str, list[Fact]] = defaultdict(list)
        with Session(self.engine) as session:
            for row in session.exec(select(FactRecord).order_by(col(FactRecord.id))):
                result[row.agreement].append(_fact(row))
        return dict(result)

    def outbox(self, agreement: str) -> list[Entry]:
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxRecord).where(OutboxRecord.agreement == agreement))
            return [_entry(row) for row in rows]

    def all_outbox(self) -> list[Entry]:
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxRecord).order_by(col(OutboxRecord.key)))
            return [_entry(row) for row in rows]

    def stamp(self, agreement: str) -> str | None:
        with Session(self.engine) as session:
            row = session.get(PlanStamp, agreement)
            return row.inputs if row else None

    def stamps(self) -> dict[str, str]:
        with Session(self.engine) as session:
            return {row.agreement: row.inputs for row in session.exec(select(PlanStamp))}

    def apply_plan(
        self, agreement: str, changes: Changes, inputs: str, actor: str, at: dt.datetime
    ) -> None:
        now = utc(at)
        with Session(self.engine) as session:
            if changes.inserts:
                rows = [_row(message, now) for message in changes.inserts]
                session.execute(insert(OutboxRecord), rows)
            for message in [*changes.updates, *changes.revivals]:
                session.execute(
                    update(OutboxRecord)
                    .where(col(OutboxRecord.key) == message.key)
                    .values(**_content(message), state=State.PENDING.value, updated_at=now)
                )
            if changes.withdrawals:
                session.execute(
                    update(OutboxRecord)
                    .where(col(OutboxRecord.key).in_(changes.withdrawals))
                    .values(state=State.WITHDRAWN.value, updated_at=now)
                )
            stamp = session.get(PlanStamp, agreement)
            if stamp is None:
                session.add(PlanStamp(agreement=agreement, inputs=inputs, planned_at=now))
            else:
                stamp.inputs, stamp.planned_at = inputs, now
            if changes.count:
                session.add(
                    _audit(
                        at,
                        actor,
                        "plan",
                        agreement,
                        f"{changes.count} change(s)",
                        _change_detail(changes),
                    )
                )
            session.commit()

    def audit_count(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(AuditRecord)).one()


def _fact(row: FactRecord) -> Fact:
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
        "message_id": message.message_id,
        "created_at": now,
        "updated_at": now,
    }


def _entry(row: OutboxRecord) -> Entry:
    message = Message(
        row.key,
        row.agreement,
        MessageKind(row.kind),
        row.recipient,
        utc(row.due_at),
        row.subject,
        json.loads(row.payload),
        row.fingerprint,
    )
    return Entry(message, State(row.state))


def _change_detail(changes: Changes) -> dict[str, list[str]]:
    return {
        "inserted": [message.key for message in changes.inserts],
        "updated": [message.key for message in changes.updates],
        "revived": [message.key for message in changes.revivals],
        "withdrawn": list(changes.withdrawals),
    }


def _audit(
    at: dt.datetime, actor: str, action: str, agreement: str, subject: str, detail: object
) -> AuditRecord:
    return AuditRecord(
        at=utc(at),
        actor=actor,
        action=action,
        agreement=agreement,
        subject=subject[:600],
        detail=json.dumps(detail, sort_keys=True),
    )
