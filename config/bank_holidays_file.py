"""The bank holidays the operational calendar closes: the `holidays` package's, kept in a
small cache file, and the GOV.UK `bank-holidays.json` file, for days announced after
`holidays` was released.

Computing 111 years of holidays takes the package about 0.1 s (importing it half of that), on
every command that builds a calendar. The days depend only on the package's version and the
subdivision, so they are written once to the user's cache directory
(`$XDG_CACHE_HOME/concordat`, else `~/.cache/concordat`) and read back in a millisecond. A
cache that cannot be read, written or trusted is simply not used: the days are computed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from config.issues import IssueLog
from lifecycle.bank_holidays import england_bank_holidays

if TYPE_CHECKING:
    from lifecycle.calendar import OperationalCalendar

# The years the operational calendar covers (`config.schema` says so to the loader): every
# day a command or the planner asks about must fall in them.
CALENDAR_YEARS = (1990, 2100)
CACHE_FORMAT = "concordat bank holidays 1"

DIVISIONS = {
    "ENG": "england-and-wales",
    "WLS": "england-and-wales",
    "SCT": "scotland",
    "NIR": "northern-ireland",
}


def read_bank_holidays(path: Path, region: str, log: IssueLog) -> set[dt.date]:
    """The dates listed for the region's division; issues are recorded in `log`, not raised."""
    division = DIVISIONS[region]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        log.add("bank_holidays_file", f"cannot read {path}: {error.strerror or error}")
        return set()
    except json.JSONDecodeError as error:
        log.add(
            "bank_holidays_file", f"{path} is not valid JSON: {error.msg} at line {error.lineno}"
        )
        return set()
    events = data.get(division, {}).get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        log.add(
            "bank_holidays_file",
            f'{path} has no "{division}" division with "events"; '
            "expected the GOV.UK bank-holidays.json format",
        )
        return set()
    days: set[dt.date] = set()
    for index, event in enumerate(events):
        try:
            days.add(dt.date.fromisoformat(event["date"]))
        except (KeyError, TypeError, ValueError):
            log.add(
                "bank_holidays_file",
                f'{path}: {division}.events[{index}] has no valid "date" (expected YYYY-MM-DD)',
            )
    return days


def england_calendar() -> OperationalCalendar:
    """England's operational calendar over `CALENDAR_YEARS`, with no site closure days: for
    commands that have no configuration (`calc`, `extract`). Always the whole range, so the
    holiday cache written for it is the one every command reads."""
    from lifecycle.calendar import OperationalCalendar

    first, last = CALENDAR_YEARS
    return OperationalCalendar.build(first, last, package_bank_holidays(first, last, "ENG"))


def package_bank_holidays(
    first_year: int, last_year: int, region: str, cache_dir: Path | None = None
) -> set[dt.date]:
    """The `holidays` package's bank holidays of `region` in the given years: read from the
    cache in `cache_dir` (default: `user_cache_dir()`) when it holds them for the installed
    package's version, else computed and written there for the next command."""
    directory = user_cache_dir() if cache_dir is None else cache_dir
    try:
        header = f"{CACHE_FORMAT} holidays={version('holidays')} {region} {first_year}-{last_year}"
    except PackageNotFoundError:  # not installed as a distribution: no version to trust
        return england_bank_holidays(first_year, last_year, region)
    path = None if directory is None else directory / f"bank-holidays-{region}.txt"
    cached = None if path is None else _read_cache(path, header)
    if cached is not None:
        return cached
    days = england_bank_holidays(first_year, last_year, region)
    if path is not None:
        _write_cache(path, header, days)
    return days


def user_cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/concordat`, else `~/.cache/concordat`; None without a home."""
    root = os.environ.get("XDG_CACHE_HOME")
    if root and os.path.isabs(root):
        return Path(root) / "concordat"
    try:
        return Path.home() / ".cache" / "concordat"
    except RuntimeError:  # no home directory to be found
        return None


def _read_cache(path: Path, header: str) -> set[dt.date] | None:
    """The days a cache file holds, or None when it is missing, unreadable, written for
    another version, region or span, or damaged (a day that does not parse, no closing line,
    no day at all)."""
    try:
        lines = path.read_text(encoding="ascii").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 3 or lines[0] != header or lines[-2:] != ["end", ""]:
        return None
    try:
        days = {dt.date.fromisoformat(line) for line in lines[1:-2]}
    except ValueError:
        return None
    return days or None  # a span without a bank holiday is no span the calendar covers


def _write_cache(path: Path, header: str, days: set[dt.date]) -> None:
    """Write the cache file whole or not at all (a temporary file renamed over it), so that
    a command reading it meanwhile sees the old file or the new one; a directory that cannot
    be created or written is left as it is."""
    import tempfile  # only when writing: most commands only read the cache

    text = "\n".join([header, *sorted(day.isoformat() for day in days), "end", ""])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".bank-holidays-", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
