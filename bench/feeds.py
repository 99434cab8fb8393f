"""Render time of a board member's calendar feed, fresh and cached.

Builds a configuration of N copies of the Nottinghamshire example (one contact, the group
manager, is party to all of them), issues that contact a feed on the in-memory store and
renders it with the cache off (`feed_document(..., cached=False)`, a full render: facts,
plan, series, icalendar) and on. Prints the events in the feed and the median times.

    python bench/feeds.py                 # 5 agreements, about 300 events
    python bench/feeds.py --agreements 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import recurring_ical_events
from icalendar import Calendar

from concordat.app import App
from concordat.feeds import FeedScope, feed_document, issue_feed
from concordat.secret import SiteSecret
from concordat.sources import ConfigSource, GivenStore
from jobs.clock import FixedClock
from jobs.memory import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
SEED = "nottinghamshire-healthy-families"
NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)


def build(directory: Path, copies: int) -> None:
    """`copies` agreements from the seed, ids suffixed, in `directory`."""
    shutil.copy(ROOT / "config" / "examples" / "site.toml", directory / "site.toml")
    text = (ROOT / "config" / "examples" / f"{SEED}.toml").read_text()
    for number in range(copies):
        own = text.replace(f'id = "{SEED}"', f'id = "{SEED}-{number}"', 1)
        (directory / f"{SEED}-{number}.toml").write_text(own)


def timed(work: Callable[[], object], runs: int) -> float:
    """The median milliseconds of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agreements", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        build(directory, options.agreements)
        app = App(ConfigSource(directory), GivenStore(MemoryStore()), FixedClock(NOW),
                  "bench", SiteSecret("b" * 40, directory / "secret"))  # fmt: skip
        record, _ = issue_feed(app, FeedScope("contact", "ncc-group-manager"))
        document = feed_document(app, record, cached=False)
        calendar = Calendar.from_ical(document.body)
        events = recurring_ical_events.of(calendar).between(
            NOW.date() - dt.timedelta(days=366), NOW.date() + dt.timedelta(days=550)
        )
        fresh = timed(lambda: feed_document(app, record, cached=False), options.runs)
        cached = timed(lambda: feed_document(app, record), options.runs)
        print(
            f"{options.agreements} agreements, {len(events)} events, "
            f"{len(document.body)} bytes: full render {fresh:.1f} ms, cached {cached:.2f} ms "
            "(median)"
        )


if __name__ == "__main__":
    main()
