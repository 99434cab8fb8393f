"""What the phrase rules find: one dataclass per kind of clock, each with its sources.

A finding says where it came from (`Source`: the clause and the few words), how it was read
(`reading`, for the report) and what a reviewer must check (`checks`: the alternatives of an
ambiguous reading). Findings of the same clock in several clauses are merged, keeping every
source, so the draft cites them all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Literal

from extract.words import Duration

QUOTE_WORDS = 14  # at most this many words of the source are quoted
MAX_SOURCES = 12  # a clock stated in more clauses than this cites the first twelve


@dataclass(frozen=True)
class Source:
    """Where a reading came from: the clause as cited and the words read."""

    label: str  # "cl. 6.2", "para 17", "Rec. 10", "preamble"
    ref: str  # "6.2", "" for the preamble
    quote: str
    line: int


@dataclass(frozen=True)
class Finding:
    """Base of every finding: its sources, how it was read, and what to check."""

    sources: tuple[Source, ...]
    reading: str
    checks: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def source(self) -> Source:
        """The first (main) source."""
        return self.sources[0]

    def clause(self) -> str:
        """Every distinct clause cited, main first: "cl. 12.1, preamble"."""
        return ", ".join(dict.fromkeys(s.label for s in self.sources))

    def merged(self, other: Finding) -> Finding:
        """This finding, also citing `other`'s sources and checks."""
        room = MAX_SOURCES - len(self.sources)
        fresh = tuple(s for s in other.sources if s not in self.sources)[: max(room, 0)]
        sources = self.sources + fresh
        checks = self.checks + tuple(c for c in other.checks if c not in self.checks)
        return replace(self, sources=sources, checks=checks)


@dataclass(frozen=True)
class TermLength(Finding):
    """ "for a period of five years", "for up to nine years", or open ("until terminated")."""

    length: Duration | None  # None: open-ended
    up_to: bool = False


@dataclass(frozen=True)
class TermStart(Finding):
    """ "shall commence on 1 April 2022"; `day_assumed` for "from October 2024"."""

    date: dt.date
    day_assumed: bool = False


@dataclass(frozen=True)
class TermEnd(Finding):
    """The last day stated: the end of "(1 April 2019 - 31 March 2024)"."""

    date: dt.date
    began: dt.date | None = None  # the range's first day, when a range gave the end


@dataclass(frozen=True)
class Notice(Finding):
    """Notice to terminate or withdraw."""

    period: Duration
    fy_end: bool
    written: bool
    other_date_agreed: bool


CadenceKind = Literal["meeting", "review"]


@dataclass(frozen=True)
class Cadence(Finding):
    """A meeting or review that repeats."""

    kind: CadenceKind
    name: str
    frequency: str  # as the configuration writes it: "quarterly", "every 2 months"
    starts: dt.date | None = None
    ambiguous: str | None = None  # the word read ("bi-annual"), when it has two readings
    after_period_end: Duration | None = None  # "within 30 days of the end of each quarter"
    financial_year: bool = False  # the period is the financial year (ends 31 March)
    each_year_on: tuple[int, int] | None = None  # (month, day): "by 30 June each year"


@dataclass(frozen=True)
class Deadline(Finding):
    """A one-off date, or a period after or before another date."""

    key: str  # a short id-like key ("existing-contract-expires")
    title: str
    date: dt.date | None = None
    of: str | None = None  # "start", "end", or another deadline's key
    after: Duration | None = None
    day_note: str | None = None  # "day assumed: the 1st" when only a month was given


@dataclass(frozen=True)
class Step:
    """One rung of a ladder."""

    title: str
    window: Duration | None = None
    counted_from_start: bool = False
    source: Source | None = None  # where this rung was read, when known


@dataclass(frozen=True)
class Ladder(Finding):
    """A procedure: a dispute ladder or an information request."""

    key: str  # "dispute", "information-request"
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Note(Finding):
    """Read and reported, but not a clock: a variation rule, an option to extend, a past
    event, a recommendation not yet agreed, a binding statement, the parties."""

    topic: str  # "variation", "extension", "history", "proposal", "binding", "definition"


def quote(text: str, start: int, end: int) -> str:
    """The few words around `text[start:end]`, with "..." where words were left out."""
    words_before = text[:start].split()
    middle = text[start:end].split()
    words_after = text[end:].split()
    room = max(QUOTE_WORDS - len(middle), 0)
    before = words_before[-(room // 2) :] if room // 2 else []
    after = words_after[: room - len(before)]
    if len(middle) > QUOTE_WORDS:
        middle = [*middle[: QUOTE_WORDS // 2], "...", *middle[-QUOTE_WORDS // 2 :]]
    head = "... " if len(before) < len(words_before) else ""
    tail = " ..." if len(after) < len(words_after) else ""
    joined = re.sub(r"\s+([,;:)]|\.(?!\.))", r"\1", " ".join([*before, *middle, *after]))
    return (head + joined + tail).strip(" ,;:")
