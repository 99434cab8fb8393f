"""Benchmark of the planner against a real database: a full plan, an unchanged re-plan, and a
re-plan after one agreement's file changes, with N agreements, on SQLite and PostgreSQL.

Run from the project root with the virtualenv active:

    python bench/replan.py [--agreements N] [--db sqlite|postgres|both] [--profile]
                           [--quick] [--json PATH]

1. Writes N copies of config/examples/nottinghamshire-healthy-families.toml (each with its own
   `id`, plus a three-step dispute procedure appended, since the seed describes none) and the
   examples' site.toml into a temporary directory, and times `load_configuration` on it.
2. Records facts through a unit of work's `append_fact` (each one checked first by the domain
   decision in `lifecycle.decisions`, so every id and date is valid): a dispute started and
   closed a few weeks later in ~10% of agreements (a few left open), a Service Review up to
   four months ahead moved to the next afternoon in ~10% (some of those meetings fall after the
   planning day), and a variation proposed and signed by both parties in ~10% (a few with one
   signature missing). Facts are dated between the term start (2024-10-01, the seed's) and the
   day before the planning day, 2025-06-01.
3. For each database (a SQLite file in a temporary directory; PostgreSQL from
   `tests.pg.cluster()`): migrates, then times
     (a) a full plan into an empty outbox (rows written, rows/s);
     (b) a re-plan with nothing changed: zero rows written, in under a fifth of (a)'s time;
     (c) a re-plan after one agreement's file changes (its Service Review moves from 10:00 to
         10:30; the configuration is reloaded, then every agreement is re-planned): only that
         agreement is planned, and the time is close to (b) plus one agreement's share of (a):
         target (c) <= 1.5 x (b) + 5 x (a)/N;
     (d) a new day's re-plan: the same configuration planned again from the next day (every
         agreement's inputs change, so every one is reconciled with its outbox).
4. Reports the process's peak memory (ru_maxrss) against 1 GiB (the budget bench/plan_scale.py
   uses).

Targets of issue 10 (at N=10000; at another N the time limits are scaled by N/10000): (a)
under 60 s and (d) under 30 s on each database, ru_maxrss under 1 GiB. `--json PATH` writes
them as `bench.measures.Measure` rows; `--quick` is N=40.

With --profile, (a), (b) and (c) also run under cProfile and the hottest functions are printed
(use a small N, e.g. --agreements 500). Progress goes to stderr; results and a PASS/FAIL
summary to stdout. The exit status is 0 when every target passes.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

# The project root first, so that `storage` (missing from a stale editable install) and
# `tests.pg` import when this file is run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measures import Measure, write_measures
from config.loader import Configuration, load_configuration
from jobs.planner import PlanReport, replan
from lifecycle import decisions
from lifecycle.agreement import Agreement
from lifecycle.cadence import expand
from lifecycle.facts import Fact
from lifecycle.ids import CaseId, VariationId
from lifecycle.messages import forget_series
from lifecycle.state import AgreementState, apply
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.store import SqlStore
from storage.tables import FactRecord, OutboxRecord

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
TEMPLATE = EXAMPLES / "nottinghamshire-healthy-families.toml"
SITE = EXAMPLES / "site.toml"
TEMPLATE_ID = "nottinghamshire-healthy-families"

UTC = dt.UTC
PLANNING_DAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 5, 0, tzinfo=UTC)
FACTS_FROM = dt.date(2024, 10, 1)  # the seed's term start: nothing can happen before it
FACTS_TO = PLANNING_DAY - dt.timedelta(days=1)
ACTOR = "bench"
PARTIES = ("ncc", "nhft")
MOVED_MEETING = "service-review"

GIB = 1024**3
UNCHANGED_RATIO = 5.0  # (b) must take under (a) / 5
ONE_CHANGE_SLACK_B = 1.5  # (c) <= 1.5 x (b) + 5 x (a)/N
ONE_CHANGE_SLACK_A = 5.0
PROGRESS_EVERY = 1000
# Issue 10's targets, at TARGET_N agreements.
TARGET_N = 10_000
FIRST_PLAN_S = 60.0
NEW_DAY_S = 30.0
QUICK_N = 40

# A dispute ladder in the style of Halton and St Helens' para 10.1, added to every copy so that
# procedure facts have something to start. The contact roles are the seed's own.
DISPUTE = """

# Added by bench/replan.py: the seed describes no dispute procedure.
[[procedures]]
id = "dispute"
title = "Dispute: escalation through the organisations"
clause = "bench"

[[procedures.steps]]
id = "managers"
title = "Commissioning and service managers try to resolve the dispute"
window = "10 operational days"
notify = ["contact-role:commissioning-manager", "contact-role:service-manager"]

[[procedures.steps]]
id = "directors"
title = "Escalate to the commissioning lead and the provider's director"
window = "20 operational days"
notify = ["contact-role:commissioning-lead", "contact-role:director"]

[[procedures.steps]]
id = "mediation"
title = "Refer the dispute to mediation"
notify = ["all"]
"""

T = TypeVar("T")


# --------------------------------------------------------------------------- output helpers


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def mib(size: float) -> str:
    return f"{size / 1024**2:.1f} MiB"


def verdict(ok: bool | str) -> str:
    """PASS/FAIL for a target; a string (SKIP, INFO) is shown as it is."""
    return ok if isinstance(ok, str) else "PASS" if ok else "FAIL"


class Progress:
    """Counts agreements for `replan(progress=...)` and logs every PROGRESS_EVERY."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.perf_counter()

    def __call__(self, step: int) -> None:
        self.done += step
        if self.done % PROGRESS_EVERY == 0 or self.done == self.total:
            elapsed = time.perf_counter() - self.started
            rate = self.done / elapsed if elapsed else 0.0
            log(
                f"  [{self.label}] {self.done}/{self.total} agreements, {elapsed:.1f}s"
                f" ({rate:.0f}/s)"
            )


def timed(action: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = action()
    return result, time.perf_counter() - began


@contextmanager
def profiled(title: str, sink: list[str]) -> Iterator[None]:
    """Run the block under cProfile and append the hottest functions to `sink`."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(r"(jobs|lifecycle|storage|config)/", 18)
        sink.append(f"cProfile: {title}\n{out.getvalue()}")


# --------------------------------------------------------------------------- configuration


def agreement_id(index: int) -> str:
    return f"notts-hf-{index:05d}"


def write_configuration(directory: Path, count: int) -> dict[str, Path]:
    """N copies of the seed, each with its own id and the dispute ladder; returns id -> file."""
    template = TEMPLATE.read_text(encoding="utf-8")
    id_line = re.compile(rf'^id = "{TEMPLATE_ID}"', re.MULTILINE)
    if len(id_line.findall(template)) != 1:
        raise SystemExit(f"cannot find the id line in {TEMPLATE}")
    shutil.copy(SITE, directory / SITE.name)
    files: dict[str, Path] = {}
    for index in range(count):
        aid = agreement_id(index)
        path = directory / f"{aid}.toml"
        path.write_text(id_line.sub(f'id = "{aid}"', template) + DISPUTE, encoding="utf-8")
        files[aid] = path
        if (index + 1) % (PROGRESS_EVERY * 5) == 0:
            log(f"  [generate] {index + 1}/{count} files")
    return files


def move_service_review(path: Path) -> str:
    """Change the Service Review's time from 10:00 to 10:30; returns the original text."""
    original = path.read_text(encoding="utf-8")
    block = re.compile(r'(id = "service-review".*?\ntime = )"10:00"', re.DOTALL)
    edited, count = block.subn(r'\1"10:30"', original, count=1)
    if count != 1:
        raise SystemExit(f"cannot find the Service Review time in {path}")
    path.write_text(edited, encoding="utf-8")
    return original


# --------------------------------------------------------------------------- facts


def days_after(day: dt.date, count: int) -> dt.date:
    return day + dt.timedelta(days=count)


def random_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return days_after(first, rng.randint(0, (last - first).days))


def facts_for(
    configuration: Configuration, agreement: Agreement, index: int, rng: random.Random
) -> list[Fact]:
    """This agreement's year of facts, each one decided (so checked) against the state so far."""
    calendar = configuration.calendar_for(agreement)
    state = AgreementState()
    facts: list[Fact] = []

    def record(fact: Fact) -> None:
        nonlocal state
        state = apply(state, fact)
        facts.append(fact)

    kind = index % 10
    if kind == 0:  # a dispute, closed a few weeks later (one in five still open)
        open_case = index % 50 == 0
        last_start = FACTS_TO if open_case else days_after(FACTS_TO, -45)
        started = random_day(rng, days_after(FACTS_TO, -20) if open_case else FACTS_FROM,
                             last_start)  # fmt: skip
        record(
            decisions.start_procedure(
                agreement, state, "dispute", rng.choice(PARTIES), started, "Invoice dispute"
            )
        )
        if not open_case:
            case = CaseId.parse(next(iter(state.cases)))
            closed = days_after(started, rng.randint(14, 42))
            record(decisions.close_case(agreement, state, case, closed, "Resolved by managers"))
    elif kind == 3:  # one Service Review, up to four months ahead, moved to the next afternoon
        meeting = next(m for m in agreement.meetings if m.id == MOVED_MEETING)
        on = random_day(rng, FACTS_FROM, FACTS_TO)
        ahead = expand(meeting.cadence, days_after(on, 1), days_after(on, 120), calendar)
        occurrence = rng.choice([item.date for item in ahead])
        zone = configuration.settings.timezone
        to = dt.datetime.combine(days_after(occurrence, 1), dt.time(14, 0), tzinfo=zone)
        record(
            decisions.move_meeting(agreement, state, calendar, MOVED_MEETING, occurrence, to, on)
        )
    elif kind == 6:  # a variation proposed, then signed by both (one in five still unsigned)
        unsigned = index % 50 == 6
        proposed = random_day(rng, FACTS_FROM, days_after(FACTS_TO, -30))
        record(decisions.propose_variation(agreement, state, proposed, "Revised KPI schedule"))
        variation = VariationId.parse(next(iter(state.variations)))
        signers = PARTIES[:1] if unsigned else PARTIES
        for offset, party in enumerate(signers, 1):
            signed = days_after(proposed, 7 * offset)
            record(decisions.sign_variation(agreement, state, variation, party, signed))
    return facts


def record_facts(configuration: Configuration, store: SqlStore, seed: int) -> int:
    rng = random.Random(seed)
    facts = [
        fact
        for index, agreement in enumerate(configuration.agreements)
        for fact in facts_for(configuration, agreement, index, rng)
    ]
    facts.sort(key=lambda fact: fact.on)  # recorded in the order they happened
    for done, fact in enumerate(facts, 1):
        at = dt.datetime.combine(fact.on, dt.time(12, 0), tzinfo=UTC)
        with store.unit(fact.agreement) as unit:
            unit.append_fact(fact, ACTOR, at)
        if done % (PROGRESS_EVERY * 2) == 0 or done == len(facts):
            log(f"  [facts] {done}/{len(facts)} recorded")
    return len(facts)


def count_rows(store: SqlStore, table: type[FactRecord] | type[OutboxRecord]) -> int:
    with Session(store.engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


# --------------------------------------------------------------------------- one database


@dataclass
class Run:
    """One replan call."""

    seconds: float
    report: PlanReport


@dataclass
class DbResult:
    name: str
    agreements: int
    migrate_s: float = 0.0
    facts: int = 0
    facts_s: float = 0.0
    full: Run | None = None
    unchanged: Run | None = None
    reload_s: float = 0.0
    one_change: Run | None = None
    new_day: Run | None = None
    outbox_rows: int = 0
    rss_after: int = 0
    skipped_reason: str = ""
    profiles: list[str] = field(default_factory=list)


def timed_replan(
    label: str,
    configuration: Configuration,
    store: SqlStore,
    profile: list[str] | None,
    days_later: int = 0,
) -> Run:
    total = len(configuration.agreements)
    log(f"  {label} ...")
    block: AbstractContextManager[None] = (
        profiled(label, profile) if profile is not None else nullcontext()
    )
    with block:
        report, seconds = timed(
            lambda: replan(
                configuration,
                store,
                PLANNING_DAY + dt.timedelta(days=days_later),
                NOW + dt.timedelta(days=days_later),
                progress=Progress(label, total),
            )
        )
    log(
        f"  {label}: {seconds:.2f}s, planned {report.planned}, skipped {report.skipped},"
        f" written {report.written}"
    )
    return Run(seconds, report)


def bench_database(
    name: str,
    url: str,
    configuration: Configuration,
    files: dict[str, Path],
    changed: str,
    seed: int,
    profile: bool,
) -> DbResult:
    result = DbResult(name, len(configuration.agreements))
    sink = result.profiles if profile else None
    forget_series()  # each database's first plan is cold, not helped by the one before it
    log(f"\n[{name}] {url}")
    engine = make_engine(url)
    try:
        store = SqlStore(engine)
        _, result.migrate_s = timed(lambda: upgrade(engine))
        log(f"  migrated in {result.migrate_s:.2f}s")
        result.facts, result.facts_s = timed(lambda: record_facts(configuration, store, seed))
        result.full = timed_replan("(a) full plan", configuration, store, sink)
        result.outbox_rows = count_rows(store, OutboxRecord)
        result.unchanged = timed_replan("(b) unchanged re-plan", configuration, store, sink)
        original = move_service_review(files[changed])
        try:
            reloaded, result.reload_s = timed(lambda: load_configuration(files[changed].parent))
            log(f"  reloaded the configuration in {result.reload_s:.2f}s")
            result.one_change = timed_replan("(c) one file changed", reloaded, store, sink)
        finally:
            files[changed].write_text(original, encoding="utf-8")
        result.new_day = timed_replan("(d) a new day", configuration, store, sink, days_later=1)
    finally:
        engine.dispose()
    result.rss_after = max_rss_bytes()
    return result


def bench_sqlite(
    configuration: Configuration,
    files: dict[str, Path],
    changed: str,
    seed: int,
    profile: bool,
) -> DbResult:
    with tempfile.TemporaryDirectory(prefix="concordat-bench-sqlite-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'concordat.db'}"
        return bench_database("sqlite", url, configuration, files, changed, seed, profile)


def bench_postgres(
    configuration: Configuration,
    files: dict[str, Path],
    changed: str,
    seed: int,
    profile: bool,
) -> DbResult:
    from tests.pg import cluster, find_bin

    if find_bin() is None:
        result = DbResult("postgres", len(configuration.agreements))
        result.skipped_reason = "PostgreSQL not installed (scripts/test.sh installs it)"
        return result
    with cluster() as url:
        return bench_database("postgres", url, configuration, files, changed, seed, profile)


# --------------------------------------------------------------------------- report


Row = tuple[str, str, str, bool | str]


def print_database(result: DbResult) -> list[Row]:
    name = result.name
    print(f"\n[{name}]")
    if result.skipped_reason:
        print(f"  skipped: {result.skipped_reason}")
        return [(f"{name}: all targets", "run", result.skipped_reason, "SKIP")]
    full, unchanged, one = result.full, result.unchanged, result.one_change
    assert full is not None
    assert unchanged is not None
    assert one is not None
    n = result.agreements
    per_agreement = full.seconds / n
    print(f"  migrate                      {result.migrate_s:8.2f} s")
    print(
        f"  record facts                 {result.facts_s:8.2f} s  {result.facts} facts,"
        f" {result.facts / result.facts_s:.0f} facts/s"
    )
    r = full.report
    print(
        f"  (a) full plan                {full.seconds:8.2f} s  {r.written} rows written"
        f" ({r.inserted} inserted), {r.written / full.seconds:.0f} rows/s,"
        f" {per_agreement * 1000:.2f} ms/agreement; outbox holds {result.outbox_rows} rows"
    )
    r = unchanged.report
    print(
        f"  (b) unchanged re-plan        {unchanged.seconds:8.2f} s  {r.written} rows written,"
        f" {r.planned} planned, {r.skipped} skipped; (a)/(b) = "
        f"{full.seconds / unchanged.seconds:.1f}x"
    )
    r = one.report
    extra = one.seconds - unchanged.seconds
    print(f"  reload configuration         {result.reload_s:8.2f} s  (before (c), not in it)")
    print(
        f"  (c) one file changed         {one.seconds:8.2f} s  {r.written} rows written"
        f" ({r.inserted} inserted, {r.updated} updated, {r.withdrawn} withdrawn),"
        f" {r.planned} planned, {r.skipped} skipped"
    )
    print(
        f"      (c) - (b) = {extra * 1000:.1f} ms against (a)/N = {per_agreement * 1000:.2f} ms"
        f" ({extra / per_agreement:.1f} agreements' worth)"
    )
    day = result.new_day
    assert day is not None
    r = day.report
    print(
        f"  (d) a new day's re-plan      {day.seconds:8.2f} s  {r.written} rows written"
        f" ({r.inserted} inserted, {r.updated} updated, {r.withdrawn} withdrawn),"
        f" {r.planned} planned, {r.skipped} skipped"
    )
    print(f"  ru_maxrss after this database {mib(result.rss_after)}")
    for text in result.profiles:
        print(f"\n{text}")

    unchanged_limit = full.seconds / UNCHANGED_RATIO
    one_limit = ONE_CHANGE_SLACK_B * unchanged.seconds + ONE_CHANGE_SLACK_A * per_agreement
    return [
        (f"{name}: (a) all planned", f"{n} planned, >0 rows",
         f"{full.report.planned} planned, {full.report.written} rows",
         full.report.planned == n and full.report.written > 0),
        (f"{name}: (a) outbox = rows written", f"{full.report.written}",
         f"{result.outbox_rows}", result.outbox_rows == full.report.written),
        (f"{name}: (b) rows written", "0", f"{unchanged.report.written}",
         unchanged.report.written == 0),
        (f"{name}: (b) all skipped", f"{n}", f"{unchanged.report.skipped}",
         unchanged.report.skipped == n),
        (f"{name}: (b) time", f"< (a)/5 = {unchanged_limit:.2f}s", f"{unchanged.seconds:.2f}s",
         unchanged.seconds < unchanged_limit),
        (f"{name}: (c) only the edited planned", "1 planned, >0 rows",
         f"{one.report.planned} planned, {one.report.written} rows",
         one.report.planned == 1 and one.report.written > 0),
        (f"{name}: (c) time", f"<= 1.5(b)+5(a)/N = {one_limit:.2f}s", f"{one.seconds:.2f}s",
         one.seconds <= one_limit),
        (f"{name}: (c) reload before re-plan", "none (not the planner's)",
         f"{result.reload_s:.2f}s", "INFO"),
        (f"{name}: (d) a new day, all planned", f"{n} planned",
         f"{day.report.planned} planned", day.report.planned == n),
    ]  # fmt: skip


def scaled(limit: float, count: int) -> float:
    """A target set at TARGET_N agreements, scaled to `count`."""
    return limit * count / TARGET_N


def measures_for(result: DbResult) -> list[Measure]:
    """The database's figures for `bench/run.py`: (a) and (d) against issue 10's limits,
    rows/s, and (b) and (c) against their own limits."""
    label = "SQLite" if result.name == "sqlite" else "PostgreSQL"
    n = result.agreements
    if result.skipped_reason:
        return [Measure("replan", f"first plan ({label})", 0.0, "s",
                        note=f"SKIP: {result.skipped_reason}")]  # fmt: skip
    full, unchanged, one, day = result.full, result.unchanged, result.one_change, result.new_day
    assert full is not None
    assert unchanged is not None
    assert one is not None
    assert day is not None
    scale = "" if n == TARGET_N else f"; limit scaled from N={TARGET_N}"
    one_limit = ONE_CHANGE_SLACK_B * unchanged.seconds + ONE_CHANGE_SLACK_A * full.seconds / n
    return [
        Measure("replan", f"first plan of {n} agreements ({label})", full.seconds, "s",
                target=scaled(FIRST_PLAN_S, n),
                note=f"{full.report.written} rows, {full.report.written / full.seconds:,.0f}"
                     f" rows/s{scale}"),
        Measure("replan", f"first plan write rate ({label})",
                full.report.written / full.seconds, "rows/s", note="planning included"),
        Measure("replan", f"a new day's re-plan of {n} ({label})", day.seconds, "s",
                target=scaled(NEW_DAY_S, n),
                note=f"{day.report.planned} planned, {day.report.written} rows written{scale}"),
        Measure("replan", f"unchanged re-plan vs first plan ({label})", unchanged.seconds, "s",
                peer=full.seconds, peer_name="first plan", target=1 / UNCHANGED_RATIO,
                target_on="ratio"),
        Measure("replan", f"one file changed ({label})", one.seconds, "s", target=one_limit,
                note="limit 1.5 x unchanged + 5 agreements' share of the first plan"),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agreements", type=int, default=10_000, metavar="N")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument(
        "--profile", action="store_true", help="run (a), (b), (c) under cProfile (use small N)"
    )
    parser.add_argument("--quick", action="store_true", help=f"N={QUICK_N}")
    parser.add_argument("--json", metavar="PATH", help="write the measures here")
    args = parser.parse_args(argv)
    count: int = QUICK_N if args.quick else args.agreements
    if count < 1:
        parser.error("--agreements must be at least 1")
    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)

    print(f"Concordat re-plan benchmark: {count} agreements, planning day {PLANNING_DAY}")
    print(f"Python {sys.version.split()[0]}, databases: {', '.join(databases)}")

    with tempfile.TemporaryDirectory(prefix="concordat-bench-config-") as tmp:
        directory = Path(tmp)
        files, generate_s = timed(lambda: write_configuration(directory, count))
        log(f"  wrote {count} agreement files in {generate_s:.2f}s")
        configuration, load_s = timed(lambda: load_configuration(directory))
        print(
            f"\nConfiguration: {count} files written in {generate_s:.2f} s, loaded in"
            f" {load_s:.2f} s ({load_s / count * 1000:.2f} ms/file)"
        )
        changed = agreement_id(count // 2)
        print(f"(c) edits {changed}: Service Review 10:00 -> 10:30")

        results: list[DbResult] = []
        for name in databases:
            bench = bench_sqlite if name == "sqlite" else bench_postgres
            results.append(bench(configuration, files, changed, args.seed, args.profile))

    rows: list[Row] = []
    for result in results:
        rows += print_database(result)
    rss = max_rss_bytes()
    print(f"\nMemory: process ru_maxrss (whole run) {mib(rss)}")
    rows.append(("process ru_maxrss", "<= 1 GiB", mib(rss), rss <= GIB))
    measures = [m for result in results for m in measures_for(result)]
    measures.append(Measure("replan", "ru_maxrss (whole run)", rss / 1024**2, "MiB",
                            target=GIB / 1024**2))  # fmt: skip
    write_measures(args.json, measures)

    print("\nSummary")
    print(f"  {'target':<38} {'goal':<30} {'measured':<28} result")
    for name, goal, measured, ok in rows:
        print(f"  {name:<38} {goal:<30} {measured:<28} {verdict(ok)}")
    return 0 if all(ok is not False for *_, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
