"""Benchmark of reloading the configuration: one changed file among N, a warm start from the
on-disk cache, and a cold load against tomllib alone.

Run from the project root with the virtualenv active:

    python bench/reload.py [--quick] [--agreements N] [--planned P] [--json PATH]

1. Writes N copies (10,000; 500 with --quick) of
   config/examples/nottinghamshire-healthy-families.toml, each with its own `id`, and the
   examples' site.toml into a temporary directory.
2. Cold load: `load_configuration` with a fresh in-memory cache over an empty on-disk cache
   (so the time includes writing that cache, as the first command after a change does),
   against reading and `tomllib.loads` of the same files alone (the peer), measured
   before and after it in the same run (the mean of the two). Target: at most 2x. This is
   `concordat validate`'s work without the interpreter's start and the CLI's imports, which
   are item 1's business and would swamp the ratio at small N; the whole command is timed
   too, in a subprocess, for information.
3. Warm start: a new Python process imports the loader and loads the N files from the
   on-disk cache written in 2 (every file read and hashed, no file parsed). Target: under
   5 s from starting the process to the load's end (CLOCK_MONOTONIC, shared by both
   processes; the child then leaves with os._exit, since a starting service does not exit).
4. One changed file: an App over a SQLite database (migrated) and the directory, as the
   service runs it. Planning N agreements first takes minutes (bench/replan.py), so only P
   of them (20) are planned into the outbox, the changed one among them; the rest have no
   plan stamp, which changes nothing for a reload that re-plans only what changed. The
   service having run a while is simulated by a reload with nothing changed after the
   files have settled (a file's stat is trusted once it is SETTLED_SECONDS old). Then, three
   times, the middle agreement's Service Review moves between 10:00 and 10:30 and the time
   of `app.reload()` plus `app.replan(only=changed)` (what `Follower` does) is taken; the
   median is the figure. Each must find exactly one agreement changed and re-plan it with
   rows written. Target: under 0.5 s. Reloads with nothing changed are shown for
   information.

The copies differ only in their ids, so their e-mail addresses and cadences repeat: the
schema's and the builder's memos (one check per distinct value) flatter the cold load here
against agreements that share few addresses and anchors. tomllib, the peer, gains nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measures import Measure, write_measures  # noqa: E402
from concordat.app import App  # noqa: E402
from concordat.sources import ConfigSource, SqlStores  # noqa: E402
from config.loader import SETTLED_SECONDS, LoadCache, load_configuration  # noqa: E402
from jobs.clock import FixedClock  # noqa: E402

EXAMPLES = ROOT / "config" / "examples"
TEMPLATE = EXAMPLES / "nottinghamshire-healthy-families.toml"
TEMPLATE_ID = "nottinghamshire-healthy-families"
NOW = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
BENCH = "reload"
T = TypeVar("T")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def agreement_id(index: int) -> str:
    return f"notts-hf-{index:05d}"


def write_configuration(directory: Path, count: int) -> list[Path]:
    """N copies of the seed, each with its own id, beside the examples' site.toml."""
    template = TEMPLATE.read_text(encoding="utf-8")
    id_line = re.compile(rf'^id = "{TEMPLATE_ID}"', re.MULTILINE)
    if len(id_line.findall(template)) != 1:
        raise SystemExit(f"cannot find the id line in {TEMPLATE}")
    shutil.copy(EXAMPLES / "site.toml", directory / "site.toml")
    paths = []
    for index in range(count):
        path = directory / f"{agreement_id(index)}.toml"
        path.write_text(id_line.sub(f'id = "{agreement_id(index)}"', template), encoding="utf-8")
        paths.append(path)
    return paths


def toml_only(paths: Sequence[Path]) -> float:
    """Seconds to read and parse every file with tomllib, keeping nothing."""
    start = time.perf_counter()
    for path in paths:
        tomllib.loads(path.read_bytes().decode("utf-8"))
    return time.perf_counter() - start


def move_service_review(path: Path, to: str) -> None:
    """Set the Service Review's time (the first meeting with that id) to `to`."""
    text = path.read_text(encoding="utf-8")
    block = re.compile(r'(id = "service-review".*?\ntime = )"\d\d:\d\d"', re.DOTALL)
    edited, count = block.subn(rf'\1"{to}"', text, count=1)
    if count != 1:
        raise SystemExit(f"cannot find the Service Review time in {path}")
    path.write_text(edited, encoding="utf-8")


def cold_load(directory: Path, paths: Sequence[Path], cache_dir: Path) -> list[Measure]:
    """2: the cold load against tomllib alone, interleaved."""
    before = toml_only(paths)
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = LoadCache(disk=cache_dir)
    configuration, seconds = timed(lambda: load_configuration(directory, cache))
    after = toml_only(paths)
    peer = (before + after) / 2
    log(f"cold load {seconds:.2f} s ({cache.parsed} parsed); tomllib {before:.2f} / {after:.2f} s")
    assert len(configuration.agreements) == len(paths)
    return [
        Measure(BENCH, f"cold load of {len(paths)} files (validate's work)", seconds, "s",
                peer, "tomllib alone", 2.0, "<=", "ratio"),
    ]  # fmt: skip


def cold_command(directory: Path, data_dir: Path, count: int) -> Measure:
    """The whole `concordat validate`, a new process with an empty cache (information)."""
    shutil.rmtree(data_dir / "cache", ignore_errors=True)
    env = {**os.environ, "CONCORDAT_DATA": str(data_dir)}
    command = [sys.executable, "-m", "concordat", "validate", "--config", str(directory)]
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, capture_output=True)
    seconds = time.perf_counter() - start
    log(f"concordat validate (cold, new process): {seconds:.2f} s")
    return Measure(BENCH, f"`concordat validate` of {count} files, cold", seconds, "s")


def warm_start(directory: Path, cache_dir: Path, count: int) -> Measure:
    """3: a new process loading from the disk cache."""
    code = (
        "import os, time; t = time.monotonic(); from pathlib import Path; "
        "from config.loader import LoadCache, load_configuration; "
        f"c = LoadCache(disk=Path({str(cache_dir)!r})); "
        f"n = len(load_configuration(Path({str(directory)!r}), c).agreements); "
        "print(n, c.parsed, time.monotonic() - t, time.monotonic(), flush=True); os._exit(0)"
    )
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    loaded, parsed, inside, ready = done.stdout.split()
    seconds = float(ready) - start  # to the load's end: a starting service does not exit
    log(
        f"warm start {seconds:.2f} s (load {float(inside):.2f} s; {loaded} loaded, {parsed} parsed)"
    )
    if int(loaded) != count or int(parsed) != 0:
        raise SystemExit(f"warm start loaded {loaded} and parsed {parsed}")
    return Measure(BENCH, f"warm start of {count} agreements (new process)", seconds, "s",
                   target=5.0, note=f"load itself {float(inside):.2f} s")  # fmt: skip


def one_change(
    directory: Path, paths: Sequence[Path], data_dir: Path, planned: int
) -> list[Measure]:
    """4: reload and re-plan one changed file, as the service's Follower does."""
    url = f"sqlite:///{data_dir / 'concordat.db'}"
    source = ConfigSource(directory, data_dir / "cache")  # as App.from_environment makes it
    app = App(source, SqlStores(url, data_dir), FixedClock(NOW), "bench")
    middle = len(paths) // 2
    changed = agreement_id(middle)
    subset = {agreement_id(i) for i in range(middle - planned // 2, middle + (planned + 1) // 2)}
    _, seconds = timed(app.configuration)
    log(f"service start (from the disk cache): {seconds:.2f} s")
    report, seconds = timed(lambda: app.replan(only=subset))
    log(f"planned {report.planned} agreements: {report.inserted} rows in {seconds:.1f} s")
    time.sleep(SETTLED_SECONDS + 0.1)
    quiet = []
    for _ in range(3):
        change, seconds = timed(app.reload)
        assert not change
        quiet.append(seconds)
    log(f"reload, nothing changed: {', '.join(f'{s:.3f}' for s in quiet)} s")
    figures = []
    for to in ("10:30", "10:00", "10:30"):
        move_service_review(paths[middle], to)
        start = time.perf_counter()
        change = app.reload()
        report = app.replan(only=set(change.changed))
        figures.append(time.perf_counter() - start)
        if change.changed != (changed,) or report.planned != 1 or not report.written:
            raise SystemExit(f"expected {changed} alone re-planned: {change}, {report}")
    log(f"one changed, reload + re-plan: {', '.join(f'{s:.3f}' for s in figures)} s")
    app.close()
    count = len(paths)
    return [
        Measure(BENCH, f"one changed file among {count}: reload + re-plan (median of 3)",
                statistics.median(figures), "s", target=0.5,
                note=f"{planned} agreements planned in the outbox"),
        Measure(BENCH, f"reload of {count} files, nothing changed (median of 3)",
                statistics.median(quiet), "s"),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="500 agreements")
    parser.add_argument("--agreements", type=int, default=None, help="N (default 10000)")
    parser.add_argument("--planned", type=int, default=20, help="agreements planned (20)")
    parser.add_argument("--json", default=None, help="write the measures here")
    args = parser.parse_args(argv)
    count = args.agreements or (500 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="concordat-reload-") as temporary:
        root = Path(temporary)
        directory, data_dir = root / "config", root / "data"
        directory.mkdir()
        data_dir.mkdir()
        log(f"writing {count} agreement files")
        paths = write_configuration(directory, count)
        measures = cold_load(directory, paths, data_dir / "cache")
        measures.append(warm_start(directory, data_dir / "cache", count))
        measures.append(cold_command(directory, data_dir, count))
        measures += one_change(directory, paths, data_dir, min(args.planned, count))
    for measure in measures:
        ratio = f" ({measure.ratio:.2f}x)" if measure.ratio is not None else ""
        print(f"{measure.verdict:4}  {measure.name}: {measure.figure:.3f} {measure.unit}{ratio}")
    write_measures(args.json, measures)
    return 0 if all(m.verdict != "FAIL" for m in measures) else 1


if __name__ == "__main__":
    sys.exit(main())
