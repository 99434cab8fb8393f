"""Facts: things that happened in the real world, recorded once and never changed.

Each fact is a frozen, past-tense dataclass. The fact log of an agreement, folded in order
(`lifecycle.state.fold`), decides what is due: a served notice ends the term, a raised dispute
starts a procedure ladder, a moved meeting replaces one occurrence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Fact:
    """Base of every fact: the agreement it concerns and the day it happened."""

    type_name: ClassVar[str] = "fact"
    agreement: str
    on: dt.date


@dataclass(frozen=True)
class NoticeServed(Fact):
    type_name: ClassVar[str] = "notice_served"
    by: str
    ending: dt.date
    agreed_by: tuple[str, ...] = ()
    """Every party, when they agreed `ending` outside the notice rule; empty otherwise."""


@dataclass(frozen=True)
class NoticeWithdrawn(Fact):
    type_name: ClassVar[str] = "notice_withdrawn"


@dataclass(frozen=True)
class ProcedureStarted(Fact):
    type_name: ClassVar[str] = "procedure_started"
    case: str
    procedure: str
    by: str
    summary: str


@dataclass(frozen=True)
class ProcedureEscalated(Fact):
    type_name: ClassVar[str] = "procedure_escalated"
    case: str


@dataclass(frozen=True)
class ProcedureClosed(Fact):
    type_name: ClassVar[str] = "procedure_closed"
    case: str
    outcome: str


@dataclass(frozen=True)
class MeetingMoved(Fact):
    type_name: ClassVar[str] = "meeting_moved"
    meeting: str
    occurrence: dt.date
    to: dt.datetime


@dataclass(frozen=True)
class MeetingCancelled(Fact):
    type_name: ClassVar[str] = "meeting_cancelled"
    meeting: str
    occurrence: dt.date


@dataclass(frozen=True)
class VariationProposed(Fact):
    type_name: ClassVar[str] = "variation_proposed"
    variation: str
    summary: str


@dataclass(frozen=True)
class VariationSigned(Fact):
    type_name: ClassVar[str] = "variation_signed"
    variation: str
    by: str


@dataclass(frozen=True)
class TermExtended(Fact):
    type_name: ClassVar[str] = "term_extended"
    to: dt.date


FACT_TYPES: dict[str, type[Fact]] = {
    cls.type_name: cls
    for cls in (NoticeServed, NoticeWithdrawn, ProcedureStarted, ProcedureEscalated,
                ProcedureClosed, MeetingMoved, MeetingCancelled, VariationProposed,
                VariationSigned, TermExtended)
}  # fmt: skip


def to_payload(fact: Fact) -> dict[str, Any]:
    """The fact's own fields (beyond agreement and day) as JSON-ready values.

    A field added later with a default is left out while it holds that default, so facts
    that do not use it are stored (and digested by the planner) exactly as before it existed.
    """
    return {
        field.name: _encode(getattr(fact, field.name))
        for field in dataclasses.fields(fact)
        if field.name not in ("agreement", "on") and getattr(fact, field.name) != field.default
    }


def from_payload(type_name: str, agreement: str, on: dt.date, payload: dict[str, Any]) -> Fact:
    """Rebuild a fact from its stored form; the inverse of `to_payload`."""
    cls = FACT_TYPES[type_name]
    hints = _field_types(type_name)
    values = {name: _decode(hints[name], value) for name, value in payload.items()}
    return cls(agreement=agreement, on=on, **values)


@functools.cache
def _field_types(type_name: str) -> dict[str, Any]:
    """A fact class's resolved field types; cached because resolving them is slow and every
    stored fact is rebuilt on every plan."""
    return typing.get_type_hints(FACT_TYPES[type_name])


def _encode(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _decode(hint: object, value: Any) -> object:
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if hint is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    return value
