"""Shared pieces of the command line: the Typer apps, common options, parsing and failing.

Errors are raised typed, never turned into exits here: the top-level group catches every
`ConcordatError`, prints one `error:` line and exits with the code `concordat.exits` gives.
Nothing here reads the environment at import: typer reads `--config` and `--db` from
`$CONCORDAT_CONFIG` and `$CONCORDAT_DB` when a command runs.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from concordat.basics import DEFAULT_CONFIG, InvalidInput
from concordat.exits import INVALID, exit_code
from lifecycle.errors import ConcordatError, Refused
from lifecycle.periods import Period

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

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

# Every top-level command (or group) and the module that registers it, in the order
# `concordat --help` lists them. A command's module is imported when the command is asked
# for, so `calc` does not load the outbox's or the service's code; the list (for --help, a
# mistyped name) imports them all. `tests/unit/test_startup.py` checks this table.
COMMAND_MODULES: dict[str, str] = {
    "replan": "concordat.cli_outbox",
    "outbox": "concordat.cli_outbox",
    "preview": "concordat.cli_preview",
    "extend": "concordat.cli_record",
    "history": "concordat.cli_record",
    "run": "concordat.cli_run",
    "simulate": "concordat.cli_run",
    "status": "concordat.cli_run",
    "serve": "concordat.cli_run",
    "validate": "concordat.cli",
    "plan": "concordat.cli",
    "calc": "concordat.cli_calc",
    "db": "concordat.cli_db",
    "feeds": "concordat.cli_feeds",
    "notice": "concordat.cli_record",
    "dispute": "concordat.cli_record",
    "procedure": "concordat.cli_record",
    "meeting": "concordat.cli_record",
    "variation": "concordat.cli_record",
    "extract": "concordat.cli_extract",
}


class ErrorMappingGroup(TyperGroup):
    """The top-level command group: every command's typed error becomes one `error:` line
    and the exit code of its kind, in this one place. Its commands are registered by their
    modules as `COMMAND_MODULES` imports them, on first use."""

    _complete = False  # every command module imported and its commands added

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            self._add(COMMAND_MODULES.get(cmd_name))
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._add(None)
        order = list(COMMAND_MODULES)
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: order.index(n) if n in order else len(order))

    def _add(self, module: str | None) -> None:
        """Import `module` (every command module when None) and add the commands it
        registered on `app`."""
        if self._complete:
            return
        for name in dict.fromkeys(COMMAND_MODULES.values()) if module is None else (module,):
            importlib.import_module(name)
        group = typer.main.get_command(app)
        assert isinstance(group, TyperGroup)
        self.commands.update({n: c for n, c in group.commands.items() if n not in self.commands})
        self._complete = module is None

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


def parse_date(text: str, what: str) -> dt.date:
    """`concordat.inputs.parse_date`: the form readers (and the command classes they build)
    are imported by the commands that read a date, not by `--help`."""
    from concordat.inputs import parse_date as parse

    return parse(text, what)


def parse_datetime(text: str, what: str, timezone: ZoneInfo) -> dt.datetime:
    """`concordat.inputs.parse_datetime`, imported when first used (see `parse_date`)."""
    from concordat.inputs import parse_datetime as parse

    return parse(text, what, timezone)
