"""`concordat calc`: date calculations on the England operational calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from concordat.bootstrap import application, default_calendar
from concordat.options import app, fail, parse_date, parse_period
from lifecycle.errors import ConcordatError
from lifecycle.notice import NoticeRule, earliest_end, latest_service

if TYPE_CHECKING:
    from lifecycle.calendar import OperationalCalendar

calc = typer.Typer(
    help="Date calculations on the England operational calendar.", no_args_is_help=True
)
app.add_typer(calc, name="calc")


@calc.command("opdays", context_settings={"ignore_unknown_options": True})
def calc_opdays(
    date: Annotated[str, typer.Argument(help="Day 0, YYYY-MM-DD.")],
    count: Annotated[int, typer.Argument(help="How many operational days (may be negative).")],
    config: Annotated[Path | None, typer.Option(help="Add the site's closure days.")] = None,
) -> None:
    """The N-th operational day after DATE (before it when N is negative)."""
    day = parse_date(date, "DATE")
    calendar = application(config).configuration().calendar if config else _default_calendar()
    try:
        typer.echo(calendar.add(day, count).isoformat())
    except ConcordatError:
        fail(
            f"{count} operational days from {day} falls outside the calendar "
            f"({calendar.first} to {calendar.last})",
            2,
        )


@calc.command("notice")
def calc_notice(
    served: Annotated[str, typer.Option(help="Day the notice is served, YYYY-MM-DD.")],
    period: Annotated[str, typer.Option(help='Notice period, such as "6 months".')],
    fy_end: Annotated[bool, typer.Option("--fy-end", help="Must expire at a 31 March.")] = False,
) -> None:
    """The earliest day a notice served on --served can end the agreement."""
    rule = NoticeRule(parse_period(period), fy_end)
    day = parse_date(served, "--served")
    typer.echo(_calculate(lambda: earliest_end(rule, day, _calendar_if(rule))).isoformat())


@calc.command("latest-notice")
def calc_latest_notice(
    end: Annotated[str, typer.Option(help="Day the agreement is to end, YYYY-MM-DD.")],
    period: Annotated[str, typer.Option(help='Notice period, such as "6 months".')],
) -> None:
    """The last day notice can be served for the agreement to end on --end."""
    rule = NoticeRule(parse_period(period))
    day = parse_date(end, "--end")
    typer.echo(_calculate(lambda: latest_service(rule, day, _calendar_if(rule))).isoformat())


def _calculate(calculation: Callable[[], dt.date]) -> dt.date:
    """Run a date calculation; a result outside the calendar or beyond year 9999 is refused
    with the reason instead of a traceback."""
    try:
        return calculation()
    except (ConcordatError, ValueError, OverflowError) as error:
        fail(f"cannot calculate that date: {error}", 2)


def _calendar_if(rule: NoticeRule) -> OperationalCalendar | None:
    return _default_calendar() if rule.period.needs_calendar else None


def _default_calendar() -> OperationalCalendar:
    try:
        return default_calendar()
    except ConcordatError as error:
        fail(str(error), 2)
