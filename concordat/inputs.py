"""Text typed by an administrator, read into recording commands: one reader for every door.

The command line's options and the web page's form fields are the same texts under other
names, so both call `build(action, fields, ...)` and get the identical `lifecycle.commands`
object, checked the same way. Every field is read even after one fails, so a form can show
each reason beside its own field (`InvalidFields.errors`); the command line reports the first
(`InvalidFields.first`), the error it always raised.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

from concordat.basics import InvalidInput
from lifecycle import commands as c
from lifecycle.errors import ConcordatError, TextNeeded
from lifecycle.ids import CaseId, VariationId
from lifecycle.localtime import LocalStart, resolve
from lifecycle.text import one_line

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DISPUTE = "dispute"
Fields = Mapping[str, str | tuple[str, ...]]
Spell = Callable[[str], str]
T = TypeVar("T")


class InvalidFields(InvalidInput):
    """Raised when one or more fields cannot be read; `errors` maps each field to its error,
    in the order the fields were read."""

    def __init__(self, errors: dict[str, ConcordatError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors.values()))

    @property
    def first(self) -> ConcordatError:
        """The first field's error: what the command line raises, as it always did."""
        return next(iter(self.errors.values()))


def parse_date(text: str, what: str) -> dt.date:
    """A YYYY-MM-DD date, refused with the reason when impossible (30 Feb) or written
    another way (Python would also read 20091016 or 2025-W10-1)."""
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError as error:
        reason = f"; {error}" if str(error) else ""  # why a well-formed date is impossible
        raise InvalidInput(
            f"{what}: {_shown(text)} is not a valid date (expected YYYY-MM-DD{reason})"
        ) from error


def parse_datetime(text: str, what: str, timezone: ZoneInfo) -> dt.datetime:
    """A date and time such as 2024-11-12T14:00 (local) or with an offset."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidInput(
            f"{what}: {_shown(text)} is not a valid date and time "
            f"(expected YYYY-MM-DDTHH:MM; {error})"
        ) from error
    return moment.replace(tzinfo=timezone) if moment.tzinfo is None else moment


def new_start(text: str, what: str, zone: ZoneInfo) -> dt.datetime | LocalStart:
    """A meeting's new start as typed: a day alone keeps the meeting's own time; a local time
    is kept as typed for the decision to check against the clocks changing; a time with an
    offset is one instant."""
    if "T" not in text and " " not in text:
        return LocalStart(parse_date(text, what), None, zone)
    moment = parse_datetime(text, what, zone)
    if dt.datetime.fromisoformat(text).tzinfo is not None:
        return moment
    return LocalStart(moment.date(), moment.time(), zone)


def check_local_start(command: c.Command) -> None:
    """Refuse a move to a local time the clocks skip or repeat as a field error of `to`,
    before anything is decided (`InvalidFields`); a page shows it beside the field. The
    decision refuses the same time with the same error, so the command line, which reports
    it from there, says the same."""
    if isinstance(command, c.MoveMeeting) and isinstance(command.to, LocalStart):
        local = command.to
        if local.time is not None:
            try:
                resolve(dt.datetime.combine(local.day, local.time), local.zone)
            except ConcordatError as error:
                raise InvalidFields({"to": error}) from error


def _shown(text: str, limit: int = 60) -> str:
    """The typed text as a message quotes it: shortened, so 10 KB of input is not echoed."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True)
class Context:
    """What reading needs besides the texts: the site's time zone (a meeting's new local
    start) and today in it (the default day of a proposal or extension), asked for only
    when used."""

    zone: Callable[[], ZoneInfo]
    today: Callable[[], dt.date]


class _Reader:
    """Reads fields one by one, keeping each field's error and going on, so every reason is
    known at once; `done()` raises them together."""

    def __init__(self, fields: Fields, context: Context, spell: Spell) -> None:
        self.fields, self.context, self.spell = fields, context, spell
        self.errors: dict[str, ConcordatError] = {}

    def text(self, name: str) -> str:
        value = self.fields.get(name, "")
        if isinstance(value, tuple):
            self.errors[name] = InvalidInput(f"{self.spell(name)}: give one value, not several")
            return ""
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.fields.get(name, ())
        return (value,) if isinstance(value, str) else value

    def date(self, name: str) -> dt.date:
        return self._read(name, lambda text: parse_date(text, self.spell(name)), dt.date.min)

    def optional_date(self, name: str, default: Callable[[], dt.date] | None = None) -> dt.date:
        """A day; when left empty, `default()` if there is a default (else the date error)."""
        if not self.text(name) and default is not None:
            return default()
        return self.date(name)

    def maybe_date(self, name: str) -> dt.date | None:
        return self.date(name) if self.text(name) else None

    def case(self, name: str) -> CaseId:
        return self._read(name, CaseId.parse, CaseId("", "", 1))

    def variation(self, name: str) -> VariationId:
        return self._read(name, VariationId.parse, VariationId("", 1))

    def start(self, name: str) -> dt.datetime | LocalStart:
        placeholder: dt.datetime | LocalStart = LocalStart(dt.date.min, None, ZoneInfo("UTC"))
        return self._read(
            name, lambda text: new_start(text, self.spell(name), self.context.zone()), placeholder
        )

    def summary(self, name: str, hint: str) -> str:
        """Free text that must say something (a case's or a variation's summary)."""
        text = self.line(name)
        if not text and name not in self.errors:
            self.errors[name] = TextNeeded(name, hint)
        return self.text(name)

    def line(self, name: str) -> str:
        """Free text that may be empty, checked as the decision will store it."""
        return self._read(name, lambda text: one_line(name, text), "")

    def flag(self, name: str) -> bool:
        return self.text(name) not in ("", "0", "false", "off", "no")

    def done(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)

    def _read(self, name: str, parse: Callable[[str], T], placeholder: T) -> T:
        text = self.text(name)
        if name in self.errors:
            return placeholder
        try:
            return parse(text)
        except ConcordatError as error:
            self.errors[name] = error
            return placeholder


Builder = Callable[[_Reader, str], c.Command]


def _serve(r: _Reader, agreement: str) -> c.Command:
    by, ending, on = r.text("by"), r.maybe_date("ending"), r.date("on")
    agreed_by = r.texts("agreed_by")
    r.done()
    return c.ServeNotice(agreement, by, on, ending, agreed_by)


def _withdraw(r: _Reader, agreement: str) -> c.Command:
    on = r.date("on")
    r.done()
    return c.WithdrawNotice(agreement, on)


def _start(procedure: str | None, hint: str) -> Builder:
    def build(r: _Reader, agreement: str) -> c.Command:
        chosen = procedure if procedure is not None else r.text("procedure")
        by, on, summary = r.text("by"), r.date("on"), r.summary("summary", hint)
        r.done()
        return c.StartProcedure(agreement, chosen, by, on, summary)

    return build


def _escalate(r: _Reader, _agreement: str) -> c.Command:
    case, on = r.case("case"), r.date("on")
    r.done()
    return c.EscalateCase(case, on)


def _close(r: _Reader, _agreement: str) -> c.Command:
    case, on = r.case("case"), r.date("on")
    r.line("outcome")
    r.done()
    return c.CloseCase(case, on, r.text("outcome"))


def _move(r: _Reader, agreement: str) -> c.Command:
    meeting, occurrence, to = r.text("meeting"), r.date("occurrence"), r.start("to")
    r.done()
    return c.MoveMeeting(agreement, meeting, occurrence, to)


def _cancel(r: _Reader, agreement: str) -> c.Command:
    meeting, occurrence = r.text("meeting"), r.date("occurrence")
    r.done()
    return c.CancelMeeting(agreement, meeting, occurrence)


def _propose(r: _Reader, agreement: str) -> c.Command:
    on = r.optional_date("on", r.context.today)
    summary = r.summary("summary", "say what the variation changes")
    r.done()
    return c.ProposeVariation(agreement, on, summary)


def _sign(r: _Reader, _agreement: str) -> c.Command:
    variation, by, on = r.variation("variation"), r.text("by"), r.date("on")
    r.done()
    return c.SignVariation(variation, by, on)


def _extend(r: _Reader, agreement: str) -> c.Command:
    on = r.optional_date("on", r.context.today)
    to = r.date("to")
    beyond = r.flag("beyond_limit")
    r.done()
    return c.ExtendTerm(agreement, to, on, beyond)


BUILDERS: Mapping[str, Builder] = {
    "notice-serve": _serve,
    "notice-withdraw": _withdraw,
    "dispute-raise": _start(DISPUTE, "say what the matter is"),
    "dispute-escalate": _escalate,
    "dispute-resolve": _close,
    "procedure-start": _start(None, "say what the matter is"),
    "procedure-close": _close,
    "meeting-move": _move,
    "meeting-cancel": _cancel,
    "variation-propose": _propose,
    "variation-sign": _sign,
    "extend": _extend,
}
ACTIONS = tuple(BUILDERS)


def build(action: str, agreement: str, fields: Fields, context: Context, spell: Spell) -> c.Command:
    """The command `action` asks for, read from `fields` (name to text, several texts for a
    repeated field); `InvalidFields` with every field's reason when any cannot be read.
    `spell` names a field in messages (`--on` on the command line, "Day" on a page)."""
    builder = BUILDERS.get(action)
    if builder is None:
        raise InvalidInput(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    return builder(_Reader(fields, context, spell), agreement)


def option_name(field: str) -> str:
    """A field as the command line spells it: `agreed_by` is `--agreed-by`."""
    return "--" + field.replace("_", "-")
