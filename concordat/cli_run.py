"""`concordat run`: the background service; `concordat status`: what the outbox holds."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from concordat.app import App, InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app
from jobs.alarm import Alarm
from jobs.dispatcher import Dispatcher, DispatchPolicy, Event
from jobs.mailer import mailer_for
from jobs.ports import Mailer, Store
from jobs.service import Service
from lifecycle.outbox import State
from storage.engine import shown

LOG_FORMATS = ("text", "json")


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
) -> None:
    """Serve: plan, then send each message at its moment, until Ctrl-C or SIGTERM."""
    if log_format not in LOG_FORMATS:
        raise InvalidInput(f"--log-format must be text or json (got {log_format!r})")
    concordat = application(config, db)
    configuration = concordat.configuration()  # an invalid one is refused here, exit 2
    store = concordat.stores.writer()
    with concordat.stores.serve_alone():
        report = concordat.replan()
        mail = configuration.mail
        mailer = mailer_for(mail, os.environ, _data_dir(concordat), concordat.clock)
        policy = DispatchPolicy(
            batch=batch,
            max_attempts=mail.max_attempts,
            retry_base=dt.timedelta(seconds=mail.retry_base_seconds),
        )
        zone = configuration.settings.timezone
        log = _logger(log_format)
        dispatcher = Dispatcher(store, mailer, concordat.clock, _owner(), zone, policy, log)
        _banner(concordat, store, mailer, report.inserted, once)
        if once:
            asyncio.run(dispatcher.dispatch_due())
            return
        service = Service(dispatcher, store, concordat.clock, concordat.replan,
                          Alarm(configuration.settings.timezone),
                          plan_at=configuration.settings.send_time)  # fmt: skip
        asyncio.run(_serve(service))
    typer.echo("concordat: stopped; nothing held")


@app.command("status")
def status_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Counts of outbox rows by state, the next due instant, and what failed or was missed."""
    store = application(config, db).stores.reader()
    entries = store.all_outbox()
    counts = {state.value: 0 for state in State}
    for entry in entries:
        counts[entry.state.value] += 1
    typer.echo("  ".join(f"{state}: {count}" for state, count in counts.items()))
    following = store.next_due()
    typer.echo(f"next due: {following:%Y-%m-%d %H:%M} UTC" if following else "next due: none")
    for entry in entries:
        if entry.state in (State.FAILED, State.MISSED):
            message = entry.message
            typer.echo(f"{entry.state.value}: {message.recipient}: {message.subject}")


async def _serve(service: Service) -> None:
    """Run until SIGINT or SIGTERM, then let the batch in flight finish."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, service.stop.set)
    await service.run()


def _banner(concordat: App, store: Store, mailer: Mailer, added: int, once: bool) -> None:
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
    typer.echo("\n".join(lines))


def _logger(log_format: str) -> Callable[[Event], None]:
    """One line per event on standard output: text for people, JSON for collectors."""

    def text(event: Event) -> None:
        late = " (late)" if event.late else ""
        typer.echo(
            f"{_now()} {event.action}{late}: {event.agreement} -> {event.recipient}: "
            f"{event.subject} [{event.detail}]"
        )

    def as_json(event: Event) -> None:
        typer.echo(json.dumps({"at": _now(), **asdict(event)}, ensure_ascii=False))

    return as_json if log_format == "json" else text


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _owner() -> str:
    """This node's name in leases: host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _database(concordat: App) -> str:
    url = getattr(concordat.stores, "url", None)
    return shown(url) if isinstance(url, str) else "given"


def _data_dir(concordat: App) -> Path:
    """Where the default Maildir lives: the data folder (or beside a SQLite file given)."""
    data_dir = getattr(concordat.stores, "data_dir", None)
    return data_dir if isinstance(data_dir, Path) else Path("data")
