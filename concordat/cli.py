"""The `concordat` command: validate, plan, calc, record facts, db. Names here are stable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from concordat.basics import InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app, err, parse_date

if TYPE_CHECKING:
    from rich.console import Console

    from concordat.app import App
    from lifecycle.timeline import Occurrence

__all__ = ["app"]

# The other commands' modules are imported when their commands are asked for
# (`concordat.options.COMMAND_MODULES`). Each imports at its top only what declaring its
# options needs; what a command runs with (the App, the database, jinja2, the web server) is
# imported in its body. `tests/unit/test_startup.py` holds the line.

PROGRESS_THRESHOLD = 200


@app.command()
def validate(config: ConfigOption = Path(DEFAULT_CONFIG)) -> None:
    """Check a configuration directory; exit 0 with a summary, or 2 with every error. A
    contact with a placeholder address (under .invalid) is valid, with a warning: nothing
    is sent to it until a real address replaces it."""
    from config.placeholders import placeholders

    configuration = application(config).configuration()
    for placeholder in placeholders(configuration):
        typer.echo(placeholder.warning(), err=True)
    agreements = configuration.agreements
    clocks = sum(len(a.meetings) + len(a.reviews) + len(a.deadlines) for a in agreements)
    procedures = sum(len(a.procedures) for a in agreements)
    typer.echo(
        f"{config}: valid: {len(agreements)} agreement(s), {clocks} clock(s), "
        f"{procedures} procedure(s)"
    )


@app.command()
def plan(
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
    agreement: Annotated[str | None, typer.Option(help="Only this agreement id.")] = None,
    reminders: Annotated[bool, typer.Option("--reminders", help="Include reminders.")] = False,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Everything due between two dates: meetings, reviews, deadlines, term ends, notice and,
    with --db, what the recorded facts set off (the database is only read)."""
    from concordat.render import print_table, to_json

    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    if format_ not in ("table", "json"):
        raise InvalidInput(f"--format must be table or json (got {format_!r})")
    concordat = application(config, db)
    occurrences = _occurrences(concordat, first, last, agreement, reminders, with_facts=bool(db))
    if format_ == "json":
        typer.echo(to_json(occurrences))
    else:
        timezone = concordat.configuration().settings.timezone
        print_table(occurrences, _table_console(), timezone)


def _occurrences(
    concordat: App,
    first: dt.date,
    last: dt.date,
    agreement: str | None,
    reminders: bool,
    *,
    with_facts: bool,
) -> list[Occurrence]:
    """The App's occurrences, with a progress bar on a terminal when there are many."""
    from rich.progress import Progress

    count = 1 if agreement else len(concordat.configuration().agreements)
    show = err.is_terminal and count >= PROGRESS_THRESHOLD
    with Progress(console=err, transient=True, disable=not show) as progress:
        task = progress.add_task("planning", total=count)
        return concordat.occurrences(
            first,
            last,
            agreement,
            reminders=reminders,
            with_facts=with_facts,
            progress=lambda n: progress.advance(task, n),
        )


def _table_console() -> Console:
    """A console for tables: the terminal's width, or a wide page when piped to a file."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)
