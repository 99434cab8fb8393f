"""`concordat replan` and `concordat outbox`: fill the outbox from configuration and facts, and
look at it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from concordat.bootstrap import load_or_exit, open_store
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, actor, app, err, parse_date
from jobs.clock import SystemClock
from jobs.planner import DEFAULT_HORIZON_DAYS, replan


@app.command("replan")
def replan_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    today: Annotated[str | None, typer.Option(help="Plan from this day (default today).")] = None,
    horizon: Annotated[int, typer.Option(help="Days ahead to plan.", min=1)] = DEFAULT_HORIZON_DAYS,
) -> None:
    """Plan every agreement into the outbox; unchanged agreements are skipped."""
    configuration = load_or_exit(config, err)
    store = open_store(db)
    now = SystemClock().now()
    day = (
        parse_date(today, "--today")
        if today
        else now.astimezone(configuration.settings.timezone).date()
    )
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("planning", total=len(configuration.agreements))
        report = replan(
            configuration,
            store,
            day,
            now,
            horizon_days=horizon,
            actor=actor(),
            progress=lambda n: progress.advance(task, n),
        )
    typer.echo(
        f"planned {report.planned} agreement(s) from {day} over {horizon} days "
        f"({report.skipped} unchanged); outbox: {report.inserted} added, "
        f"{report.updated} updated, {report.withdrawn} withdrawn"
    )


@app.command("outbox")
def outbox_command(
    agreement: Annotated[str, typer.Option("--agreement", help="Agreement id.")],
    state: Annotated[str | None, typer.Option(help="Only rows in this state.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    db: DbOption = None,
) -> None:
    """The agreement's outbox rows, soonest first."""
    entries = sorted(
        open_store(db).outbox(agreement), key=lambda e: (e.message.due_at, e.message.key)
    )
    if state:
        entries = [entry for entry in entries if entry.state.value == state]
    table = Table("due (UTC)", "state", "kind", "to", "subject", box=None, header_style="bold")
    for entry in entries[:limit]:
        message = entry.message
        table.add_row(
            f"{message.due_at:%Y-%m-%d %H:%M}",
            entry.state.value,
            message.kind.value,
            message.recipient,
            message.subject,
        )
    Console(width=200).print(table)
    typer.echo(f"{min(limit, len(entries))} of {len(entries)} row(s)")
