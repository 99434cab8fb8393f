"""The store port: what the application needs from persistence, as a Protocol.

`storage.store.SqlStore` (SQLite and PostgreSQL) and `jobs.memory.MemoryStore` (a fake for
fast unit tests) both implement it and pass the same shared tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from lifecycle.facts import Fact
from lifecycle.outbox import Changes, Entry


@dataclass(frozen=True)
class RecordedFact:
    """A fact as stored: its sequence number, and when and by whom it was recorded."""

    id: int
    fact: Fact
    recorded_at: dt.datetime
    recorded_by: str


class Store(Protocol):
    """Facts, the outbox and the audit log."""

    def append_fact(self, fact: Fact, actor: str, at: dt.datetime) -> RecordedFact:
        """Append one fact (and its audit entry) atomically."""
        ...

    def history(self, agreement: str) -> list[RecordedFact]:
        """The agreement's facts in the order recorded."""
        ...

    def facts_by_agreement(self) -> dict[str, list[Fact]]:
        """Every agreement's facts in the order recorded, in one read."""
        ...

    def outbox(self, agreement: str) -> list[Entry]:
        """The agreement's outbox rows."""
        ...

    def all_outbox(self) -> list[Entry]:
        """Every outbox row, ordered by key."""
        ...

    def stamp(self, agreement: str) -> str | None:
        """The inputs digest the agreement was last planned from."""
        ...

    def stamps(self) -> dict[str, str]:
        """Every planned agreement's inputs digest, in one read."""
        ...

    def apply_plan(
        self, agreement: str, changes: Changes, inputs: str, actor: str, at: dt.datetime
    ) -> None:
        """Write the changes, the stamp and one audit entry listing them, atomically."""
        ...

    def audit_count(self) -> int:
        """How many audit entries there are."""
        ...
