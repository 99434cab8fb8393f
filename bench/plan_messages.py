"""Benchmark of planning alone (no database): `jobs.planner.plan_agreement` for N copies of the
richest seed into an empty in-memory outbox, with the site's send horizon and with a send
horizon that covers everything (the outbox as it was before issue 10), interleaved.

Run from the project root with the virtualenv active:

    python bench/plan_messages.py [--agreements N] [--quick] [--json PATH] [--profile]

Reports rows per agreement and milliseconds per agreement for each, and the time of the
timeline expansion alone (`lifecycle.timeline.plan` with reminders over the same window) as
the peer: what building the messages and reconciling them adds on top of expanding the dates.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measures import Measure, write_measures
from config.loader import Configuration, load_configuration
from jobs.memory import MemoryStore
from jobs.planner import DEFAULT_HORIZON_DAYS, plan_agreement, with_send_horizon
from lifecycle.agreement import Agreement
from lifecycle.messages import forget_series
from lifecycle.timeline import plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
TEMPLATE = EXAMPLES / "nottinghamshire-healthy-families.toml"
TEMPLATE_ID = "nottinghamshire-healthy-families"
TODAY = dt.date(2025, 6, 2)
BENCH = "plan_messages"


def write_configuration(directory: Path, count: int) -> None:
    """N copies of the seed, each with its own id, beside the examples' site.toml."""
    template = TEMPLATE.read_text(encoding="utf-8")
    id_line = re.compile(rf'^id = "{TEMPLATE_ID}"', re.MULTILINE)
    (directory / "site.toml").write_bytes((EXAMPLES / "site.toml").read_bytes())
    for index in range(count):
        aid = f"notts-hf-{index:05d}"
        text = id_line.sub(f'id = "{aid}"', template)
        (directory / f"{aid}.toml").write_text(text, encoding="utf-8")


def plan_one(configuration: Configuration, agreement: Agreement, cold: bool = True) -> int:
    """Plan one agreement into an empty outbox (`cold`: its meeting series not remembered
    from an earlier plan, as in a first plan); the rows it would insert."""
    if cold:
        forget_series()
    store = MemoryStore()
    with store.unit(agreement.id) as unit:
        changes = plan_agreement(configuration, unit, agreement, [], TODAY, DEFAULT_HORIZON_DAYS)
    return len(changes.inserts)


def next_day(configuration: Configuration, agreements: Sequence[Agreement]) -> tuple[float, int]:
    """A new day's re-plan of each agreement over the outbox its first plan wrote, the series
    remembered as the service remembers them: seconds, and rows written."""
    stores = []
    for agreement in agreements:
        store = MemoryStore()
        with store.unit(agreement.id) as unit:
            changes = plan_agreement(
                configuration, unit, agreement, [], TODAY, DEFAULT_HORIZON_DAYS
            )
            unit.apply_plan(changes, "", "bench", dt.datetime.now(dt.UTC))
        stores.append(store)
    seconds, written = 0.0, 0
    tomorrow = TODAY + dt.timedelta(days=1)
    for agreement, store in zip(agreements, stores, strict=True):
        started = time.perf_counter()
        with store.unit(agreement.id) as unit:
            changes = plan_agreement(
                configuration, unit, agreement, [], tomorrow, DEFAULT_HORIZON_DAYS
            )
        seconds += time.perf_counter() - started
        written += changes.count
    return seconds, written


def expand_one(configuration: Configuration, agreement: Agreement) -> int:
    """The timeline expansion alone, with reminders, over the planner's window."""
    calendar = configuration.calendar_for(agreement)
    last = TODAY + dt.timedelta(days=DEFAULT_HORIZON_DAYS)
    settings = configuration.settings
    return len(plan(agreement, calendar, settings, TODAY, last, reminders=True))


def interleaved(
    runs: dict[str, Callable[[Agreement], int]], agreements: Sequence[Agreement]
) -> dict[str, tuple[float, int]]:
    """Seconds and total count per run, alternating runs agreement by agreement."""
    seconds = dict.fromkeys(runs, 0.0)
    counts = dict.fromkeys(runs, 0)
    for agreement in agreements:
        for name, run in runs.items():
            started = time.perf_counter()
            counts[name] += run(agreement)
            seconds[name] += time.perf_counter() - started
    return {name: (seconds[name], counts[name]) for name in runs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agreements", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 agreements")
    parser.add_argument("--json", default=None, help="write the measures here")
    parser.add_argument("--profile", action="store_true", help="cProfile the full plan")
    args = parser.parse_args(argv)
    count = 200 if args.quick else args.agreements
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        write_configuration(directory, count)
        site = load_configuration(directory)
    full = with_send_horizon(site, None)
    agreements = site.agreements
    runs: dict[str, Callable[[Agreement], int]] = {
        "send horizon": lambda a: plan_one(site, a),
        "everything": lambda a: plan_one(full, a),
        "expansion": lambda a: expand_one(site, a),
    }
    interleaved(runs, agreements[: min(20, count)])  # warm the caches
    results = interleaved(runs, agreements)
    results["next day"] = next_day(site, agreements)
    horizon = site.site.plan.send_horizon_days
    for name, (seconds, rows) in results.items():
        what = {"expansion": "occurrences", "next day": "rows written"}.get(name, "rows")
        print(
            f"{name:>13}: {1000 * seconds / count:7.2f} ms/agreement, "
            f"{rows / count:7.1f} {what}/agreement ({count} agreements, send horizon {horizon})"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [plan_one(full, a) for a in agreements])
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    expansion = results["expansion"][0]
    measures = [
        Measure(BENCH, f"plan, send horizon {horizon} d (ms/agreement)",
                1000 * results["send horizon"][0] / count, "ms",
                1000 * expansion / count, "timeline expansion alone"),
        Measure(BENCH, "plan, everything (ms/agreement)",
                1000 * results["everything"][0] / count, "ms",
                1000 * expansion / count, "timeline expansion alone"),
        Measure(BENCH, "new day's re-plan (ms/agreement)",
                1000 * results["next day"][0] / count, "ms",
                1000 * expansion / count, "timeline expansion alone",
                note="series remembered from the first plan, as in the service"),
        Measure(BENCH, f"rows/agreement, send horizon {horizon} d",
                results["send horizon"][1] / count, "rows",
                results["everything"][1] / count, "everything"),
    ]  # fmt: skip
    write_measures(args.json, measures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
