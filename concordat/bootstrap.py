"""The one place that wires adapters to the core: load configuration, build calendars, plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from sqlalchemy.exc import ArgumentError, OperationalError

from config.issues import ConfigurationError
from config.loader import Configuration, load_configuration
from config.schema import FIRST_YEAR, LAST_YEAR
from lifecycle.bank_holidays import england_bank_holidays
from lifecycle.calendar import OperationalCalendar
from lifecycle.errors import ConcordatError
from lifecycle.facts import Fact
from lifecycle.state import fold
from lifecycle.timeline import Occurrence, plan
from storage.engine import default_url, make_engine
from storage.migrate import upgrade
from storage.store import SqlStore

PROGRESS_THRESHOLD = 200


_loaded: dict[Path, Configuration] = {}


def load_or_exit(directory: Path, console: Console) -> Configuration:
    """The validated configuration, loaded once per process; on any error print them all and
    exit with status 2."""
    key = directory.resolve()
    if key in _loaded:
        return _loaded[key]
    try:
        _loaded[key] = load_configuration(directory)
        return _loaded[key]
    except ConfigurationError as error:
        console.print(str(error), highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(2) from error


def default_calendar() -> OperationalCalendar:
    """England's operational calendar with no site closure days."""
    return OperationalCalendar.build(
        FIRST_YEAR, LAST_YEAR, england_bank_holidays(FIRST_YEAR, LAST_YEAR)
    )


def plan_window(
    configuration: Configuration,
    first: dt.date,
    last: dt.date,
    agreement_id: str | None,
    reminders: bool,
    console: Console,
    facts: dict[str, list[Fact]] | None = None,
) -> list[Occurrence]:
    """Every occurrence of the chosen agreements in the window, sorted; shows progress on a
    terminal when there are many agreements."""
    agreements = configuration.agreements
    if agreement_id is not None:
        chosen = configuration.agreement(agreement_id)
        if chosen is None:
            known = ", ".join(a.id for a in agreements)
            raise ConcordatError(f"unknown agreement {agreement_id!r} (known: {known})")
        agreements = (chosen,)
    occurrences: list[Occurrence] = []
    show = console.is_terminal and len(agreements) >= PROGRESS_THRESHOLD
    with Progress(console=console, transient=True, disable=not show) as progress:
        task = progress.add_task("planning", total=len(agreements))
        for agreement in agreements:
            calendar = configuration.calendar_for(agreement)
            state = fold((facts or {}).get(agreement.id, []))
            occurrences += plan(
                agreement,
                calendar,
                configuration.settings,
                first,
                last,
                reminders=reminders,
                state=state,
            )
            progress.advance(task)
    occurrences.sort(key=Occurrence.sort_key)
    return occurrences


def open_store(url: str | None) -> SqlStore:
    """The store at `url` (default: $CONCORDAT_DB or SQLite in ./data), migrated to the newest
    revision under the migration lock."""
    target = url or default_url()
    try:
        engine = make_engine(target)
        upgrade(engine)
    except (ArgumentError, OperationalError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        Console(stderr=True).print(
            f"[bold red]error:[/] cannot open the database {target!r}: {escape(reason)}",
            highlight=False,
        )
        raise typer.Exit(2) from error
    return SqlStore(engine)
