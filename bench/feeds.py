"""Benchmark of the calendar feed route, `GET /feeds/{token}.ics`, against a static response.

Run from the project root with the virtualenv active:

    python bench/feeds.py [--quick] [--agreements N] [--requests N] [--clients P]
                          [--concurrency C] [--latency-requests N]

1. Configuration. The examples' site.toml and N (7) copies of the Nottinghamshire example, whose
   group manager (`ncc-group-manager`) is party to all of them: her contact feed (meetings as
   series, reviews, deadlines, notice last days, term ends) holds about 300 events over the
   feed's window. It is issued (`issue_feed`) on a fresh SQLite database and rendered once;
   the events (series expanded), VEVENTs and bytes are printed.
2. Server. One uvicorn, in a child process, on 127.0.0.1, serving
   `build_web(app, admin_password=None, feed_cache=True)` plus two bench-only routes: the same
   feed bytes as a static `Response` (the limit: Starlette, uvicorn and GZip with no Concordat
   work), and a switch for `state.feed_cache`, so that full renders are measured with the feed
   cache off on the same server.
3. Scenarios, each checked before it is timed: `full` (cache off, 200, the body equal to the
   cached one), `304` (cache on, a matching If-None-Match), `static`. For each:
   - latency: one client, sequential requests: p50 and p99 of the time to the whole answer;
   - throughput: P client processes of C concurrent keep-alive connections each (httpx), all
     started at one instant: requests per second over the run.
   Clients send httpx's default Accept-Encoding, so the 200s are gzipped as a browser's or a
   calendar client's would be.

Targets: the 304 rate is at least half the static rate; a full render's p99 is under 50 ms.
Results and one PASS/FAIL line per target go to stdout, progress to stderr; the exit status is 0
when every target passes. Timings are wall-clock on a shared machine: run it on a quiet one.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

# The project root first, so that the project's packages import when this runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import recurring_ical_events
import uvicorn
from icalendar import Calendar
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bench.measures import Measure, write_measures
from concordat.app import App
from concordat.feeds import FeedScope, feed_document, find_feed, issue_feed
from web.server import build_web

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
SEED = "nottinghamshire-healthy-families"
CONTACT = "ncc-group-manager"  # party to every copy: a board member's feed
SECRET = "bench-feeds-site-secret-of-at-least-32-characters"
# Under /feeds/ so that they are public like the feed itself (the dashboard is closed without an
# admin password); the slash keeps them from matching `/feeds/{token}.ics`.
STATIC_PATH = "/feeds/_bench/static.ics"
SWITCH_PATH = "/feeds/_bench/feed-cache"
RATIO_TARGET = 0.5
FULL_P99_TARGET_MS = 50.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_site(directory: Path, copies: int) -> tuple[Path, str]:
    """`copies` of the Nottinghamshire example (ids suffixed) beside the examples' site.toml,
    and the SQLite URL for the benchmark."""
    config = directory / "config"
    config.mkdir()
    shutil.copy(EXAMPLES / "site.toml", config / "site.toml")
    text = (EXAMPLES / f"{SEED}.toml").read_text(encoding="utf-8")
    for number in range(copies):
        own = text.replace(f'id = "{SEED}"', f'id = "{SEED}-{number}"', 1)
        (config / f"{SEED}-{number}.toml").write_text(own, encoding="utf-8")
    return config, f"sqlite:///{directory / 'concordat.db'}"


def occurrences(body: bytes) -> int:
    """The events a calendar shows for the feed: its series expanded over the feed's window
    (a year back, 548 days ahead)."""
    today = dt.date.today()
    calendar = Calendar.from_ical(body)
    window = (today - dt.timedelta(days=366), today + dt.timedelta(days=549))
    return len(recurring_ical_events.of(calendar).between(*window))


def open_app(config: Path, db: str) -> App:
    environ = {"CONCORDAT_SECRET": SECRET, "CONCORDAT_ACTOR": "bench"}
    return App.from_environment(config=config, db=db, environ=environ)


def issue(config: Path, db: str, runs: int) -> tuple[str, bytes]:
    """Issue the contact feed; render it `runs` more times in this process (no HTTP: what the
    full render costs on its own) and print the times. Returns its URL path and its body."""
    app = open_app(config, db)
    app.stores.upgrade()
    _, links = issue_feed(app, FeedScope("contact", CONTACT), "benchmark")
    record = find_feed(app, links.token)
    assert record is not None, "a feed just issued is not found by its token"
    body = feed_document(app, record, cached=False).body
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        feed_document(app, record, cached=False)
        times.append((time.perf_counter() - began) * 1000)
    app.stores.close()
    print(f"in-process render, no HTTP ({runs} runs): p50 {percentile(times, 0.5):.1f} ms, "
          f"max {max(times):.1f} ms")  # fmt: skip
    return f"/feeds/{links.token}.ics", body


def serve(config: Path, db: str, port: int, static_body: bytes) -> None:
    """The child process: one uvicorn with the dashboard app and the bench-only routes."""
    app = open_app(config, db)
    web = build_web(app, admin_password=None, feed_cache=True)

    async def static(_: Request) -> Response:
        return Response(static_body, media_type="text/calendar; charset=utf-8")

    async def switch(request: Request) -> Response:
        web.state.feed_cache = request.query_params.get("on") == "1"
        return PlainTextResponse(f"feed_cache={web.state.feed_cache}")

    web.add_route(STATIC_PATH, static, methods=["GET"])
    web.add_route(SWITCH_PATH, switch, methods=["POST"])
    uvicorn.run(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(base: str, child: mp.process.BaseProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not child.is_alive():
            raise SystemExit(f"the server exited ({child.exitcode}) before answering")
        try:
            if httpx.get(f"{base}{STATIC_PATH}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the server did not answer within 60 s")


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    headers: dict[str, str]
    status: int
    feed_cache: bool


@dataclass(frozen=True)
class Figures:
    rate: float
    p50_ms: float
    p99_ms: float


async def drive(url: str, headers: dict[str, str], count: int, concurrency: int,
                status: int, at: float) -> tuple[float, float, list[float]]:  # fmt: skip
    """`count` requests over `concurrency` connections, starting at wall time `at`; returns
    (start, end, latencies in seconds). A wrong status stops the run."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    remaining = [count]
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await client.get(url, headers=headers)  # open one connection before the clock starts

        async def worker() -> None:
            while remaining[0] > 0:
                remaining[0] -= 1
                began = time.perf_counter()
                answer = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - began)
                if answer.status_code != status:
                    raise RuntimeError(f"{url}: {answer.status_code}, expected {status}")

        await asyncio.sleep(max(at - time.time(), 0))
        start = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return start, time.time(), latencies


def drive_process(url: str, headers: dict[str, str], count: int, concurrency: int, status: int,
                  at: float) -> tuple[float, float, list[float]]:  # fmt: skip
    return asyncio.run(drive(url, headers, count, concurrency, status, at))


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(base: str, scenario: Scenario, args: argparse.Namespace,
            pool: ProcessPoolExecutor) -> Figures:  # fmt: skip
    """Latency from one sequential client, then throughput from all the clients at once."""
    httpx.post(f"{base}{SWITCH_PATH}?on={int(scenario.feed_cache)}").raise_for_status()
    url = f"{base}{scenario.path}"
    _, _, latencies = drive_process(url, scenario.headers, args.latency_requests, 1,
                                    scenario.status, time.time())  # fmt: skip
    at = time.time() + 1.0  # every client process is up and connected by then
    each = max(args.requests // args.clients, 1)
    runs = [pool.submit(drive_process, url, scenario.headers, each, args.concurrency,
                        scenario.status, at) for _ in range(args.clients)]  # fmt: skip
    results = [run.result() for run in runs]
    began = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    total = sum(len(r[2]) for r in results)
    return Figures(total / (ended - began), percentile(latencies, 0.5) * 1000,
                   percentile(latencies, 0.99) * 1000)  # fmt: skip


def check(base: str, path: str, body: bytes) -> str:
    """The routes answer as the scenarios assume; returns the feed's ETag."""
    httpx.post(f"{base}{SWITCH_PATH}?on=0").raise_for_status()
    full = httpx.get(f"{base}{path}")
    assert full.status_code == 200, full.status_code
    assert full.content == body, "a full render differs from the feed document"
    etag = full.headers["etag"]
    httpx.post(f"{base}{SWITCH_PATH}?on=1").raise_for_status()
    cached = httpx.get(f"{base}{path}")
    assert cached.content == body, "the cached answer differs from the feed document"
    assert cached.headers["etag"] == etag, "the cached answer has another ETag"
    not_modified = httpx.get(f"{base}{path}", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304, not_modified.status_code
    assert httpx.get(f"{base}{STATIC_PATH}").content == body
    return etag


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="concordat-bench-feeds-") as folder:
        config, db = build_site(Path(folder), args.agreements)
        log("issuing the contact feed ...")
        path, body = issue(config, db, args.render_runs)
        print(f"contact feed of {CONTACT}, party to {args.agreements} agreements: "
              f"{occurrences(body)} events ({body.count(b'BEGIN:VEVENT')} VEVENTs), "
              f"{len(body)} bytes")  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        context = mp.get_context("spawn")
        child = context.Process(target=serve, args=(config, db, port, body), daemon=True)
        child.start()
        try:
            wait_up(base, child)
            etag = check(base, path, body)
            scenarios = [
                Scenario("full render (cache off)", path, {}, 200, False),
                Scenario("304 If-None-Match", path, {"If-None-Match": etag}, 304, True),
                Scenario("static Response", STATIC_PATH, {}, 200, True),
            ]
            figures: dict[str, Figures] = {}
            with ProcessPoolExecutor(args.clients, mp_context=context) as pool:
                for scenario in scenarios:
                    log(f"measuring {scenario.name} ...")
                    figures[scenario.name] = measure(base, scenario, args, pool)
        finally:
            child.terminate()
            child.join(10)
    return report(figures, args)


def report(figures: dict[str, Figures], args: argparse.Namespace) -> int:
    print(f"clients: {args.clients} processes x {args.concurrency} connections, "
          f"{args.requests} requests per throughput run, {args.latency_requests} sequential "
          "for latency")  # fmt: skip
    print(f"{'scenario':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, f in figures.items():
        print(f"{name:<26}{f.rate:>10.0f}{f.p50_ms:>10.2f}{f.p99_ms:>10.2f}")
    full, not_modified, static = figures.values()
    ratio = not_modified.rate / static.rate
    targets = [
        (f"304 rate >= {RATIO_TARGET} x static rate: {ratio:.2f} x", ratio >= RATIO_TARGET),
        (f"full render p99 < {FULL_P99_TARGET_MS:.0f} ms: {full.p99_ms:.1f} ms",
         full.p99_ms < FULL_P99_TARGET_MS),
    ]  # fmt: skip
    for text, ok in targets:
        print(f"{verdict(ok)}  {text}")
    write_measures(args.json, measures(full, not_modified, static))
    return 0 if all(ok for _, ok in targets) else 1


def measures(full: Figures, not_modified: Figures, static: Figures) -> list[Measure]:
    """The two targets as rows of `bench/run.py`'s table."""
    return [
        Measure("feeds", "304 revalidations per second", not_modified.rate, "req/s",
                peer=static.rate, peer_name="static Response", target=RATIO_TARGET,
                comparison=">=", target_on="ratio"),
        Measure("feeds", "full render p99", full.p99_ms, "ms", target=FULL_P99_TARGET_MS),
    ]  # fmt: skip


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--agreements", type=int, default=7,
                        help="copies of the Nottinghamshire example (7)")  # fmt: skip
    parser.add_argument("--requests", type=int, default=3000, help="per throughput run (3000)")
    parser.add_argument("--latency-requests", type=int, default=500,
                        help="sequential requests for latency (500)")  # fmt: skip
    parser.add_argument("--render-runs", type=int, default=30,
                        help="in-process renders timed (30)")  # fmt: skip
    parser.add_argument("--clients", type=int, default=2, help="client processes (2)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="connections per client process (4)")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 600 requests, 150 for latency")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.latency_requests = 600, 150
    counts = ("agreements", "render_runs", "requests", "latency_requests", "clients", "concurrency")
    for name in counts:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


if __name__ == "__main__":
    sys.exit(run(parse()))
