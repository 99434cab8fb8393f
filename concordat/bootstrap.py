"""The command line's door into the App: each command asks for the App of its `--config` and
`--db`, built from them and the environment on first use. Apps share one configuration
source per directory, so a command that asks twice loads the files once.

Everything heavy (the App, the configuration schema) is imported by the function that needs
it: every command module imports this one to declare its commands, and `--help` or
`calc opdays` must not pay for what they do not use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concordat.app import App
    from concordat.sources import ConfigSource
    from config.loader import Configuration
    from lifecycle.calendar import OperationalCalendar

_apps: dict[tuple[Path, str | None], App] = {}
_sources: dict[Path, ConfigSource] = {}


def application(config: Path, db: str | None = None) -> App:
    """The App for these options, built once per process."""
    from concordat.app import App

    key = (config.resolve(), db)
    if key not in _apps:
        app = App.from_environment(config=config, db=db)
        app.config = _sources.setdefault(config.resolve(), app.config)
        _apps[key] = app
    return _apps[key]


def load_or_exit(directory: Path) -> Configuration:
    """The configuration of `directory`, loaded once per process; an invalid one raises
    `ConfigurationError`, which the command group reports (exit 2)."""
    return application(directory).configuration()


def default_calendar() -> OperationalCalendar:
    """England's operational calendar with no site closure days."""
    from config.bank_holidays_file import england_calendar

    return england_calendar()
