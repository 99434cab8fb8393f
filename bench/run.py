"""Run every benchmark and print one table: measure, figure, peer in the same run, ratio,
target, PASS or FAIL.

    python bench/run.py [--quick] [--only NAME ...] [--logs DIR]

Each benchmark is its own script (see bench/README.md for what each measures), started here
in turn, one at a time, with `--json` (and `--quick` when given), so that no two compete for
the machine's CPUs. Their own detailed output goes to a log file per benchmark (`--logs`,
default a temporary directory, printed at the end); progress goes to stderr. A script that
fails or writes no figures gives a FAIL row saying so, never a silent gap. The exit status is
0 only when no row fails.

`--quick` runs every benchmark at small sizes, for a look in under three minutes: its figures
are not the targets' (those are at 10,000 agreements), only a sign of which way things go.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measures import Measure, format_table, read_measures

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    """One benchmark script and the arguments it always runs with from here."""

    name: str
    script: str
    extra: tuple[str, ...] = ()


BENCHES = (
    Bench("startup", "startup.py"),
    Bench("plan_scale", "plan_scale.py"),
    Bench("outbox_write", "outbox_write.py"),
    Bench("replan", "replan.py"),
    Bench("reload", "reload.py"),
    Bench("feeds", "feeds.py"),
    Bench("dispatch", "dispatch.py"),
)


def run_one(bench: Bench, quick: bool, logs: Path) -> list[Measure]:
    """Run one benchmark script; its measures, or one FAIL row saying why there are none."""
    script = HERE / bench.script
    if not script.exists():
        return [_failure(bench, "the script is missing")]
    figures = logs / f"{bench.name}.json"
    command = [sys.executable, str(script), "--json", str(figures), *bench.extra]
    if quick:
        command.append("--quick")
    with (logs / f"{bench.name}.log").open("w", encoding="utf-8") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not figures.exists():
        return [_failure(bench, f"exit status {status.returncode}, no figures written")]
    measures = read_measures(figures)
    if not measures:
        return [_failure(bench, "no figures written")]
    return measures


def _failure(bench: Bench, why: str) -> Measure:
    """A row that fails on purpose, so a broken benchmark is never a silent gap."""
    return Measure(bench.name, "did not report", 0.0, "", target=0.0, comparison=">=",
                   note=why, target_on="ratio")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    logs = Path(args.logs or tempfile.mkdtemp(prefix="concordat-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    measures: list[Measure] = []
    started = time.perf_counter()
    for number, bench in enumerate(chosen, 1):
        print(f"[{number}/{len(chosen)}] {bench.name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        found = run_one(bench, args.quick, logs)
        measures += found
        failed = sum(m.verdict == "FAIL" for m in found)
        print(f"      {time.perf_counter() - began:.0f} s, {len(found)} figures, {failed} failing",
              file=sys.stderr, flush=True)  # fmt: skip
    print(format_table(measures))
    notes = [f"  {m.bench} / {m.name}: {m.note}" for m in measures if m.note]
    if notes:
        print("\nnotes:\n" + "\n".join(notes))
    failing = sum(m.verdict == "FAIL" for m in measures)
    print(f"\n{len(measures)} figures, {failing} failing; {time.perf_counter() - started:.0f} s; "
          f"{'quick sizes' if args.quick else 'full sizes'}; logs in {logs}")  # fmt: skip
    return 1 if failing else 0


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 3 minutes")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], metavar="NAME",
                        help="run only these: " + ", ".join(b.name for b in BENCHES))  # fmt: skip
    parser.add_argument("--logs", metavar="DIR", help="keep each benchmark's output here")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
