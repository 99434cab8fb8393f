"""An in-memory store: the fake beside the SQL store, for fast unit tests. It passes the same
shared store tests (tests/integration/test_store_contract.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from jobs.ports import RecordedFact
from lifecycle.facts import Fact
from lifecycle.outbox import Changes, Entry, State


class MemoryStore:
    """Facts, outbox and audit in dictionaries."""

    def __init__(self) -> None:
        self.facts: list[RecordedFact] = []
        self.rows: dict[str, Entry] = {}
        self.stamp_by_agreement: dict[str, str] = {}
        self.audit: list[tuple[dt.datetime, str, str, str]] = []

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        recorded = RecordedFact(len(self.facts) + 1, fact, at, actor)
        self.facts.append(recorded)
        self.audit.append((at, actor, "record", fact.agreement))
        return recorded

    def history(self, agreement: str) -> list[RecordedFact]:
        return [item for item in self.facts if item.fact.agreement == agreement]

    def facts_by_agreement(self) -> dict[str, list[Fact]]:
        result: dict[str, list[Fact]] = {}
        for item in self.facts:
            result.setdefault(item.fact.agreement, []).append(item.fact)
        return result

    def outbox(self, agreement: str) -> list[Entry]:
        return [entry for entry in self.rows.values() if entry.message.agreement == agreement]

    def all_outbox(self) -> list[Entry]:
        return [self.rows[key] for key in sorted(self.rows)]

    def stamp(self, agreement: str) -> str | None:
        return self.stamp_by_agreement.get(agreement)

    def stamps(self) -> dict[str, str]:
        return dict(self.stamp_by_agreement)

    def apply_plan(
        self, agreement: str, changes: Changes, inputs: str, actor: str, at: dt.datetime
    ) -> None:
        for message in [*changes.inserts, *changes.updates, *changes.revivals]:
            self.rows[message.key] = Entry(message, State.PENDING)
        for key in changes.withdrawals:
            self.rows[key] = replace(self.rows[key], state=State.WITHDRAWN)
        self.stamp_by_agreement[agreement] = inputs
        if changes.count:
            self.audit.append((at, actor, "plan", agreement))

    def audit_count(self) -> int:
        return len(self.audit)

    def mark(self, key: str, state: State) -> None:
        """Set a row's state (the dispatcher's job; used by tests until it exists)."""
        self.rows[key] = replace(self.rows[key], state=state)
