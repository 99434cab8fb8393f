"""Shared pieces of the command line: the Typer apps, common options, parsing and failing."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from lifecycle.errors import ConcordatError
from lifecycle.periods import Period

app = typer.Typer(
    help="Concordat runs the clocks of partnership agreements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_CONFIG = os.environ.get("CONCORDAT_CONFIG", "config/examples")
ConfigOption = Annotated[
    Path, typer.Option("--config", help="Configuration directory (env CONCORDAT_CONFIG).")
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CONCORDAT_DB",
        help="Database URL (default: SQLite in ./data; plan reads facts only when given).",
    ),
]
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` to stderr and exit with `code`."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    raise typer.Exit(code)


def refuse(error: ConcordatError) -> NoReturn:
    """Exit with status 1 and the reason a command was refused."""
    fail(str(error).replace("[", "\\["), 1)


def parse_date(text: str, what: str) -> dt.date:
    """A YYYY-MM-DD date, refused with the reason when impossible (30 Feb)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        fail(f"{what}: {text!r} is not a valid date (expected YYYY-MM-DD; {error})", 2)


def parse_datetime(text: str, what: str, timezone: ZoneInfo) -> dt.datetime:
    """A date and time such as 2024-11-12T14:00 (local) or with an offset."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        fail(
            f"{what}: {text!r} is not a valid date and time (expected YYYY-MM-DDTHH:MM; {error})", 2
        )
    return moment.replace(tzinfo=timezone) if moment.tzinfo is None else moment


def parse_period(text: str) -> Period:
    """A period such as "6 months", refused with the reason."""
    try:
        return Period.parse(text)
    except ConcordatError as error:
        fail(str(error), 2)


def actor() -> str:
    """Who is recording: `$CONCORDAT_ACTOR`, else the login name."""
    return os.environ.get("CONCORDAT_ACTOR") or getpass.getuser()
