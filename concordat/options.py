"""Shared pieces of the command line: the Typer apps, common options, parsing and failing.

Errors are raised typed, never turned into exits here: the top-level group catches every
`ConcordatError`, prints one `error:` line and exits with the code `concordat.exits` gives.
Nothing here reads the environment at import: typer reads `--config` and `--db` from
`$CONCORDAT_CONFIG` and `$CONCORDAT_DB` when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from concordat.app import DEFAULT_CONFIG, InvalidInput
from concordat.exits import INVALID, exit_code
from concordat.inputs import parse_date, parse_datetime
from lifecycle.errors import ConcordatError, Refused
from lifecycle.periods import Period

__all__ = [
    "DEFAULT_CONFIG",
    "ConfigOption",
    "DbOption",
    "app",
    "err",
    "fail",
    "parse_date",
    "parse_datetime",
    "parse_period",
]

err = Console(stderr=True)


class ErrorMappingGroup(TyperGroup):
    """The top-level command group: every command's typed error becomes one `error:` line
    and the exit code of its kind, in this one place."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except ConcordatError as error:
            code = exit_code(error)
            assert code is not None  # ConcordatError itself has an entry
            err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code) from error


app = typer.Typer(
    cls=ErrorMappingGroup,
    help="Concordat runs the clocks of partnership agreements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path,
    typer.Option("--config", envvar="CONCORDAT_CONFIG", help="Configuration directory."),
]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="CONCORDAT_DB",
        help="Database URL (default: SQLite in $CONCORDAT_DATA, else ./data).",
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Refuse with `message`: code 2 raises `InvalidInput`, any other `Refused`, so the exit
    code still comes from the one table."""
    raise (InvalidInput if code == INVALID else Refused)(message)


def parse_period(text: str) -> Period:
    """A period such as "6 months"; a `PeriodError` (exit 2) when it cannot be read."""
    return Period.parse(text)
