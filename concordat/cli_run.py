"""`concordat run`: the background service; `concordat simulate`: the same on a simulated
clock; `concordat status`: what the outbox holds."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from concordat.basics import InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app, err, parse_date
from config.issues import ConfigurationError
from config.mail import MailSettings
from jobs.clock import SystemClock
from jobs.dispatcher import Dispatcher, DispatchPolicy, Event
from jobs.ports import Mailer, Store
from jobs.service import SAFETY_POLL, Service
from lifecycle.errors import ConcordatError
from lifecycle.outbox import State
from lifecycle.reports import configuration_report

if TYPE_CHECKING:
    from concordat.app import App
    from notifications.transport import Transport

# What the service runs with (apscheduler, watchfiles, aiosmtplib, jinja2, SQLAlchemy) is
# imported by the commands that run it: `concordat --help` imports this module to list its
# commands, and must not pay for them.


LOG_FORMATS = ("text", "json")
PASSWORD_ENV = "CONCORDAT_ADMIN_PASSWORD"
HostOption = Annotated[
    str | None, typer.Option("--host", help="Listen on this address (default: \\[web] host).")
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", min=0, max=65_535, help="Listen on this port (default: \\[web] port)."),
]


@app.command("run")
def run_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json.")] = "text",
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then exit (cron, tests).")
    ] = False,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=1000, help="Messages claimed and sent at once.")
    ] = DispatchPolicy.batch,
    poll: Annotated[
        float,
        typer.Option("--poll", min=1, max=3600, help="Seconds between safety polls."),
    ] = SAFETY_POLL.total_seconds(),
    lease: Annotated[
        float,
        typer.Option(
            "--lease", min=1, max=86_400, help="Seconds a claim holds its rows before others may."
        ),
    ] = DispatchPolicy.lease.total_seconds(),
    no_web: Annotated[
        bool, typer.Option("--no-web", help="Do not serve the dashboard and feeds.")
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Serve: plan, then send each message at its moment, and serve the dashboard and the
    calendar feeds (the \\[web] table of site.toml), until Ctrl-C or SIGTERM."""
    from jobs.alarm import Alarm

    if log_format not in LOG_FORMATS:
        raise InvalidInput(f"--log-format must be text or json (got {log_format!r})")
    concordat = application(config, db)
    configuration = concordat.configuration()  # an invalid one is refused here, exit 2
    store = concordat.stores.writer()
    with concordat.stores.serve_alone():
        # bound before anything is written: a port in use is exit 2 with nothing planned
        listening = None if no_web or once else _listen(concordat, host, port)
        report = concordat.replan()
        mail = configuration.mail
        from jobs.mailer import mailer_for

        mailer = mailer_for(mail, os.environ, _data_dir(concordat), concordat.clock,
                            concordat.sending_templates())  # fmt: skip
        claiming = ClaimOptions(dt.timedelta(seconds=lease), batch)
        zone = configuration.settings.timezone
        log = _logger(log_format)
        dispatcher = Dispatcher(store, mailer, concordat.clock, _owner(), zone,
                                dispatch_policy(mail, claiming), log)  # fmt: skip
        if once:
            _banner(concordat, store, mailer, report.inserted, once, None)
            asyncio.run(dispatcher.dispatch_due())
            return
        _banner(concordat, store, mailer, report.inserted, once, listening)
        follow = Follower(concordat, dispatcher, claiming, _say(log_format))
        service = Service(dispatcher, store, concordat.clock, follow.daily_replan,
                          Alarm(configuration.settings.timezone),
                          plan_at=configuration.settings.send_time,
                          poll=dt.timedelta(seconds=poll),
                          reconfigure=(follow.changes, follow.apply))  # fmt: skip
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if not asyncio.run(_serve(service, _web(concordat, listening, service))):
            typer.echo("concordat: aborted by a second signal; rows in flight are sent again "
                       "after their lease (same Message-ID)", err=True)  # fmt: skip
            raise typer.Exit(1)
    typer.echo("concordat: stopped; nothing held")


@app.command("simulate")
def simulate_command(
    from_: Annotated[str, typer.Option("--from", help="First simulated day, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option("--to", help="Last simulated day, YYYY-MM-DD.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    smtp: Annotated[
        str | None, typer.Option("--smtp", help="Send to this SMTP server, HOST:PORT (no TLS).")
    ] = None,
    maildir: Annotated[
        Path | None, typer.Option("--maildir", help="Deliver into this Maildir instead.")
    ] = None,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json.")] = "text",
) -> None:
    """Run the planner, outbox, dispatcher and mail on a simulated clock over a window: a year
    of messages in minutes. Run again on the same database, it sends only what was not sent."""
    from rich.progress import Progress

    from jobs.mailer import TransportMailer
    from jobs.planner import DEFAULT_HORIZON_DAYS, FACT_LOOKBACK
    from jobs.simulation import SimulatedClock, simulate

    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    if last < first:
        raise InvalidInput(f"--to ({last}) is before --from ({first})")
    if smtp and maildir:
        raise InvalidInput("give --smtp or --maildir, not both")
    if log_format not in LOG_FORMATS:
        raise InvalidInput(f"--log-format must be text or json (got {log_format!r})")
    concordat = application(config, db)
    configuration = concordat.configuration()
    calendar = configuration.calendar
    earliest = calendar.first + FACT_LOOKBACK
    latest = calendar.last - dt.timedelta(days=DEFAULT_HORIZON_DAYS)
    if first < earliest or last > latest:
        raise InvalidInput(
            f"simulate from {earliest} to {latest} at most "
            "(the planner looks back a month and ahead 400 days within the calendar)"
        )
    store = concordat.stores.writer()
    clock = SimulatedClock(dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC))
    transport = _simulation_transport(concordat, smtp, maildir)
    mailer = TransportMailer(transport, configuration.mail.sender, clock,
                             concordat.templates())  # fmt: skip
    dispatcher = Dispatcher(store, mailer, clock, f"simulator:{_owner()}",
                            configuration.settings.timezone, log=_logger(log_format),
                            lease_clock=SystemClock())  # fmt: skip
    typer.echo(f"simulating {first} to {last}; mail: {mailer.describe()}", err=True)
    with (
        concordat.stores.serve_alone(),
        Progress(console=err, transient=True, disable=not err.is_terminal) as bar,
    ):
        task = bar.add_task("simulating", total=(last - first).days + 1)
        report = asyncio.run(
            simulate(configuration, store, dispatcher, clock, first, last,
                     lambda _day: bar.advance(task))
        )  # fmt: skip
    counts = ", ".join(f"{count} {action}" for action, count in sorted(report.counts.items()))
    typer.echo(f"simulated {report.days} day(s): {counts or 'nothing due'}", err=True)


@app.command("status")
def status_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    recent: Annotated[
        int, typer.Option("--recent", min=0, max=1000, help="How many of each to list.")
    ] = 5,
) -> None:
    """Counts of outbox rows by state, the next due instant, and the latest sends, failures
    and misses (newest first)."""
    from notifications.render import header_text

    store = application(config, db).stores.reader()
    counts = store.state_counts()
    typer.echo("  ".join(f"{state.value}: {count}" for state, count in counts.items()))
    following = store.next_due()
    typer.echo(f"next due: {following:%Y-%m-%d %H:%M} UTC" if following else "next due: none")
    for state in (State.SENT, State.FAILED, State.MISSED):
        latest = store.recent(state, recent) if recent and counts[state] else []
        if latest:
            more = counts[state] - len(latest)
            typer.echo(f"latest {state.value}" + (f" ({more} more)" if more else "") + ":")
        for activity in latest:
            message = activity.message
            typer.echo(
                f"  {activity.at:%Y-%m-%d %H:%M} {message.agreement} -> {message.recipient}: "
                f"{header_text(message.subject)} [{header_text(activity.detail)}]"
            )


@dataclass(frozen=True)
class ClaimOptions:
    """How `run` was told to claim: kept across reloads, which change only the mail."""

    lease: dt.timedelta
    batch: int


def dispatch_policy(mail: MailSettings, claiming: ClaimOptions) -> DispatchPolicy:
    """The dispatch policy from the site's mail settings and the command's options."""
    return DispatchPolicy(
        lease=claiming.lease,
        batch=claiming.batch,
        max_attempts=mail.max_attempts,
        retry_base=dt.timedelta(seconds=mail.retry_base_seconds),
        report_to=mail.admin,
    )


@dataclass
class Follower:
    """Follows the configuration directory while the service runs: each change is reloaded
    (only the files that changed are parsed) and re-planned; new mail settings take effect
    from the next batch; an invalid change is logged with every error and the last good
    configuration stays in force."""

    concordat: App
    dispatcher: Dispatcher
    claiming: ClaimOptions
    say: Callable[[str, str], None]
    invalid: bool = False  # the last change was refused
    # Agreements changed by a reload whose re-plan has not yet finished (it raised): planned
    # with the next change, so a failed re-plan is never forgotten until the daily one.
    unplanned: frozenset[str] = frozenset()

    def changes(self, stop: asyncio.Event) -> AsyncIterator[int]:
        """Bursts of changes in the configuration directory."""
        from jobs.watch import directory_changes

        return directory_changes(self.concordat.config.directory, stop)

    async def apply(self) -> bool:
        """Reload and re-plan (in a thread: both read files and write the database); True
        when there is something to send (a re-plan, or a report of a refused change)."""
        replanned, reported = await asyncio.to_thread(self._apply)
        return replanned or reported

    def daily_replan(self) -> None:
        """The daily re-plan: pick up any change the watcher missed (a network file system,
        say), then plan the new day (also when that change was refused): every agreement,
        whether or not something changed."""
        if self._apply(everything=True)[0]:
            return
        report = self.concordat.replan()
        self.say(
            "planned",
            f"{report.planned} agreement(s) for the new day: {report.inserted} new, "
            f"{report.updated} updated, {report.withdrawn} withdrawn outbox row(s)",
        )

    def _apply(self, everything: bool = False) -> tuple[bool, bool]:
        """(re-planned, a refused change reported); a change re-plans the agreements it
        touched, or `everything`."""
        before = self.concordat.configuration()
        try:
            change = self.concordat.reload()
        except ConfigurationError as error:
            self.invalid = True
            self.say("invalid-configuration", f"{error}\nthe last good configuration stays")
            return False, self._report(error)
        if self.invalid and not change:
            self.say("reloaded", "the configuration is valid again; nothing changed")
        self.invalid = False
        if not change:
            return False, False
        after = self.concordat.configuration()
        if after.mail != before.mail or change.templates:
            self._use_mail(after.mail)
        if after.settings.timezone != before.settings.timezone:
            self.say("restart-needed", "the site's time zone changed: restart to apply it")
        written = self._replan(change.changed, everything or bool(change.removed))
        self.say("reloaded", f"agreements {change}; re-planned: {written}")
        return True, False

    def _replan(self, changed: tuple[str, ...], everything: bool) -> str:
        """Re-plan what a change touched: the changed agreements only (their facts and
        stamps alone are read, so one edited file among thousands costs one agreement's
        plan), or every agreement (the daily re-plan; a removed agreement, since only a full
        plan withdraws a removed agreement's rows). Says what was written."""
        self.unplanned = self.unplanned | set(changed)
        report = self.concordat.replan(only=None if everything else self.unplanned)
        self.unplanned = frozenset()
        return (
            f"{report.inserted} new, {report.updated} updated, {report.withdrawn} withdrawn "
            "outbox row(s)"
        )

    def _report(self, error: ConfigurationError) -> bool:
        """Tell the administrator (when the site names one) of a refused change, once per
        distinct set of errors; True when a report was queued, so the service sends it."""
        admin = self.concordat.configuration().mail.admin  # the last good configuration's
        if admin is None:
            return False
        now = self.concordat.clock.now()
        errors = [str(issue) for issue in error.issues]
        report = configuration_report(errors, now, admin)
        return self.concordat.stores.writer().queue(report, now)

    def _use_mail(self, mail: MailSettings) -> None:
        """Send with the new mail settings from the next batch on; settings that cannot be
        used (the password variable unset) are logged and the old ones kept."""
        from jobs.mailer import mailer_for

        try:
            concordat = self.concordat
            mailer = mailer_for(mail, os.environ, _data_dir(concordat), concordat.clock,
                                concordat.sending_templates())  # fmt: skip
        except ConcordatError as error:
            self.say("invalid-configuration", f"{error}; still sending as before")
            return
        self.dispatcher.mailer = mailer
        self.dispatcher.policy = dispatch_policy(mail, self.claiming)
        self.say("mail", f"mail now goes to {mailer.describe()}")


async def _serve(service: Service, web: WebServing | None = None) -> bool:
    """Run until SIGINT or SIGTERM, then let the batch in flight finish; a second signal
    aborts at once. The web server, when there is one, runs beside the service in this
    loop and stops with it. True when stopped cleanly."""
    loop = asyncio.get_running_loop()
    running = asyncio.current_task()

    def on_signal() -> None:
        if service.stop.is_set() and running is not None:
            running.cancel()
        service.stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    serving = None if web is None else asyncio.create_task(web.serve())
    try:
        await service.run()
    except asyncio.CancelledError:
        return False
    finally:
        if web is not None and serving is not None:
            web.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
    return True


@app.command("serve")
def serve_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Serve only the dashboard and the calendar feeds (no mail is sent), until Ctrl-C or
    SIGTERM. The admin pages need $CONCORDAT_ADMIN_PASSWORD (user admin)."""
    concordat = application(config, db)
    concordat.configuration()  # an invalid one is refused here, exit 2
    listening = _listen(concordat, host, port)
    concordat.upgrade_database()  # here, once, so that no page a visitor opens migrates it
    typer.echo(f"concordat: serving the dashboard at {listening.url} (Ctrl-C or SIGTERM stops)")
    web = _web(concordat, listening, None)
    assert web is not None
    asyncio.run(_serve_web(web, concordat))
    typer.echo("concordat: stopped")


async def _serve_web(web: WebServing, concordat: App) -> None:
    """Serve until SIGINT or SIGTERM (the requests in flight are answered first), following
    the configuration directory meanwhile as `run` does, so feeds and pages show an edited
    agreement without a restart."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal() -> None:
        stop.set()
        web.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    following = asyncio.create_task(_follow_configuration(concordat, stop))
    try:
        await web.serve()
    finally:
        stop.set()
        await following


async def _follow_configuration(concordat: App, stop: asyncio.Event) -> None:
    """Reload the configuration after each burst of changes (only changed files are
    parsed); an invalid change is reported and the last good configuration kept."""
    from jobs.watch import directory_changes

    async for _ in directory_changes(concordat.config.directory, stop):
        try:
            change = await asyncio.to_thread(concordat.reload)
        except ConfigurationError as error:
            typer.echo(f"concordat: {error}\nthe last good configuration stays", err=True)
            continue
        if change:
            typer.echo(f"concordat: reloaded: agreements {change}")


@dataclass(frozen=True)
class Listening:
    """The web server's socket and the address to tell people."""

    sock: socket.socket
    url: str


class WebServing(Protocol):
    """The web server as the commands drive it (web.server.WebServer)."""

    async def serve(self) -> None: ...

    def stop(self) -> None: ...


def _listen(concordat: App, host: str | None, port: int | None) -> Listening:
    """Bind the web server's socket now (a port in use is exit 2 before anything starts),
    on --host/--port, else site.toml's [web]."""
    from web.server import listen  # the web server is imported only by the commands using it

    settings = concordat.configuration().web
    chosen = replace(settings, host=host or settings.host,
                     port=settings.port if port is None else port)  # fmt: skip
    sock = listen(chosen.host, chosen.port)
    bound = replace(chosen, port=sock.getsockname()[1])
    concordat.bound_url = replace(bound, base_url=None).public_url
    return Listening(sock, bound.public_url)


def _web(concordat: App, listening: Listening | None, service: Service | None) -> WebServing | None:
    """The dashboard's server on the bound socket; `/readyz` also asks that the service's
    scheduler runs, when there is a service."""
    if listening is None:
        return None
    from web.server import build_web, web_server

    def ready() -> bool:
        return service is None or (
            bool(service.alarm.scheduler.running) and not service.stop.is_set()
        )

    web = build_web(concordat, admin_password=os.environ.get(PASSWORD_ENV) or None, ready=ready)
    return _Bound(web_server(web), listening.sock)


@dataclass
class _Bound:
    """A uvicorn server and the socket it is to serve on."""

    server: Any
    sock: socket.socket

    async def serve(self) -> None:
        await self.server.serve(sockets=[self.sock])

    def stop(self) -> None:
        self.server.stop()


def _banner(
    concordat: App, store: Store, mailer: Mailer, added: int, once: bool, web: Listening | None
) -> None:
    """A few lines: what is served, where mail goes, what comes next, how to stop."""
    configuration = concordat.configuration()
    following = store.next_due()
    lines = [
        f"concordat: serving {len(configuration.agreements)} agreement(s) from "
        f"{configuration.directory} ({added} new outbox row(s) planned)",
        f"  database: {_database(concordat)}",
        f"  mail: {mailer.describe()}",
        f"  next message due: {following:%Y-%m-%d %H:%M} UTC" if following else
        "  next message due: none",
        "  sending what is due, then exiting (--once)" if once else
        "  stop with Ctrl-C or SIGTERM (the batch in flight is finished first)",
    ]  # fmt: skip
    if not once:  # last, so the lines before keep their places for scripts that read them
        lines.append(f"  dashboard: {web.url}" if web is not None else "  dashboard: not served")
    typer.echo("\n".join(lines))


def _logger(log_format: str) -> Callable[[Event], None]:
    """One line per event on standard output: text for people, JSON for collectors."""

    def text(event: Event) -> None:
        late = " (late)" if event.late else ""
        clause = f" ({event.clause})" if event.clause else ""
        typer.echo(
            f"{_now()} {event.action}{late}: {event.kind} {event.agreement}{clause} -> "
            f"{event.recipient}: {event.subject} [{event.detail}]"
        )

    def as_json(event: Event) -> None:
        typer.echo(json.dumps({"at": _now(), **asdict(event)}, ensure_ascii=False))

    return as_json if log_format == "json" else text


def _say(log_format: str) -> Callable[[str, str], None]:
    """One line for something the service itself did (a reload, say), in the log's format."""

    def say(action: str, detail: str) -> None:
        if log_format == "json":
            typer.echo(json.dumps({"at": _now(), "action": action, "detail": detail}))
        else:
            typer.echo(f"{_now()} {action}: {detail}")

    return say


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _owner() -> str:
    """This node's name in leases: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _simulation_transport(concordat: App, smtp: str | None, maildir: Path | None) -> Transport:
    """--smtp HOST:PORT, --maildir DIR, else a Maildir of its own in the data folder: never
    the site's mail settings, so a preview cannot mail real partners by accident."""
    from notifications.transport import MaildirTransport, SmtpTransport

    if smtp is not None:
        host, _, port = smtp.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65_535:
            raise InvalidInput(f"--smtp must be HOST:PORT with a port from 1 to 65535 "
                               f"(got {smtp!r})")  # fmt: skip
        return SmtpTransport(host, int(port), "none", None, None, 30.0)
    return MaildirTransport(maildir or _data_dir(concordat) / "simulation")


def _database(concordat: App) -> str:
    from storage.engine import shown

    url = getattr(concordat.stores, "url", None)
    return shown(url) if isinstance(url, str) else "given"


def _data_dir(concordat: App) -> Path:
    """Where the default Maildir lives: the data folder (or beside a SQLite file given)."""
    data_dir = getattr(concordat.stores, "data_dir", None)
    return data_dir if isinstance(data_dir, Path) else Path("data")
