"""Benchmark of the outbox's write path against the database's own bulk load of the same rows.

Run from the project root with the virtualenv active:

    python bench/outbox_write.py [--agreements N] [--rounds R] [--db sqlite|postgres|both]
                                 [--quick] [--json PATH]

The rows are a first plan of N copies of config/examples/nottinghamshire-healthy-families.toml
(the example planned once by the real planner, then re-keyed per copy: `<id>-00000`...), about
400 rows per copy with the current horizon. Per database and per round, interleaved:

  (a) ours: `SqlStore.batch` of `jobs.planner.BATCH` agreements at a time, each unit's
      `apply_plan` inserting its rows into an empty outbox (what a first plan writes: payload
      JSON, instants, message ids prepared by the store; reads of the empty outbox, stamps and
      audit entries included);
  (b) the peer: the same rows, prepared beforehand as tuples of stored values, written into an
      identical, empty, migrated outbox by plain `sqlite3` `executemany` in one transaction
      (SQLite) or by psycopg's `COPY ... FROM STDIN` (PostgreSQL, from `tests.pg.cluster()`;
      an INFO row says SKIP when PostgreSQL is not installed).

The figure is rows/s of (a), the peer rows/s of (b), both the median of the rounds; the
target is (a)/(b) >= 0.5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measures import Measure, write_measures
from config.loader import load_configuration
from jobs.memory import MemoryStore
from jobs.planner import BATCH, replan
from lifecycle.messages import Message
from lifecycle.outbox import Changes
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.store import SqlStore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
TEMPLATE = "nottinghamshire-healthy-families"
PLANNING_DAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 5, 0, tzinfo=dt.UTC)
COLUMNS = ("key", "agreement", "kind", "recipient", "due_at", "state", "attempts",
           "version", "message_id", "subject", "payload", "fingerprint", "created_at",
           "updated_at")  # fmt: skip
TARGET = 0.5
NAME = "outbox_write"

Plans = dict[str, list[Message]]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def plans(count: int) -> Plans:
    """N copies of the example's first plan, each agreement's messages under its own id."""
    configuration = load_configuration(EXAMPLES)
    store = MemoryStore()
    replan(configuration, store, PLANNING_DAY, NOW, only={TEMPLATE})
    template = [entry.message for entry in store.outbox(TEMPLATE)]
    result: Plans = {}
    for index in range(count):
        name = f"{TEMPLATE}-{index:05d}"
        result[name] = [
            replace(m, key=m.key.replace(TEMPLATE, name), agreement=name) for m in template
        ]
    return result


def stored_rows(messages: Plans, postgres: bool) -> list[tuple[Any, ...]]:
    """The rows as the database keeps them: the peer's input, made before it is timed."""

    def instant(moment: dt.datetime) -> Any:
        moment = moment.astimezone(dt.UTC)
        return moment if postgres else moment.replace(tzinfo=None).isoformat(" ", "microseconds")

    now = instant(NOW)
    return [
        (m.key, m.agreement, m.kind.value, m.recipient, instant(m.due_at), "pending", 0, 0,
         f"<{hashlib.sha256(m.key.encode()).hexdigest()[:32]}@concordat.invalid>", m.subject,
         json.dumps(m.payload, sort_keys=True), m.fingerprint, now, now)
        for batch in messages.values() for m in batch
    ]  # fmt: skip


def ours(url: str, messages: Plans) -> float:
    """Seconds to write every plan through `SqlStore.batch` into an empty outbox."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        store = SqlStore(engine)
        names = list(messages)
        began = time.perf_counter()
        for start in range(0, len(names), BATCH):
            chunk = names[start : start + BATCH]
            with store.batch(chunk) as units:
                for name in chunk:
                    units[name].apply_plan(Changes(inserts=messages[name]), "d", "bench", NOW)
        return time.perf_counter() - began
    finally:
        engine.dispose()


def raw_sqlite(path: Path, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for plain `sqlite3` executemany of the rows into a migrated, empty outbox."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        statement = (f"INSERT INTO outbox ({', '.join(COLUMNS)}) VALUES"
                     f" ({', '.join('?' * len(COLUMNS))})")  # fmt: skip
        began = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(statement, rows)
        connection.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        connection.close()


def raw_copy(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for psycopg's COPY of the rows into a migrated, empty outbox."""
    import psycopg

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        began = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY outbox ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
        return time.perf_counter() - began


def compare(
    label: str,
    rounds: int,
    count: int,
    our_run: Callable[[int], float],
    peer_run: Callable[[int], float],
) -> tuple[float, float]:
    """Median seconds of ours and of the peer, run alternately, `rounds` times each."""
    mine, theirs = [], []
    for number in range(rounds):
        first, second = (our_run, peer_run) if number % 2 == 0 else (peer_run, our_run)
        a, b = first(number), second(number)
        ours_s, peer_s = (a, b) if number % 2 == 0 else (b, a)
        mine.append(ours_s)
        theirs.append(peer_s)
        log(f"  [{label}] round {number + 1}: ours {ours_s:.2f}s, peer {peer_s:.2f}s"
            f" ({count / ours_s:,.0f} vs {count / peer_s:,.0f} rows/s)")  # fmt: skip
    return statistics.median(mine), statistics.median(theirs)


def bench_sqlite(messages: Plans, rounds: int) -> Measure:
    rows = stored_rows(messages, postgres=False)
    with tempfile.TemporaryDirectory(prefix="concordat-outbox-") as tmp:
        folder = Path(tmp)
        mine, theirs = compare(
            "sqlite", rounds, len(rows),
            lambda n: ours(f"sqlite:///{folder / f'ours-{n}.db'}", messages),
            lambda n: raw_sqlite(folder / f"raw-{n}.db", rows),
        )  # fmt: skip
    return _measure("SQLite", "sqlite3.executemany", len(rows), mine, theirs)


def bench_postgres(messages: Plans, rounds: int) -> Measure:
    from sqlalchemy import text

    from tests.pg import cluster, find_bin

    if find_bin() is None:
        return Measure(NAME, "outbox write rate vs COPY (PostgreSQL)", 0.0, "rows/s",
                       note="SKIP: PostgreSQL not installed")  # fmt: skip
    rows = stored_rows(messages, postgres=True)
    with cluster() as admin_url:
        admin = make_engine(admin_url)
        base = admin_url.rsplit("/", 1)[0]

        def database(name: str) -> str:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text(f"CREATE DATABASE {name}"))
            return f"{base}/{name}"

        try:
            mine, theirs = compare(
                "postgres", rounds, len(rows),
                lambda n: ours(database(f"ours_{n}"), messages),
                lambda n: raw_copy(database(f"raw_{n}"), rows),
            )  # fmt: skip
        finally:
            admin.dispose()
    return _measure("PostgreSQL", "COPY", len(rows), mine, theirs)


def _measure(database: str, peer: str, count: int, mine: float, theirs: float) -> Measure:
    name = "executemany" if peer.endswith("executemany") else "COPY"
    return Measure(
        NAME, f"outbox write rate vs {name} ({database})", round(count / mine), "rows/s",
        peer=round(count / theirs), peer_name=peer, target=TARGET, comparison=">=",
        target_on="ratio", note=f"{count} rows, {mine:.2f}s vs {theirs:.2f}s",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agreements", type=int, default=1000, metavar="N")
    parser.add_argument("--rounds", type=int, default=3, metavar="R")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="300 agreements, 2 rounds")
    parser.add_argument("--json", metavar="PATH", help="write the measures here")
    args = parser.parse_args(argv)
    count, rounds = (300, 2) if args.quick else (args.agreements, args.rounds)
    messages = plans(count)
    total = sum(len(batch) for batch in messages.values())
    print(f"Outbox write: {count} agreements, {total} rows, {rounds} round(s) per database")
    measures = []
    if args.db in ("sqlite", "both"):
        measures.append(bench_sqlite(messages, rounds))
    if args.db in ("postgres", "both"):
        measures.append(bench_postgres(messages, rounds))
    for m in measures:
        ratio = f"{m.ratio:.2f}x" if m.ratio is not None else "-"
        print(f"  {m.name}: {m.figure:,.0f} rows/s against {m.peer or 0:,.0f} {m.peer_name}"
              f" = {ratio} (target >= {TARGET}x) {m.verdict}; {m.note}")  # fmt: skip
    write_measures(args.json, measures)
    return 0 if all(m.verdict != "FAIL" for m in measures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
