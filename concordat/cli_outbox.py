"""`concordat replan` and `concordat outbox`: fill the outbox from configuration and facts, and
look at it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from concordat.basics import InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app, err, parse_date
from jobs.planner import DEFAULT_HORIZON_DAYS
from lifecycle.outbox import State

if TYPE_CHECKING:
    from concordat.app import OutboxPage

STATES = ", ".join(state.value for state in State)


@app.command("replan")
def replan_command(
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    today: Annotated[str | None, typer.Option(help="Plan from this day (default today).")] = None,
    horizon: Annotated[
        int,
        typer.Option(
            help="Days ahead the plan looks; the outbox queues only what is due within"
            " \\[plan] send_horizon_days.",
            min=1,
        ),
    ] = DEFAULT_HORIZON_DAYS,
) -> None:
    """Plan every agreement into the outbox; unchanged agreements are skipped."""
    from rich.progress import Progress

    concordat = application(config, db)
    day = parse_date(today, "--today") if today else concordat.today()
    total = len(concordat.configuration().agreements)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("planning", total=total)
        report = concordat.replan(day, horizon, lambda n: progress.advance(task, n))
    send_days = concordat.configuration().site.plan.send_horizon_days
    queued = "" if send_days is None else f", queueing what is due within {send_days} days"
    typer.echo(
        f"planned {report.planned} agreement(s) from {day} over {horizon} days{queued} "
        f"({report.skipped} unchanged); outbox: {report.inserted} added, "
        f"{report.updated} updated, {report.withdrawn} withdrawn"
    )


@app.command("outbox")
def outbox_command(
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="Only this agreement (default: all).")
    ] = None,
    state: Annotated[str | None, typer.Option(help=f"Only rows in this state: {STATES}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (a page).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many rows first (next page).")] = 0,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Outbox rows, soonest first, a page at a time; the database is only read."""
    from rich.console import Console
    from rich.table import Table

    page = application(config, db).outbox(agreement, _state(state), limit, offset)
    table = Table(
        "due (UTC)", "state", "kind", "agreement", "to", "subject", box=None, header_style="bold"
    )
    for entry in page.entries:
        message = entry.message
        table.add_row(
            f"{message.due_at:%Y-%m-%d %H:%M}",
            entry.state.value,
            message.kind.value,
            message.agreement,
            escape(message.recipient),
            escape(message.subject),
        )
    Console(width=200).print(table)
    typer.echo(_footer(page))


def _state(text: str | None) -> State | None:
    """The state named on the command line, refused with the list when unknown."""
    if text is None:
        return None
    try:
        return State(text)
    except ValueError:
        raise InvalidInput(f"--state must be one of {STATES} (got {text!r})") from None


def _footer(page: OutboxPage) -> str:
    """ "N of M row(s)", and where the next page starts when there is one."""
    shown = len(page.entries)
    footer = f"{shown} of {page.total} row(s)"
    if page.offset:
        footer += f" from row {page.offset + 1}"
    if page.offset + shown < page.total:
        footer += f"; next page: --offset {page.offset + shown}"
    return footer
