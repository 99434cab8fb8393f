"""Startup: wall-clock time of the everyday commands, beside `python -c "import lifecycle"`.

An administrator runs `concordat --help`, `calc`, `validate` and `plan` many times a day;
each is a fresh interpreter, so what it imports and builds before answering is the cost
(issue 10, item 1). Every command is run as a subprocess from the repository, the examples as
its configuration and no database; each run of a command is paired with a run of the peer,
`python -c "import lifecycle"` (the interpreter and the pure core, nothing else), just before
it, so a change in the machine's load hits both alike.

Before measuring, the project's modules are compiled to bytecode (as an installed package
is: this environment may set PYTHONDONTWRITEBYTECODE, which would otherwise make every run
compile every module again) and the bank-holiday cache is filled by one run; the cold-cache
figure (the `holidays` package computing 111 years) is printed for information.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measures import Measure, format_table, write_measures

ROOT = Path(__file__).resolve().parents[1]
BENCH = "startup"
TARGET_S = 0.35
PACKAGES = ("concordat", "config", "jobs", "lifecycle", "notifications", "storage")
PEER = ("-c", "import lifecycle")
PEER_NAME = "import lifecycle"
EXAMPLES = "config/examples"
COMMANDS: Mapping[str, tuple[str, ...]] = {
    "concordat --help": ("--help",),
    "calc opdays 2022-09-12 20": ("calc", "opdays", "2022-09-12", "20"),
    "validate (examples)": ("validate", "--config", EXAMPLES),
    "plan (examples, a year)": (
        "plan", "--config", EXAMPLES, "--from", "2024-01-01", "--to", "2024-12-31",
    ),
}  # fmt: skip


def wall(args: Sequence[str], env: Mapping[str, str]) -> float:
    """Seconds one run of `python ARGS` takes, start to exit; it must succeed."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def environment(cache: Path) -> dict[str, str]:
    """The environment every run gets: a bank-holiday cache of the benchmark's own, and no
    database or configuration named by the caller's environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONCORDAT_DB", "CONCORDAT_CONFIG")}
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def measure(runs: int, env: Mapping[str, str]) -> list[Measure]:
    """Median wall time of each command over `runs` runs, each run right after one of the
    peer, round by round across the commands."""
    figures: dict[str, list[float]] = {name: [] for name in COMMANDS}
    peers: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            peers[name].append(wall(PEER, env))
            figures[name].append(wall(("-m", "concordat", *args), env))
    measures = []
    for name in COMMANDS:
        median, peer = statistics.median(figures[name]), statistics.median(peers[name])
        spread = f"min {min(figures[name]):.3f}, max {max(figures[name]):.3f} s"
        print(f"{name:28s} median {median:.3f} s ({spread}); {PEER_NAME} {peer:.3f} s")
        measures.append(
            Measure(BENCH, name, round(median, 4), "s", round(peer, 4), PEER_NAME,
                    target=TARGET_S, note=f"median of {runs}; {spread}")
        )  # fmt: skip
    return measures


def cold_cache(env: Mapping[str, str], cache: Path) -> Measure:
    """`calc opdays` with an empty bank-holiday cache: the `holidays` package imported and
    111 years computed (then cached), as the first command after an upgrade runs."""
    empty = cache.parent / "empty-cache"
    figure = wall(("-m", "concordat", *COMMANDS["calc opdays 2022-09-12 20"]),
                  {**env, "XDG_CACHE_HOME": str(empty)})  # fmt: skip
    print(f"{'calc opdays, cold cache':28s} {figure:.3f} s (once; the holidays computed)")
    return Measure(BENCH, "calc opdays, cold holiday cache", round(figure, 4), "s",
                   note="one run; information")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument("--quick", action="store_true", help="3 runs per command")
    parser.add_argument("--json", metavar="PATH", help="write the measures here")
    options = parser.parse_args(argv)
    runs = 3 if options.quick else options.runs
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
    with tempfile.TemporaryDirectory(prefix="concordat-startup-") as scratch:
        cache = Path(scratch) / "cache"
        env = environment(cache)
        cold = cold_cache(env, cache)
        wall(("-m", "concordat", *COMMANDS["calc opdays 2022-09-12 20"]), env)  # fills it
        measures = [*measure(runs, env), cold]
    print()
    print(format_table(measures))
    write_measures(options.json, measures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
