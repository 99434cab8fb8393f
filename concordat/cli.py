"""The `concordat` command: validate, plan, calc, record facts, db. Names here are stable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import concordat.cli_calc
import concordat.cli_db
import concordat.cli_outbox
import concordat.cli_record  # noqa: F401  (registers the commands)
from concordat.bootstrap import load_or_exit, open_store, plan_window
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app, err, fail, parse_date
from concordat.render import print_table, to_json
from lifecycle.errors import ConcordatError

__all__ = ["app"]


@app.command()
def validate(config: ConfigOption = Path(DEFAULT_CONFIG)) -> None:
    """Check a configuration directory; exit 0 with a summary, or 2 with every error."""
    configuration = load_or_exit(config, err)
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
    with --db, what the recorded facts set off."""
    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    if last < first:
        fail(f"--to ({last}) is before --from ({first})", 2)
    if format_ not in ("table", "json"):
        fail(f"--format must be table or json (got {format_!r})", 2)
    configuration = load_or_exit(config, err)
    facts = open_store(db).facts_by_agreement() if db else {}
    try:
        occurrences = plan_window(configuration, first, last, agreement, reminders, err, facts)
    except ConcordatError as error:
        fail(str(error), 2)
    if format_ == "json":
        typer.echo(to_json(occurrences))
    else:
        print_table(occurrences, _table_console(), configuration.settings.timezone)


def _table_console() -> Console:
    """A console for tables: the terminal's width, or a wide page when piped to a file."""
    console = Console()
    return console if console.is_terminal else Console(width=160)
