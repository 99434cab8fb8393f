"""The `concordat` command: validate, plan and calculate. Names here are kept stable."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from concordat.bootstrap import default_calendar, load_or_exit, plan_window
from concordat.render import print_table, to_json
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError
from lifecycle.notice import NoticeRule, earliest_end, latest_service
from lifecycle.periods import Period

app = typer.Typer(
    help="Concordat runs the clocks of partnership agreements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
calc = typer.Typer(
    help="Date calculations on the England operational calendar.", no_args_is_help=True
)
app.add_typer(calc, name="calc")

DEFAULT_CONFIG = os.environ.get("CONCORDAT_CONFIG", "config/examples")
ConfigOption = Annotated[
    Path, typer.Option("--config", help="Configuration directory (env CONCORDAT_CONFIG).")
]
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` to stderr and exit with `code`."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_date(text: str, what: str) -> dt.date:
    """A YYYY-MM-DD date, refused with the reason when impossible (30 Feb)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        fail(f"{what}: {text!r} is not a valid date (expected YYYY-MM-DD; {error})", 2)


def parse_period(text: str) -> Period:
    """A period such as "6 months", refused with the reason."""
    try:
        return Period.parse(text)
    except ConcordatError as error:
        fail(str(error), 2)


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
    agreement: Annotated[str | None, typer.Option(help="Only this agreement id.")] = None,
    reminders: Annotated[bool, typer.Option("--reminders", help="Include reminders.")] = False,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Everything due between two dates: meetings, reviews, deadlines, term ends, notice."""
    first, last = parse_date(from_, "--from"), parse_date(to, "--to")
    if last < first:
        fail(f"--to ({last}) is before --from ({first})", 2)
    if format_ not in ("table", "json"):
        fail(f"--format must be table or json (got {format_!r})", 2)
    configuration = load_or_exit(config, err)
    try:
        occurrences = plan_window(configuration, first, last, agreement, reminders, err)
    except ConcordatError as error:
        fail(str(error), 2)
    if format_ == "json":
        typer.echo(to_json(occurrences))
    else:
        print_table(occurrences, _table_console(), configuration.settings.timezone)


@calc.command("opdays", context_settings={"ignore_unknown_options": True})
def calc_opdays(
    date: Annotated[str, typer.Argument(help="Day 0, YYYY-MM-DD.")],
    count: Annotated[int, typer.Argument(help="How many operational days (may be negative).")],
    config: Annotated[Path | None, typer.Option(help="Add the site's closure days.")] = None,
) -> None:
    """The N-th operational day after DATE (before it when N is negative)."""
    day = parse_date(date, "DATE")
    calendar = load_or_exit(config, err).calendar if config else _default_calendar()
    try:
        typer.echo(calendar.add(day, count).isoformat())
    except ConcordatError as error:
        fail(str(error), 2)


@calc.command("notice")
def calc_notice(
    served: Annotated[str, typer.Option(help="Day the notice is served, YYYY-MM-DD.")],
    period: Annotated[str, typer.Option(help='Notice period, such as "6 months".')],
    fy_end: Annotated[bool, typer.Option("--fy-end", help="Must expire at a 31 March.")] = False,
) -> None:
    """The earliest day a notice served on --served can end the agreement."""
    rule = NoticeRule(parse_period(period), fy_end)
    typer.echo(earliest_end(rule, parse_date(served, "--served"), _calendar_if(rule)).isoformat())


@calc.command("latest-notice")
def calc_latest_notice(
    end: Annotated[str, typer.Option(help="Day the agreement is to end, YYYY-MM-DD.")],
    period: Annotated[str, typer.Option(help='Notice period, such as "6 months".')],
) -> None:
    """The last day notice can be served for the agreement to end on --end."""
    rule = NoticeRule(parse_period(period))
    typer.echo(latest_service(rule, parse_date(end, "--end"), _calendar_if(rule)).isoformat())


def _table_console() -> Console:
    """A console for tables: the terminal's width, or a wide page when piped to a file."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _calendar_if(rule: NoticeRule) -> OperationalCalendar | None:
    return _default_calendar() if rule.period.needs_calendar else None


def _default_calendar() -> OperationalCalendar:
    try:
        return default_calendar()
    except ConcordatError as error:
        fail(str(error), 2)
