"""Benchmark of the send pipeline (claim, render, send, mark) against a local SMTP sink.

Run from the project root with the virtualenv active:

    python bench/dispatch.py [--messages N] [--agreements N] [--idle-seconds S] [--skip-idle]

1. Throughput. N messages (default 2000), all due in the last ten minutes, are written into a
   fresh outbox through the store's own insert path (`SqlUnit.apply_plan` with a `Changes` of
   inserts, one unit per agreement; the messages are built directly, not by the planner). Then
   `jobs.dispatcher.Dispatcher` objects, each in its own process (multiprocessing, spawn),
   send them all to an aiosmtpd sink on 127.0.0.1 (a separate process whose handler only
   counts and accepts): SQLite with 1 node, PostgreSQL with 1 node and with 3 nodes. Before
   each of these, the same N messages, rendered beforehand, are sent with raw aiosmtplib over
   one reused connection: the limit. Every node and the raw sender start together at a
   barrier once imported and connected, so start-up is not timed. Reported: messages/s, the
   ratio pipeline/raw (against the median raw rate), CPU seconds of the senders per 1000
   messages, and a check that every row ended `sent` and the sink got each exactly once.
2. Due-to-send delay. The real service (`python -m concordat run --poll P`, system clock,
   SQLite by default) serves a configuration with one agreement and mail to the sink. Once
   its banner is printed, R rows (default 300) are inserted, due evenly from now+1 s to
   now+30 s. The sink records the instant each message's DATA arrives (by its
   X-Concordat-Key header); delay = arrival - due_at. p50, p99 and max are printed, and the
   same from the `sent_at` the service recorded.
3. Idle cost. A configuration of --agreements copies of an example agreement (default
   stockport-0-19, each with its own id) is served by `python -m concordat run` on SQLite;
   the time to its banner (load + initial plan) is reported, then, once its output has been
   quiet for 5 s (the first dispatch done), its CPU time (/proc/<pid>/stat utime+stime) over
   --idle-seconds and its VmRSS / VmHWM (/proc/<pid>/status).

Progress goes to stderr; results and one PASS/FAIL line per target to stdout. The exit
status is 0 when every target passes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# The project root first, so that `tests.pg` imports when this file is run as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller
from aiosmtplib import SMTP
from sqlalchemy import delete, func, select, text

from bench.measures import Measure, write_measures
from jobs.clock import SystemClock
from jobs.dispatcher import Dispatcher, DispatchPolicy
from jobs.mailer import TransportMailer
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import Changes
from notifications.render import render
from notifications.smtp import SmtpTransport
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.store import OUTBOX, STAMP, SqlStore
from tests import pg

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "config" / "examples"
HOST = "127.0.0.1"
SENDER = "concordat@council.example.org"
ZONE = ZoneInfo("Europe/London")
UTC = dt.UTC

RAW_TARGET = 0.5  # PG 3 nodes / raw
P99_TARGET_S = 2.0
CPU_TARGET = 0.01  # of one core
START_MARGIN = 8.0  # seconds: rows inserted before the service starts are due after this
RSS_TARGET = 1 << 30


def say(text: str) -> None:
    """Progress, on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the SMTP sink: a process of its own, so it never shares a GIL with a sender -----------


class SinkHandler:
    """Accepts every message; counts them and, when given a file, appends one line per
    message: its X-Concordat-Key and the instant its DATA arrived."""

    def __init__(self, counter: Synchronized[int], log: str | None) -> None:
        self.counter = counter
        self.log = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        arrived = time.time()
        with self.counter.get_lock():
            self.counter.value += 1
        if self.log is not None:
            content = envelope.original_content or envelope.content or b""
            headers = BytesHeaderParser(policy=default).parsebytes(content)
            key = str(headers.get("X-Concordat-Key", "?")).strip()  # unfolded
            self.log.write(f"{key}\t{arrived:.6f}\n")
            self.log.flush()
        return "250 OK"


def _sink_main(port: int, counter: Synchronized[int], log: str, ready: Any) -> None:
    controller = Controller(SinkHandler(counter, log), hostname=HOST, port=port)
    controller.start()
    ready.set()
    signal.sigwait({signal.SIGTERM})
    controller.stop()


@dataclass
class Sink:
    port: int
    counter: Synchronized[int]
    log: Path
    process: SpawnProcess

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def arrivals(self) -> dict[str, float]:
        """Key -> arrival instant (epoch seconds), the first arrival of each key."""
        found: dict[str, float] = {}
        if self.log.exists():
            for line in self.log.read_text(encoding="utf-8").splitlines():
                key, _, at = line.partition("\t")
                if key and at:
                    found.setdefault(key, float(at))
        return found


@contextmanager
def sink(ctx: SpawnContext, workdir: Path) -> Iterator[Sink]:
    port, counter, log = free_port(), ctx.Value("q", 0), workdir / "sink.log"
    ready = ctx.Event()
    process = ctx.Process(target=_sink_main, args=(port, counter, str(log), ready), daemon=True)
    process.start()
    if not ready.wait(60):
        raise RuntimeError("the SMTP sink did not start")
    try:
        yield Sink(port, counter, log, process)
    finally:
        process.terminate()
        process.join(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- messages ------------------------------------------------------------------------------


def build_messages(
    count: int, due: Callable[[int], dt.datetime], prefix: str, agreements: int = 20
) -> list[Message]:
    """`count` reminders spread over `agreements` agreements, each about a meeting 10 days
    ahead (so none counts as missed), with a payload like the planner's."""
    day = dt.datetime.now(UTC).date() + dt.timedelta(days=10)
    messages = []
    for n in range(count):
        agreement = f"{prefix}-{n % agreements:03d}"
        start = dt.datetime.combine(day, dt.time(10, 0), tzinfo=ZONE)
        payload = {
            "agreement": agreement,
            "rule": "service-review",
            "kind": "meeting",
            "title": "Service Review",
            "date": day.isoformat(),
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1, minutes=30)).isoformat(),
            "moved_from": None,
            "for_date": day.isoformat(),
            "lead": "7 days",
            "location": "Committee Room 2, County Hall",
            "detail": "Monthly review of performance, finance and risks (para 30).",
            "recipient_name": f"Partner Contact {n % 7}",
        }
        recipient = f"contact{n % 7}@partner{n % 13}.example.org"
        key = f"reminder:{agreement}:service-review:{day}:7 days:{n:06d}:{recipient}"
        subject = f"Service Review ({day:%a %d %b %Y})"
        messages.append(
            Message(key, agreement, MessageKind.REMINDER, recipient, due(n), subject, payload,
                    f"{n:020d}")
        )  # fmt: skip
    return messages


def insert(store: SqlStore, messages: Sequence[Message]) -> None:
    """Through the store's insert path: one unit of work per agreement. `apply_plan` also
    stamps each agreement as planned; the stamps are dropped again, or a service's start-up
    re-plan would take these unconfigured agreements for removed ones and withdraw their
    rows."""
    by_agreement: dict[str, list[Message]] = {}
    for message in messages:
        by_agreement.setdefault(message.agreement, []).append(message)
    now = dt.datetime.now(UTC)
    for agreement, group in by_agreement.items():
        with store.unit(agreement) as unit:
            unit.apply_plan(Changes(inserts=group), "bench", "bench", now)
    with store.engine.begin() as connection:
        connection.execute(delete(STAMP).where(STAMP.c.agreement.in_(list(by_agreement))))


def throughput_messages(count: int) -> list[Message]:
    """The throughput test's messages: due over the ten minutes before the module's epoch."""
    base = dt.datetime.now(UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=10)
    return build_messages(count, lambda n: base + dt.timedelta(seconds=n % 600), "bench")


# --- 1. throughput -------------------------------------------------------------------------


def _node_main(
    url: str, port: int, owner: str, batch: int, barrier: Barrier, results: Queue[Any]
) -> None:
    engine = make_engine(url)
    store = SqlStore(engine)
    store.next_due()  # connect before the clock starts
    clock = SystemClock()
    mailer = TransportMailer(SmtpTransport(HOST, port, "none", None, None, 30.0), SENDER, clock)
    dispatcher = Dispatcher(store, mailer, clock, owner, ZONE, DispatchPolicy(batch=batch))
    barrier.wait()
    cpu = time.process_time()
    report = asyncio.run(dispatcher.dispatch_due())
    results.put((owner, dict(report.counts), time.time(), time.process_time() - cpu))
    engine.dispose()


def _raw_main(count: int, port: int, barrier: Barrier, results: Queue[Any]) -> None:
    now = dt.datetime.now(UTC)
    emails = [render(message, SENDER, now=now) for message in throughput_messages(count)]

    async def send() -> None:
        client = SMTP(hostname=HOST, port=port, use_tls=False, start_tls=False, timeout=30)
        await client.connect()
        for email in emails:
            await client.send_message(email)
        await client.quit()

    barrier.wait()
    cpu = time.process_time()
    asyncio.run(send())
    results.put(("raw", {"sent": len(emails)}, time.time(), time.process_time() - cpu))


@dataclass
class Rate:
    label: str
    messages: int
    seconds: float
    cpu: float  # sender processes' CPU seconds
    sink_cpu: float = 0.0  # the sink's CPU seconds over the run
    busy: tuple[float, float] = (0.0, 0.0)  # shares of the machine's CPU time: busy, stolen
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


def run_together(
    ctx: SpawnContext, targets: list[tuple[Callable[..., None], tuple[Any, ...]]]
) -> tuple[float, tuple[float, float], list[tuple[str, dict[str, int], float, float]]]:
    """Start each target in its own process; time from the shared barrier to the last one's
    end. Returns (seconds, (share of the machine's CPU time busy, share stolen) meanwhile,
    each process's (name, counts, end instant, cpu seconds))."""
    barrier, results = ctx.Barrier(len(targets) + 1), ctx.Queue()
    processes = [ctx.Process(target=f, args=(*args, barrier, results)) for f, args in targets]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    started, ticks = time.time(), machine_ticks()
    answers = [results.get(timeout=600) for _ in processes]
    after = machine_ticks()
    total = max(1, after[2] - ticks[2])
    shares = ((after[0] - ticks[0]) / total, (after[1] - ticks[1]) / total)
    for process in processes:
        process.join(60)
        if process.exitcode != 0:
            raise RuntimeError(f"a sender process exited with {process.exitcode}")
    return max(end for _, _, end, _ in answers) - started, shares, answers


def machine_ticks() -> tuple[int, int, int]:
    """(busy, stolen, total) CPU ticks of the whole machine, from /proc/stat: busy is user,
    nice, system, irq and softirq; stolen is what the hypervisor gave to other guests (a
    noisy neighbour); guest time is already inside user."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


def raw_rate(ctx: SpawnContext, the_sink: Sink, count: int) -> Rate:
    before, sink_cpu = the_sink.counter.value, cpu_seconds(the_sink.pid)
    seconds, busy, answers = run_together(ctx, [(_raw_main, (count, the_sink.port))])
    sink_cpu = cpu_seconds(the_sink.pid) - sink_cpu
    rate = Rate("raw aiosmtplib, 1 connection", count, seconds, answers[0][3], sink_cpu, busy)
    if the_sink.counter.value - before != count:
        rate.problems.append(f"sink got {the_sink.counter.value - before}, expected {count}")
    return rate


def pipeline_rate(
    ctx: SpawnContext, the_sink: Sink, label: str, url: str, nodes: int, args: argparse.Namespace
) -> Rate:
    engine = make_engine(url)
    upgrade(engine)
    store = SqlStore(engine)
    say(f"{label}: inserting {args.messages} messages")
    insert(store, throughput_messages(args.messages))
    before, sink_cpu = the_sink.counter.value, cpu_seconds(the_sink.pid)
    say(f"{label}: dispatching with {nodes} node(s), batch {args.batch}")
    targets: list[tuple[Callable[..., None], tuple[Any, ...]]] = [
        (_node_main, (url, the_sink.port, f"bench-node-{n}", args.batch)) for n in range(nodes)
    ]
    seconds, busy, answers = run_together(ctx, targets)
    sink_cpu = cpu_seconds(the_sink.pid) - sink_cpu
    counts: dict[str, int] = {}
    for _, node_counts, _, _ in answers:
        for action, n in node_counts.items():
            counts[action] = counts.get(action, 0) + n
    cpu = sum(a[3] for a in answers)
    rate = Rate(label, args.messages, seconds, cpu, sink_cpu, busy, counts)
    with engine.connect() as connection:
        query = select(OUTBOX.c.state, func.count()).group_by(OUTBOX.c.state)
        states: dict[str, int] = {row[0]: int(row[1]) for row in connection.execute(query)}
    got = the_sink.counter.value - before
    if states != {"sent": args.messages}:
        rate.problems.append(f"outbox states afterwards: {states}")
    if got != args.messages:
        rate.problems.append(f"sink got {got} messages, expected {args.messages}")
    if counts != {"sent": args.messages}:
        rate.problems.append(f"dispatchers reported {counts}")
    shares = ", ".join(str(c.get("sent", 0)) for _, c, _, _ in answers)
    say(f"{label}: {rate.per_second:.0f} msg/s; sent per node: {shares}")
    engine.dispose()
    return rate


def new_pg_database(admin_url: str, name: str) -> str:
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


# --- 2. due-to-send delay ------------------------------------------------------------------


class Service:
    """`python -m concordat run ...` in a subprocess, its stdout lines read by a thread."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "concordat", "run", *args],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        self.banner_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))
            if "stop with Ctrl-C or SIGTERM" in line:
                self.banner_at = time.monotonic()

    def wait_for_banner(self, timeout: float) -> float:
        """Seconds from start to the banner's last line."""
        deadline = time.monotonic() + timeout
        while self.banner_at is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.stop()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no banner after {timeout:.0f} s")
            time.sleep(0.05)
        return self.banner_at - self.started

    def wait_quiet(self, quiet: float, timeout: float) -> float:
        """Wait until no line has been printed for `quiet` seconds; returns when the last
        line came (monotonic)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.lines[-1][0] if self.lines else self.started
            if time.monotonic() - last >= quiet:
                return last
            time.sleep(0.2)
        raise RuntimeError(f"the service was not quiet for {quiet} s within {timeout} s")

    def stop(self) -> str:
        """SIGTERM, then its exit status and the end of its stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        tail = " | ".join(err.strip().splitlines()[-3:])
        return f"exit {self.process.returncode}" + (f"; stderr: {tail}" if tail else "")


def mail_config(directory: Path, port: int) -> None:
    directory.mkdir(parents=True)
    shutil.copy(EXAMPLES / "site.toml", directory / "site.toml")
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write(f'\n[mail]\nsmtp_host = "{HOST}"\nsmtp_port = {port}\nsecurity = "none"\n'
                   f'sender = "{SENDER}"\n')  # fmt: skip


@dataclass
class Delay:
    rows: int
    arrived: int
    sink: list[float]  # seconds, per arrived row
    recorded: list[float]  # sent_at - due_at, per row marked sent
    states: dict[str, int]
    service: str


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def delay_test(the_sink: Sink, url: str, workdir: Path, args: argparse.Namespace) -> Delay:
    config = workdir / "delay-config"
    mail_config(config, the_sink.port)
    shutil.copy(EXAMPLES / "stockport-0-19.toml", config / "stockport-0-19.toml")
    engine = make_engine(url)
    upgrade(engine)
    store = SqlStore(engine)
    before = args.delay_insert == "before"

    def fill() -> dict[str, float]:
        """Rows due evenly over 30 s from now+1 s (from now+START_MARGIN s when inserted
        before the service starts); key -> due instant."""
        first = START_MARGIN if before else 1.0
        now = dt.datetime.now(UTC)
        spread = 29.0 / max(1, args.delay_rows - 1)
        messages = build_messages(
            args.delay_rows,
            lambda n: now + dt.timedelta(seconds=first + n * spread),
            "delay",
            agreements=10,
        )
        say(f"delay: inserting {args.delay_rows} rows due from now+{first:g} s to now+"
            f"{first + 29:g} s")  # fmt: skip
        insert(store, messages)
        return {m.key: m.due_at.timestamp() for m in messages}

    due = fill() if before else {}
    say(f"delay: starting `concordat run --poll {args.poll:g}` on {url.split(':')[0]}")
    service = Service(["--config", str(config), "--db", url, "--poll", f"{args.poll:g}"], workdir)
    try:
        service.wait_for_banner(120)
        if not before:
            service.wait_quiet(2, 60)
            due = fill()
        deadline = time.time() + 60
        arrivals = the_sink.arrivals()
        while time.time() < deadline and not due.keys() <= arrivals.keys():
            time.sleep(0.5)
            arrivals = the_sink.arrivals()
    finally:
        status = service.stop()
    sink_delays = [arrivals[key] - at for key, at in due.items() if key in arrivals]
    with engine.connect() as connection:
        rows = connection.execute(
            select(OUTBOX.c.key, OUTBOX.c.state, OUTBOX.c.due_at, OUTBOX.c.sent_at).where(
                OUTBOX.c.key.in_(list(due))
            )
        ).all()
    engine.dispose()
    states: dict[str, int] = {}
    recorded: list[float] = []
    for row in rows:
        states[row.state] = states.get(row.state, 0) + 1
        if row.sent_at is not None:
            recorded.append((_aware(row.sent_at) - _aware(row.due_at)).total_seconds())
    return Delay(len(due), len(sink_delays), sink_delays, recorded, states, status)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- 3. idle cost --------------------------------------------------------------------------


@dataclass
class Idle:
    agreements: int
    template: str
    startup: float
    settled: float
    seconds: float
    cpu: float
    rss: int
    hwm: int
    lines_while_idle: int
    rows: int
    service: str
    wake: dict[str, float] = field(default_factory=dict)


def write_agreements(directory: Path, template: str, count: int, port: int) -> None:
    """`count` copies of an example agreement, each with its own id."""
    mail_config(directory, port)
    source = (EXAMPLES / f"{template}.toml").read_text(encoding="utf-8")
    if not re.search(r'^id = "[^"]+"', source, flags=re.MULTILINE):
        raise ValueError(f"no top-level id in {template}.toml")
    for n in range(count):
        name = f"{template[:24]}-{n:05d}"
        copy = re.sub(r'^id = "[^"]+"', f'id = "{name}"', source, count=1, flags=re.MULTILINE)
        (directory / f"{name}.toml").write_text(copy, encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def memory(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


def idle_test(the_sink: Sink, workdir: Path, args: argparse.Namespace) -> Idle:
    config = workdir / "idle-config"
    say(f"idle: writing {args.agreements} copies of {args.template}.toml")
    write_agreements(config, args.template, args.agreements, the_sink.port)
    url = f"sqlite:///{workdir / 'idle.db'}"
    say("idle: starting `concordat run` (load + initial plan; this is the slow part)")
    service = Service(["--config", str(config), "--db", url], workdir)
    try:
        startup = service.wait_for_banner(args.startup_timeout)
        say(f"idle: banner after {startup:.1f} s; waiting for the first dispatch to finish")
        last = service.wait_quiet(5, 600)
        settled = last - service.started
        pid = service.process.pid
        lines = len(service.lines)
        say(f"idle: measuring CPU over {args.idle_seconds:g} s")
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(args.idle_seconds)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        rss, hwm = memory(pid)
        lines_idle = len(service.lines) - lines
    finally:
        status = service.stop()
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = int(connection.execute(select(func.count()).select_from(OUTBOX)).scalar_one())
    wake = wake_queries(SqlStore(engine))
    engine.dispose()
    return Idle(args.agreements, args.template, startup, settled, t1 - t0, cpu1 - cpu0, rss,
                hwm, lines_idle, rows, status, wake)  # fmt: skip


def wake_queries(store: SqlStore) -> dict[str, float]:
    """Seconds each of the store calls one wake of the service makes takes on this outbox
    (the best of three, after the service stopped)."""
    now = dt.datetime.now(UTC)
    calls: dict[str, Callable[[], object]] = {
        "reclaim_expired": lambda: store.reclaim_expired(now),
        "claim": lambda: store.claim("bench", now, dt.timedelta(minutes=5), 50),
        "next_due": store.next_due,
    }
    best: dict[str, float] = {}
    for name, call in calls.items():
        for _ in range(3):
            started = time.perf_counter()
            call()
            best[name] = min(best.get(name, 1e9), time.perf_counter() - started)
    return best


# --- report --------------------------------------------------------------------------------


class Verdicts:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []
        self.measures: list[Measure] = []  # the same targets, for bench/run.py's table

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.rows.append(("PASS" if ok else "FAIL", f"{name}: {detail}"))

    def skip(self, name: str, why: str) -> None:
        self.rows.append(("SKIP", f"{name}: {why}"))

    @property
    def passed(self) -> bool:
        return all(verdict != "FAIL" for verdict, _ in self.rows)


def report_throughput(raws: list[Rate], pipes: list[Rate], verdicts: Verdicts) -> None:
    limit = statistics.median(r.per_second for r in raws)
    print("\n1. Throughput (messages/s, wall clock from a shared start to the last sender's end)")
    print("   (CPU: seconds per 1000 messages of the sending processes, and of the sink;")
    print("   busy: share of all the machine's CPU time busy during the run, PostgreSQL")
    print("   included; steal: share taken by the hypervisor for other guests)")
    print(f"   {'':34} {'msg/s':>8} {'seconds':>8} {'x raw':>6} {'CPU':>6} {'sink':>6} "
          f"{'busy':>5} {'steal':>5}")  # fmt: skip
    for rate in [*raws, *pipes]:
        ratio = rate.per_second / limit
        per = 1000 / rate.messages
        print(f"   {rate.label:34} {rate.per_second:8.0f} {rate.seconds:8.2f} {ratio:6.2f} "
              f"{rate.cpu * per:6.2f} {rate.sink_cpu * per:6.2f} {rate.busy[0]:5.0%} "
              f"{rate.busy[1]:5.0%}")  # fmt: skip
        for problem in rate.problems:
            print(f"     PROBLEM: {problem}")
    print(f"   raw limit (median of {len(raws)} runs): {limit:.0f} msg/s")
    for rate in pipes:
        ratio = rate.per_second / limit
        ok = not rate.problems
        name = f"throughput {rate.label}"
        targeted = rate.label.startswith("PostgreSQL, 3")
        verdicts.measures.append(
            Measure("dispatch", f"send rate, {rate.label}", rate.per_second if ok else 0.0,
                    "msg/s", peer=limit, peer_name="raw aiosmtplib",
                    target=RAW_TARGET if targeted else None, comparison=">=",
                    target_on="ratio", note="" if ok else "a row was not sent exactly once")
        )  # fmt: skip
        if rate.label.startswith("PostgreSQL, 3"):
            verdicts.check(name, ok and ratio >= RAW_TARGET,
                           f"{ratio:.2f} x raw (target >= {RAW_TARGET} x); every row sent once: "
                           f"{'yes' if ok else 'NO'}")  # fmt: skip
        else:
            verdicts.check(name, ok, f"{ratio:.2f} x raw (no target; reported); every row "
                           f"sent once: {'yes' if ok else 'NO'}")  # fmt: skip


def report_delay(delay: Delay, args: argparse.Namespace, verdicts: Verdicts) -> None:
    print(f"\n2. Due-to-send delay: `concordat run --poll {args.poll:g}` on the system clock")
    if args.delay_insert == "before":
        print(f"   {delay.rows} rows inserted before the service started, due evenly from "
              f"now+{START_MARGIN:g} s to now+{START_MARGIN + 29:g} s;")  # fmt: skip
    else:
        print(f"   {delay.rows} rows inserted after its banner, due evenly from now+1 s to "
              "now+30 s;")  # fmt: skip
    print("   delay = instant the sink received the message's DATA - the row's due_at.")
    if args.delay_insert == "before":
        print("   The service finds them when it starts and sets its alarm to each next due")
        print("   instant, so this is alarm precision + claim + render + send.")
    else:
        print("   The service learns of rows another process wrote at its next safety poll,")
        print("   then sets its alarm to each next due instant: poll + alarm + claim + send.")
    print(f"   arrived at the sink: {delay.arrived}/{delay.rows}; outbox states: {delay.states}")
    if delay.sink:
        s = delay.sink
        print(f"   at the sink:       p50 {percentile(s, 0.5):.3f} s  p99 {percentile(s, 0.99):.3f}"
              f" s  max {max(s):.3f} s  min {min(s):.3f} s")  # fmt: skip
    if delay.recorded:
        r = delay.recorded
        print(f"   recorded sent_at:  p50 {percentile(r, 0.5):.3f} s  p99 {percentile(r, 0.99):.3f}"
              f" s  max {max(r):.3f} s")  # fmt: skip
    print(f"   service: {delay.service}")
    complete = delay.arrived == delay.rows and delay.sink
    p99 = percentile(delay.sink, 0.99) if delay.sink else float("inf")
    verdicts.measures.append(
        Measure("dispatch", "due-to-send delay p99", p99 if complete else float("inf"), "s",
                target=P99_TARGET_S)
    )  # fmt: skip
    verdicts.check("delay p99", bool(complete) and p99 < P99_TARGET_S,
                   f"{p99:.3f} s (target < {P99_TARGET_S:g} s); arrived "
                   f"{delay.arrived}/{delay.rows}")  # fmt: skip


def report_idle(idle: Idle, verdicts: Verdicts) -> None:
    share = idle.cpu / idle.seconds
    mib = 1 << 20
    print(f"\n3. Idle service: {idle.agreements} copies of {idle.template}.toml, SQLite, "
          "default --poll (60 s)")  # fmt: skip
    print(
        f"   start to banner (load + initial plan): {idle.startup:.1f} s; "
        f"first dispatch done by {idle.settled:.1f} s; outbox rows: {idle.rows}"
    )
    print(f"   CPU over {idle.seconds:.1f} s idle: {idle.cpu:.2f} s = {100 * share:.2f}% of one "
          f"core; lines printed while idle: {idle.lines_while_idle}")  # fmt: skip
    print(f"   memory: VmRSS {idle.rss / mib:.0f} MiB, VmHWM (peak) {idle.hwm / mib:.0f} MiB")
    queries = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in idle.wake.items())
    print(f"   one wake's store calls on this outbox (measured afterwards): {queries}")
    print(f"   service: {idle.service}")
    verdicts.measures += [
        Measure("dispatch", f"idle CPU, {idle.agreements} agreements", 100 * share,
                "% of a core", target=100 * CPU_TARGET),
        Measure("dispatch", "idle service RSS", idle.rss / mib, "MiB", target=RSS_TARGET / mib),
    ]  # fmt: skip
    verdicts.check("idle CPU", share < CPU_TARGET,
                   f"{100 * share:.2f}% of one core (target < {100 * CPU_TARGET:g}%)")  # fmt: skip
    verdicts.check(
        "idle RSS",
        idle.rss < RSS_TARGET,
        f"{idle.rss / mib:.0f} MiB (target < 1024 MiB; peak {idle.hwm / mib:.0f} MiB)",
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--messages", type=int, default=2000, help="throughput messages (2000)")
    parser.add_argument("--batch", type=int, default=DispatchPolicy.batch, help="claim size (50)")
    parser.add_argument("--delay-rows", type=int, default=300, help="rows for the delay test")
    parser.add_argument("--poll", type=float, default=1.0, help="delay test's --poll (1 s)")
    parser.add_argument("--delay-db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--delay-insert", choices=["after", "before"], default="after",
                        help="rows inserted after the banner, or before the start")  # fmt: skip
    parser.add_argument("--agreements", type=int, default=10_000, help="idle test (10000)")
    parser.add_argument("--template", default="stockport-0-19",
                        help="example copied for the idle test (stockport-0-19)")  # fmt: skip
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="idle window (60)")
    parser.add_argument("--startup-timeout", type=float, default=3600.0,
                        help="seconds the idle service may take to plan (3600)")  # fmt: skip
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-delay", action="store_true")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="a short run: 300 messages, 60 delay rows, 300 agreements idle "
                        "for 10 s")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="also write the measures as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.delay_rows, args.agreements, args.idle_seconds = 300, 60, 300, 10.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    ctx = mp.get_context("spawn")
    verdicts = Verdicts()
    started = dt.datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    print(f"Concordat dispatch benchmark: {os.cpu_count()} CPUs, {started} UTC; "
          f"messages {args.messages}, batch {args.batch}")  # fmt: skip
    want_pg = not args.skip_postgres and (not args.skip_throughput or args.delay_db == "postgres")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dispatch-")))
        the_sink = stack.enter_context(sink(ctx, workdir))
        admin: str | None = None
        if want_pg and pg.find_bin() is not None:
            say("starting a throwaway PostgreSQL cluster (tests.pg.cluster)")
            admin = stack.enter_context(pg.cluster())
        if not args.skip_throughput:
            raws, pipes = [], []
            runs: list[tuple[str, str | None, int]] = [
                ("SQLite, 1 node", f"sqlite:///{workdir / 'throughput.db'}", 1),
                ("PostgreSQL, 1 node", new_pg_database(admin, "bench_one") if admin else None, 1),
                ("PostgreSQL, 3 nodes", new_pg_database(admin, "bench_three") if admin else None,
                 3),
            ]  # fmt: skip
            for label, url, nodes in runs:
                if url is None:
                    verdicts.skip(f"throughput {label}", "PostgreSQL not installed or skipped")
                    continue
                say(f"raw: {args.messages} messages over one connection")
                raws.append(raw_rate(ctx, the_sink, args.messages))
                pipes.append(pipeline_rate(ctx, the_sink, label, url, nodes, args))
            report_throughput(raws, pipes, verdicts)
        if not args.skip_delay:
            if args.delay_db == "postgres" and admin is None:
                verdicts.skip("delay p99", "PostgreSQL not available")
            else:
                url = (new_pg_database(admin, "bench_delay") if admin and args.delay_db ==
                       "postgres" else f"sqlite:///{workdir / 'delay.db'}")  # fmt: skip
                report_delay(delay_test(the_sink, url, workdir, args), args, verdicts)
        if not args.skip_idle:
            report_idle(idle_test(the_sink, workdir, args), verdicts)
    print("\nSummary")
    for verdict, line in verdicts.rows:
        print(f"  {verdict} {line}")
    write_measures(args.json, verdicts.measures)
    return 0 if verdicts.passed else 1


if __name__ == "__main__":
    sys.exit(main())
