"""The outbox the examples plan into, pinned row by row against a snapshot taken before the
performance work of issue 10 (faster writes, batches, faster message building).

Every optimisation must leave each row's columns as they were: key, agreement, kind,
recipient, due instant, subject, payload text, fingerprint, state, attempts, version,
Message-ID and the instants it was written at. The scenario is a first plan, two recorded
facts, a new day's re-plan and a re-plan months later, on SQLite and on PostgreSQL, both
against the same snapshot.

To write the snapshot again after a deliberate change of behaviour:
`CONCORDAT_GOLDEN_WRITE=1 pytest tests/integration/test_outbox_golden.py -k sqlite`,
and say in the commit why the rows changed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config.loader import Configuration
from jobs.planner import replan
from lifecycle import commands as c
from storage.store import SqlStore, utc
from storage.tables import OutboxRecord
from tests.conftest import run_command

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "outbox_golden.json.gz"
SEFTON, NOTTS = "sefton-partnership", "nottinghamshire-healthy-families"
HORIZON_DAYS = 400  # the planner's horizon when the snapshot was taken


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)


def _scenario(configuration: Configuration, store: SqlStore) -> dict[str, dict[str, str]]:
    """Plan, record, re-plan; the outbox's rows after each step."""
    steps: dict[str, dict[str, str]] = {}
    first = dt.date(2024, 11, 1)
    replan(configuration, store, first, _at(first), horizon_days=HORIZON_DAYS)
    steps["first plan"] = _rows(store)
    raised = dt.date(2024, 11, 4)
    run_command(
        configuration, store, c.StartProcedure(SEFTON, "dispute", "council", raised, "Data"), raised
    )
    run_command(configuration, store, c.ProposeVariation(SEFTON, raised, "Add a partner"), raised)
    steps["two facts"] = _rows(store)
    for day in (dt.date(2024, 11, 5), dt.date(2025, 2, 3)):
        replan(configuration, store, day, _at(day), horizon_days=HORIZON_DAYS)
        steps[f"re-plan {day}"] = _rows(store)
    return steps


def _rows(store: SqlStore) -> dict[str, str]:
    """Each outbox row as `state|version|digest of every column`, by key."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(OutboxRecord.__table__)).mappings().all()  # type: ignore[attr-defined]
    return {row["key"]: _summary(dict(row)) for row in rows}


def _summary(row: dict[str, Any]) -> str:
    plain = {name: _plain(value) for name, value in sorted(row.items()) if name != "id"}
    digest = hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()[:16]
    return f"{row['state']}|{row['version']}|{digest}"


def _plain(value: object) -> object:
    """Columns as text that does not depend on the database: instants as aware UTC."""
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    return value


def test_the_examples_plan_the_same_outbox_as_before(
    examples: Configuration, sql_store: SqlStore
) -> None:
    steps = _scenario(examples, sql_store)
    if os.environ.get("CONCORDAT_GOLDEN_WRITE"):
        text = json.dumps(steps, indent=0, sort_keys=True) + "\n"
        SNAPSHOT.write_bytes(gzip.compress(text.encode(), mtime=0))
    expected: dict[str, dict[str, str]] = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
    assert sorted(steps) == sorted(expected)
    for step, rows in steps.items():
        want = expected[step]
        missing, extra = sorted(set(want) - set(rows)), sorted(set(rows) - set(want))
        changed = sorted(key for key in set(want) & set(rows) if want[key] != rows[key])
        assert (missing[:5], extra[:5], changed[:5]) == ([], [], []), (
            f"{step}: {len(missing)} missing, {len(extra)} extra, {len(changed)} changed rows"
        )
