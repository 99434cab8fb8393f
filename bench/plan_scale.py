"""Scale benchmark of the date engine: planning many rich agreements, and operational days.

Run from the project root with the virtualenv active:

    python bench/plan_scale.py [--quick] [--json PATH] [--agreements N] [--years Y]
        [--queries M] [--rounds R] [--memory-agreements K] [--profile K]

It generates N agreements with the clocks of the richest seed (Nottinghamshire Healthy
Families: a term of up to nine years from 1 Oct 2024, a monthly Service Review, two quarterly
meetings, an annual board, a six-monthly review, a deadline a year after the start, notice to
a 31 March and a three-step dispute procedure), built directly as `lifecycle.agreement`
dataclasses, and measures:

1. `plan(...)` over a Y-year window from 1 Oct 2024, without and with reminders, counting
   occurrences rather than keeping them;
2. the raw `dateutil.rrule` expansion of the same rules over the same window, reusing each
   cadence's already-parsed rrule (`Cadence._parsed`, so parse cost is excluded on both sides:
   `plan` never parses either), and the ratios plan time / raw time (targets: <= 1.5x with
   reminders, <= 1.1x without). A second raw figure that re-parses every rule with `rrulestr`
   is printed for information only;
3. `OperationalCalendar.add` against `numpy.busday_offset` called once per date, and checks
   that the two agree on every query once our day-0 convention is mapped onto numpy's rolls
   (for information);
4. peak memory against 1 GiB: tracemalloc (in a forked child, so it does not slow or bloat the
   timed runs) over generating all N agreements and planning the first K with reminders, and
   this process's ru_maxrss over the untraced runs.

`--quick` (400 agreements, a 3-year window, 20,000 queries, no tracemalloc child, 3 rounds)
takes a few seconds; `--json PATH` writes the figures as `bench.measures.Measure` rows for
`bench/run.py`. Progress goes to stderr; results and a PASS/FAIL summary go to stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import multiprocessing
import os
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

# The project root first, so that the project's packages import when this runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import numpy.typing as npt
from dateutil.rrule import rrulestr

from bench.measures import Measure, write_measures
from lifecycle.agreement import (
    Agreement,
    AgreementKind,
    Contact,
    Deadline,
    Meeting,
    Party,
    Procedure,
    Review,
    Step,
    Term,
)
from lifecycle.bank_holidays import england_bank_holidays
from lifecycle.cadence import Cadence, Policy, friendly_to_rrule
from lifecycle.calendar import OperationalCalendar
from lifecycle.notice import NoticeRule
from lifecycle.periods import Period, Unit, term_end
from lifecycle.timeline import PlanSettings, plan

BENCH = "plan_scale"
GIB = 1024**3
SEED_START = dt.date(2024, 10, 1)
FULL_RATIO_TARGET = 1.5  # plan with reminders / raw rrule (issue 10, item 4)
BARE_RATIO_TARGET = 1.1  # plan without reminders / raw rrule
FULL = {
    "agreements": 10_000, "years": 10, "queries": 200_000, "memory_agreements": 500, "rounds": 2,
}  # fmt: skip
QUICK = {
    "agreements": 400, "years": 3, "queries": 20_000, "memory_agreements": 0, "rounds": 3,
}  # fmt: skip
PROGRESS_EVERY = 1000

# The seed's clocks, varied a little per agreement so the work is not trivially identical.
MONTHLY_DAYS = ("second Tuesday", "second Tuesday", "second Wednesday", "first Tuesday")
QUARTERLY_DAYS = ("first Thursday", "third Thursday", "last Friday")
BOARD_DAYS = ("last Wednesday", "third Wednesday")


def days(amount: int) -> Period:
    return Period(amount, Unit.DAYS)


def op_days(amount: int) -> Period:
    return Period(amount, Unit.OPERATIONAL_DAYS)


def weeks(amount: int) -> Period:
    return Period(amount, Unit.WEEKS)


def months(amount: int) -> Period:
    return Period(amount, Unit.MONTHS)


def years(amount: int) -> Period:
    return Period(amount, Unit.YEARS)


SETTINGS = PlanSettings(
    timezone=ZoneInfo("Europe/London"),
    send_time=dt.time(9, 0),
    meeting_reminders=(op_days(5), days(1)),
    review_reminders=(months(1), weeks(2)),
    deadline_reminders=(months(3), months(1), op_days(5)),
    term_reminders=(months(12), months(6)),
    notice_reminders=(months(2), weeks(2)),
)


# --------------------------------------------------------------------------- generation


def make_agreement(index: int, rng: random.Random) -> Agreement:
    """One agreement with the seed's clocks, its start moved by up to 60 days."""
    start = SEED_START + dt.timedelta(days=rng.randrange(0, 61))
    term = Term(start, term_end(start, years(9)), up_to=True, clause="2.1")
    aid = f"notts-healthy-families-{index:06d}"

    def cadence(frequency: str, day: str | None, policy: Policy) -> Cadence:
        return Cadence(friendly_to_rrule(frequency, day, start), start, policy)

    council, icb = "council", "icb"
    parties = (
        Party(
            council,
            "Nottinghamshire County Council",
            ("lead commissioner",),
            (
                Contact(f"{aid}-c1", "Lead Commissioner", "lead@notts.example", "lead", council),
                Contact(
                    f"{aid}-c2", "Finance Officer", "finance@notts.example", "finance", council
                ),
            ),
        ),
        Party(
            icb,
            "NHS Nottingham and Nottinghamshire ICB",
            ("partner",),
            (
                Contact(f"{aid}-i1", "Head of Children's", "head@icb.example", "lead", icb),
                Contact(
                    f"{aid}-i2", "Contracts Manager", "contracts@icb.example", "contracts", icb
                ),
            ),
        ),
    )
    meetings = (
        Meeting(
            "service-review",
            "Service Review meeting",
            cadence("monthly", rng.choice(MONTHLY_DAYS), Policy.NEXT),
            dt.time(10, 0),
            dt.timedelta(minutes=90),
            "County Hall",
            clause="8.2",
        ),
        Meeting(
            "performance",
            "Quarterly Performance meeting",
            cadence("quarterly", rng.choice(QUARTERLY_DAYS), Policy.NEXT),
            dt.time(14, 0),
            clause="8.3",
        ),
        Meeting(
            "finance",
            "Quarterly Finance meeting",
            cadence("quarterly", None, Policy.PREVIOUS),
            dt.time(11, 0),
            attendees=("contact-role:finance", "contact-role:contracts"),
            clause="8.4",
        ),
        Meeting(
            "board",
            "Annual Partnership Board",
            cadence("annually", rng.choice(BOARD_DAYS), Policy.KEEP),
            dt.time(13, 0),
            dt.timedelta(hours=2),
            clause="8.1",
        ),
    )
    reviews = (
        Review(
            "six-monthly",
            "Six-monthly review of the pooled fund",
            cadence("six-monthly", None, Policy.NEXT),
            clause="9.1",
        ),
    )
    deadlines = (
        Deadline("first-year", "First-year review of the agreement", years(1).after(start)),
    )
    dispute = Procedure(
        "dispute",
        "Dispute resolution",
        (
            Step("leads", "Operational leads meet", op_days(10)),
            Step("directors", "Directors meet", op_days(20)),
            Step("chiefs", "Chief executives meet", op_days(20)),
        ),
        clause="20",
    )
    return Agreement(
        id=aid,
        title=f"Healthy Families Programme {index}",
        kind=AgreementKind.SECTION_75,
        binding=True,
        parties=parties,
        term=term,
        notice=NoticeRule(months(6), fy_end=True, clause="23.1"),
        meetings=meetings,
        reviews=reviews,
        deadlines=deadlines,
        procedures=(dispute,),
    )


def generate(count: int, seed: int) -> list[Agreement]:
    rng = random.Random(seed)
    return [make_agreement(index, rng) for index in range(count)]


def cadences_of(agreement: Agreement) -> list[Cadence]:
    return [m.cadence for m in agreement.meetings] + [r.cadence for r in agreement.reviews]


# --------------------------------------------------------------------------- timing helpers


def progress(label: str, done: int, total: int, started: float) -> None:
    if done % PROGRESS_EVERY == 0 or done == total:
        elapsed = time.perf_counter() - started
        print(f"  [{label}] {done}/{total} agreements, {elapsed:.1f}s", file=sys.stderr)


@dataclass(frozen=True)
class PlanRun:
    label: str
    seconds: float
    occurrences: int
    agreements: int


def time_plan(
    label: str,
    agreements: Sequence[Agreement],
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    *,
    reminders: bool,
) -> PlanRun:
    total = 0
    started = time.perf_counter()
    for done, agreement in enumerate(agreements, 1):
        total += len(plan(agreement, calendar, SETTINGS, first, last, reminders=reminders))
        progress(label, done, len(agreements), started)
    return PlanRun(label, time.perf_counter() - started, total, len(agreements))


def raw_rrule_count(
    agreement: Agreement, start: dt.datetime, end: dt.datetime, *, parse: bool
) -> int:
    """Rule dates of every cadence in the window; with `parse`, re-parse each rule first."""
    total = 0
    for cadence in cadences_of(agreement):
        if parse:
            rule = rrulestr(cadence.rule, dtstart=dt.datetime.combine(cadence.anchor, dt.time()))
        else:
            rule = cadence._parsed
        total += len(rule.between(start, end, inc=True))
    return total


def time_interleaved(
    agreements: Sequence[Agreement],
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    rounds: int = 1,
) -> tuple[PlanRun, PlanRun, PlanRun, PlanRun]:
    """Plan (without, with reminders) and raw rrule (pre-parsed, re-parsed), per agreement.

    The four measurements alternate agreement by agreement, so a change in the machine's load
    during the run affects all of them alike and the ratios stay meaningful. With `rounds`
    above 1 every agreement is timed that many times and its fastest time of each kind counts:
    a measurement takes about a millisecond, so one preemption by another process can double
    it, and the minimum drops such hits from plan and peer alike.
    """
    start = dt.datetime.combine(first, dt.time())
    end = dt.datetime.combine(last, dt.time())
    clock = time.perf_counter
    best = [[float("inf")] * 4 for _ in agreements]
    counts = [0, 0, 0, 0]
    began = clock()
    for round_number in range(rounds):
        for done, (agreement, fastest) in enumerate(zip(agreements, best, strict=True), 1):
            t0 = clock()
            bare = len(plan(agreement, calendar, SETTINGS, first, last, reminders=False))
            t1 = clock()
            full = len(plan(agreement, calendar, SETTINGS, first, last, reminders=True))
            t2 = clock()
            raw = raw_rrule_count(agreement, start, end, parse=False)
            t3 = clock()
            parsed = raw_rrule_count(agreement, start, end, parse=True)
            t4 = clock()
            for kind, spent in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                fastest[kind] = min(fastest[kind], spent)
            if round_number == 0:
                for kind, found in enumerate((bare, full, raw, parsed)):
                    counts[kind] += found
            progress(f"plan and raw rrule, round {round_number + 1}", done, len(best), began)
    seconds = [sum(fastest[kind] for fastest in best) for kind in range(4)]
    labels = (
        "plan, no reminders",
        "plan, with reminders",
        "raw rrule.between (pre-parsed)",
        "raw rrulestr + between (parse)",
    )
    bare_run, full_run, raw_run, parsed_run = (
        PlanRun(label, seconds[i], counts[i], len(agreements)) for i, label in enumerate(labels)
    )
    return bare_run, full_run, raw_run, parsed_run


def print_run(run: PlanRun) -> None:
    print(
        f"  {run.label:<34} {run.seconds:8.2f} s  {run.agreements / run.seconds:9.0f} agreements/s"
        f"  {run.occurrences / run.seconds:11.0f} occurrences/s  {run.occurrences:>10} occurrences"
    )


# --------------------------------------------------------------------------- operational days


@dataclass(frozen=True)
class DayArithmetic:
    ours_us: float
    numpy_holidays_us: float
    numpy_busdaycal_us: float
    numpy_vector_us: float
    sample: int
    sample_agree_holidays: int
    sample_agree_busdaycal: int
    all_agree: int
    naive_agree: int
    queries: int


def day_arithmetic(calendar: OperationalCalendar, queries: int, seed: int) -> DayArithmetic:
    """calendar.add(d, n) against numpy.busday_offset, per call and vectorised.

    Our convention: `d` is day 0 whether or not it is operational; n > 0 is the n-th
    operational day strictly after d, n < 0 the |n|-th strictly before it, n == 0 is d itself.
    numpy first rolls a non-business d, then counts from the rolled day, so:
      n > 0: roll="backward" (to the last operational day <= d; none lies between it and d,
             so counting n from there is counting n strictly after d);
      n < 0: roll="forward" (symmetrically);
      n == 0: d itself, which no roll can give for a non-operational d, so no numpy call.
    """
    rng = random.Random(seed)
    lo, hi = dt.date(2000, 1, 1).toordinal(), dt.date(2090, 12, 31).toordinal()
    dates = [dt.date.fromordinal(rng.randint(lo, hi)) for _ in range(queries)]
    counts = [rng.randint(-60, 60) for _ in range(queries)]
    dates64: npt.NDArray[np.datetime64] = np.array(dates, dtype="datetime64[D]")
    scalars = list(dates64)  # numpy's natural per-call input, converted outside the timing
    holidays = np.array(sorted(calendar.closed), dtype="datetime64[D]")
    busdaycal = np.busdaycalendar(holidays=holidays)
    offset = np.busday_offset

    add = calendar.add
    began = time.perf_counter()
    ours = [add(d, n) for d, n in zip(dates, counts, strict=True)]
    ours_s = time.perf_counter() - began
    print(f"  calendar.add: {ours_s:.2f}s", file=sys.stderr)

    began = time.perf_counter()
    by_busdaycal = [
        d if n == 0 else offset(d, n, "backward" if n > 0 else "forward", busdaycal=busdaycal)
        for d, n in zip(scalars, counts, strict=True)
    ]
    busdaycal_s = time.perf_counter() - began
    print(f"  numpy per date (busdaycal): {busdaycal_s:.2f}s", file=sys.stderr)

    began = time.perf_counter()
    by_holidays = [
        d if n == 0 else offset(d, n, "backward" if n > 0 else "forward", holidays=holidays)
        for d, n in zip(scalars, counts, strict=True)
    ]
    holidays_s = time.perf_counter() - began
    print(f"  numpy per date (holidays=): {holidays_s:.2f}s", file=sys.stderr)

    counts_arr = np.array(counts)
    began = time.perf_counter()
    vector = dates64.copy()
    forward, backward = counts_arr > 0, counts_arr < 0
    vector[forward] = offset(
        dates64[forward], counts_arr[forward], roll="backward", busdaycal=busdaycal
    )
    vector[backward] = offset(
        dates64[backward], counts_arr[backward], roll="forward", busdaycal=busdaycal
    )
    vector_s = time.perf_counter() - began

    ours64 = np.array(ours, dtype="datetime64[D]")
    naive = dates64.copy()
    moved = counts_arr != 0
    naive[moved] = offset(dates64[moved], counts_arr[moved], roll="forward", busdaycal=busdaycal)

    sample = min(queries, 20_000)
    picks = random.Random(seed + 1).sample(range(queries), sample)
    return DayArithmetic(
        ours_us=ours_s / queries * 1e6,
        numpy_holidays_us=holidays_s / queries * 1e6,
        numpy_busdaycal_us=busdaycal_s / queries * 1e6,
        numpy_vector_us=vector_s / queries * 1e6,
        sample=sample,
        sample_agree_holidays=sum(1 for i in picks if by_holidays[i] == ours64[i]),
        sample_agree_busdaycal=sum(1 for i in picks if by_busdaycal[i] == ours64[i]),
        all_agree=int((vector == ours64).sum()),
        naive_agree=int((naive == ours64).sum()),
        queries=queries,
    )


# --------------------------------------------------------------------------- memory


def max_rss_bytes(who: int = resource.RUSAGE_SELF) -> int:
    rss = resource.getrusage(who).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


@dataclass(frozen=True)
class Memory:
    held: int
    peak: int
    planned: int
    seconds: float


def measure_memory(count: int, planned: int, seed: int, first: dt.date, last: dt.date) -> Memory:
    """In a fresh child: trace generating `count` agreements, then planning `planned` of them.

    Planning streams, so its working set does not grow with `planned`; the peak is the
    agreements held plus the largest single plan.
    """
    calendar = OperationalCalendar.build(1990, 2100, england_bank_holidays(1990, 2100))
    tracemalloc.start()
    agreements = generate(count, seed)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    run = time_plan("traced plan", agreements[:planned], calendar, first, last, reminders=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Memory(held, peak, planned, run.seconds)


def mib(size: float) -> str:
    return f"{size / 1024**2:.1f} MiB"


# --------------------------------------------------------------------------- profile


def profile_plan(
    agreements: Sequence[Agreement],
    calendar: OperationalCalendar,
    first: dt.date,
    last: dt.date,
    *,
    reminders: bool,
) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for agreement in agreements:
        plan(agreement, calendar, SETTINGS, first, last, reminders=reminders)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(r"lifecycle", 12)
    return out.getvalue()


# --------------------------------------------------------------------------- main


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    cpus = os.cpu_count() or 1
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {cpus} CPUs"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agreements", type=int, default=None, metavar="N")
    parser.add_argument("--years", type=int, default=None, metavar="Y", help="window length")
    parser.add_argument("--queries", type=int, default=None, metavar="M")
    parser.add_argument(
        "--memory-agreements",
        type=int,
        default=None,
        metavar="K",
        help="agreements planned under tracemalloc, which slows planning ~7x (default: 500;"
        " 0 skips the traced child)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="K", help="cProfile plan() for K agreements"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        metavar="R",
        help="time each agreement R times and keep its fastest (default 2; 3 with --quick)",
    )
    parser.add_argument("--seed", type=int, default=20241001)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"small defaults: {QUICK['agreements']} agreements, {QUICK['years']}-year window,"
        f" {QUICK['queries']} queries, no traced child",
    )
    parser.add_argument("--json", metavar="PATH", help="write the measures there for bench/run.py")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    count: int = args.agreements
    first = SEED_START
    last = dt.date(SEED_START.year + args.years, 9, 30)
    memory_count = min(count, args.memory_agreements)

    print(f"Concordat plan scale benchmark: {count} agreements, window {first} to {last}")
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, {load_average()}")
    run_began = time.perf_counter()

    began = time.perf_counter()
    calendar = OperationalCalendar.build(1990, 2100, england_bank_holidays(1990, 2100))
    print(f"\nCalendar 1990-2100 built in {time.perf_counter() - began:.2f} s")

    memory: Memory | None = None
    if memory_count:
        # tracemalloc runs in a forked child, so that its bookkeeping (and its ~7x slowdown)
        # stays out of this process's timings and ru_maxrss.
        print(f"Measuring memory in a child process ({memory_count} agreements planned)...")
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            job = pool.submit(measure_memory, count, memory_count, args.seed, first, last)
            memory = job.result()
    child_rss = max_rss_bytes(resource.RUSAGE_CHILDREN)

    began = time.perf_counter()
    agreements = generate(count, args.seed)
    print(
        f"Generated {count} agreements in {time.perf_counter() - began:.2f} s, "
        f"{len(cadences_of(agreements[0]))} cadences each"
    )

    print(
        "\nPlanning (streaming: occurrences counted, not kept; the four runs interleaved;"
        f" fastest of {args.rounds} round(s) per agreement)"
    )
    bare, full, raw, parsed = time_interleaved(agreements, calendar, first, last, args.rounds)
    for run in (bare, full, raw, parsed):
        print_run(run)
    bare_ratio, full_ratio = bare.seconds / raw.seconds, full.seconds / raw.seconds
    print(
        f"  per agreement: {bare.occurrences / count:.1f} occurrences without reminders, "
        f"{full.occurrences / count:.1f} with; raw rule dates {raw.occurrences / count:.1f}"
    )
    print(f"  ratio plan / raw rrule (pre-parsed), no reminders:   {bare_ratio:.2f}x")
    print(f"  ratio plan / raw rrule (pre-parsed), with reminders: {full_ratio:.2f}x")
    print(
        f"  (for information, against re-parsing raw: {bare.seconds / parsed.seconds:.2f}x"
        f" and {full.seconds / parsed.seconds:.2f}x)"
    )

    print(f"\nOperational-day arithmetic ({args.queries} queries, d in 2000..2090, n in -60..60)")
    arith = day_arithmetic(calendar, args.queries, args.seed + 7)
    print_arithmetic(arith)

    rss = max_rss_bytes()
    print_memory(count, memory, rss, child_rss)

    for reminders in (False, True) if args.profile else ():
        print(f"\ncProfile of plan(reminders={reminders}) for {args.profile} agreements")
        print(profile_plan(agreements[: args.profile], calendar, first, last, reminders=reminders))

    write_measures(args.json, measures(bare, full, raw, arith, memory, rss))
    rows = summary_rows(bare_ratio, full_ratio, arith, memory, rss)
    print(
        f"\nWall time of the whole run: {time.perf_counter() - run_began:.1f} s; {load_average()}"
    )
    print("\nSummary")
    print(f"  {'target':<36} {'goal':<14} {'measured':<24} result")
    for name, goal, measured, ok in rows:
        print(f"  {name:<36} {goal:<14} {measured:<24} {verdict(ok)}")
    return 0 if all(ok for *_, ok in rows) else 1


def print_arithmetic(arith: DayArithmetic) -> None:
    print(f"  calendar.add(d, n)                            {arith.ours_us:8.3f} µs/call")
    print(f"  numpy.busday_offset per date, holidays=array  {arith.numpy_holidays_us:8.3f} µs/call")
    print(
        f"  numpy.busday_offset per date, busdaycal=      {arith.numpy_busdaycal_us:8.3f} µs/call"
    )
    print(f"  numpy.busday_offset vectorised (2 calls)      {arith.numpy_vector_us:8.3f} µs/date")
    holidays_ratio = arith.ours_us / arith.numpy_holidays_us
    busdaycal_ratio = arith.ours_us / arith.numpy_busdaycal_us
    print(f"  ours / numpy per date: {holidays_ratio:.3f} (holidays=), {busdaycal_ratio:.3f} (cal)")
    print(
        "  mapping: n>0 -> roll='backward', n<0 -> roll='forward', n==0 -> d (no numpy call)\n"
        f"  agreement: sample {arith.sample_agree_holidays}/{arith.sample} (per call, holidays=),"
        f" {arith.sample_agree_busdaycal}/{arith.sample} (per call, busdaycal=),"
        f" all {arith.all_agree}/{arith.queries} (vectorised)\n"
        f"  (a naive roll='forward' for every n would agree on {arith.naive_agree}/"
        f"{arith.queries})"
    )


def print_memory(count: int, memory: Memory | None, rss: int, child_rss: int) -> None:
    print("\nMemory")
    if memory is not None:
        print(f"  {count} agreements held (tracemalloc, child):   {mib(memory.held)}")
        print(
            f"  tracemalloc peak while planning {memory.planned} of them with reminders, all"
            f" {count} held: {mib(memory.peak)} (working set {mib(memory.peak - memory.held)};"
            f" {memory.seconds:.1f} s under tracemalloc)"
        )
        print(f"  ru_maxrss, tracemalloc child (for information):  {mib(child_rss)}")
    else:
        print("  (no tracemalloc child: --memory-agreements 0 or --quick)")
    print(f"  ru_maxrss, this process (untraced timing runs): {mib(rss)}")


def measures(
    bare: PlanRun,
    full: PlanRun,
    raw: PlanRun,
    arith: DayArithmetic,
    memory: Memory | None,
    rss: int,
) -> list[Measure]:
    """The figures for bench/run.py: the two expansion ratios against their targets, the
    operational-day arithmetic beside numpy for information, memory against 1 GiB."""
    window = f"{bare.agreements} agreements"
    rows = [
        Measure(BENCH, "plan with reminders vs raw rrule", full.seconds, "s", raw.seconds,
                "raw rrule.between", target=FULL_RATIO_TARGET, target_on="ratio", note=window),
        Measure(BENCH, "plan without reminders vs raw rrule", bare.seconds, "s", raw.seconds,
                "raw rrule.between", target=BARE_RATIO_TARGET, target_on="ratio", note=window),
        Measure(BENCH, "operational day per call vs numpy", arith.ours_us, "µs",
                arith.numpy_busdaycal_us, "busday_offset per call (busdaycal)",
                note=f"all agree: {arith.all_agree == arith.queries}"),
        Measure(BENCH, "operational day per call vs numpy vectorised", arith.ours_us, "µs",
                arith.numpy_vector_us, "busday_offset over an array"),
        Measure(BENCH, "memory (ru_maxrss)", rss / 1024**2, "MiB", target=GIB / 1024**2),
    ]  # fmt: skip
    if memory is not None:
        rows.append(
            Measure(BENCH, "memory (tracemalloc peak, planning)", memory.peak / 1024**2, "MiB",
                    target=GIB / 1024**2, note=f"{memory.planned} planned, all held")
        )  # fmt: skip
    return rows


def summary_rows(
    bare_ratio: float, full_ratio: float, arith: DayArithmetic, memory: Memory | None, rss: int
) -> list[tuple[str, str, str, bool]]:
    arith_ok = arith.sample_agree_holidays == arith.sample_agree_busdaycal == arith.sample
    rows = [
        ("plan/raw rrule, no reminders", f"<= {BARE_RATIO_TARGET}x", f"{bare_ratio:.2f}x",
         bare_ratio <= BARE_RATIO_TARGET),
        ("plan/raw rrule, with reminders", f"<= {FULL_RATIO_TARGET}x", f"{full_ratio:.2f}x",
         full_ratio <= FULL_RATIO_TARGET),
        ("add agrees with numpy", "all agree",
         f"{arith.all_agree}/{arith.queries}, sample {'ok' if arith_ok else 'MISMATCH'}",
         arith_ok and arith.all_agree == arith.queries),
        ("process ru_maxrss", "<= 1 GiB", mib(rss), rss <= GIB),
    ]  # fmt: skip
    if memory is not None:
        rows.append(
            ("tracemalloc peak (planning)", "<= 1 GiB", mib(memory.peak), memory.peak <= GIB)
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
