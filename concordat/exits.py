"""Exit codes, in one table keyed by error class.

Every door maps the same typed errors the same way: the command line to exit codes here, the
web server (later) to HTTP statuses with its own table and the same `lookup`. An error is
looked up by walking its class's MRO, so a subclass inherits its parent's code unless it has
its own entry, and an error raised anywhere gets the code its kind deserves: an unknown
agreement is 1 from every command.

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused: the command does not apply (unknown agreement, party or case; a rule broken) |
| 2 | invalid input: a bad option value, date or URL, an invalid configuration, or a    |
|   | document `concordat extract` cannot read                                         |
| 3 | the database cannot be used: unreachable, not a database, missing, needs an upgrade, |
|   | or too busy (a unit of work lost every retry, or waited past its lock timeout) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from concordat.basics import InvalidInput
from concordat.secret import SecretUnusable
from config.issues import ConfigurationError
from extract.reading import UnreadableDocument
from lifecycle.errors import (
    CadenceError,
    CalendarRangeError,
    ConcordatError,
    MalformedId,
    PeriodError,
    Refused,
    UnknownName,
)
from storage.errors import DatabaseError, DatabaseUrlError

OK, REFUSED, INVALID, DATABASE = 0, 1, 2, 3
Code = TypeVar("Code")


def _codes_of_heavy_modules() -> dict[type[BaseException], int]:
    """The errors defined beside heavy libraries (aiosmtplib; the outbox's code), imported
    when the table is first read rather than by every command that declares its options."""
    from jobs.ports import OutboxConflict
    from notifications.transport import SmtpPasswordMissing

    return {
        SmtpPasswordMissing: INVALID,
        OutboxConflict: DATABASE,  # lost every retry to busy senders: transient, try again
    }


class _ExitCodes(Mapping[type[BaseException], int]):
    """The table: the entries given, plus those `later` gives, added on first read, so that
    a command that fails on nothing never loads the mail code to declare its exit codes."""

    def __init__(
        self,
        entries: Mapping[type[BaseException], int],
        later: Callable[[], Mapping[type[BaseException], int]],
    ) -> None:
        self._entries = entries
        self._later = later
        self._table: dict[type[BaseException], int] | None = None

    def _resolved(self) -> dict[type[BaseException], int]:
        if self._table is None:
            self._table = {**self._entries, **self._later()}
        return self._table

    def __getitem__(self, error: type[BaseException]) -> int:
        return self._resolved()[error]

    def __iter__(self) -> Iterator[type[BaseException]]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())


EXIT_CODES: Mapping[type[BaseException], int] = _ExitCodes(
    {
        Refused: REFUSED,
        UnknownName: REFUSED,
        InvalidInput: INVALID,
        MalformedId: INVALID,
        ConfigurationError: INVALID,
        CalendarRangeError: INVALID,
        PeriodError: INVALID,
        CadenceError: INVALID,
        DatabaseUrlError: INVALID,
        SecretUnusable: INVALID,
        UnreadableDocument: INVALID,  # concordat extract: a file it cannot read as text
        DatabaseError: DATABASE,
        ConcordatError: REFUSED,
    },
    _codes_of_heavy_modules,
)


def lookup(table: Mapping[type[BaseException], Code], error: BaseException) -> Code | None:
    """The entry for the most specific class of `error` the table names, or None."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


def exit_code(error: BaseException) -> int | None:
    """The exit code for `error`, or None for an error no one expected (a bug: let it
    show its traceback)."""
    return lookup(EXIT_CODES, error)
