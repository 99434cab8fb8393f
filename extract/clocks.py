"""An agreement file's clocks, as a reader would list them, and a clock-by-clock comparison.

`concordat extract` is judged against the hand-written examples: did it find the clocks the
agreement states (recall), are the clocks it claims to have found really there (precision),
and does it cite the right clause for each? A TOML file says more than its values: every
value line's trailing comment cites the clause (`# cl. 6.2: "..."`) or marks the value as
chosen (`# assumed: ...`). `tomllib` drops comments, so the values are parsed with it and
each key's line (`config.locate.key_lines`) is read again for its comment.

A clock's value is normalised (periods by `Period`, frequencies by their RRULE) so that
"six monthly" and "twice a year", or "20 working days" and "20 operational days", compare
equal; a value that cannot be read is kept as written, lowercased, and equals only itself.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from config.locate import key_lines
from lifecycle.cadence import friendly_to_rrule
from lifecycle.errors import CadenceError, PeriodError
from lifecycle.periods import Period

ClockKind = Literal["term", "notice", "meeting", "review", "deadline", "step"]

# Any date serves: the RRULE of a frequency without a day rule only depends on the anchor's
# day of the month when it is after the 28th.
_RULE_ANCHOR = dt.date(2001, 1, 1)
_RULE_NAMES: dict[tuple[str, int], str] = {
    ("DAILY", 1): "daily",
    ("WEEKLY", 1): "weekly",
    ("WEEKLY", 2): "fortnightly",
    ("MONTHLY", 1): "monthly",
    ("MONTHLY", 3): "quarterly",
    ("MONTHLY", 6): "six-monthly",
    ("YEARLY", 1): "annually",
}
_UNIT_NAMES = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}

_CLAUSE_PREFIX = re.compile(r"^(?:clauses?|cls?|paragraphs?|paras?|items?|§)(?![a-z])\.?\s*")
_RECOMMENDATION = re.compile(r"^rec(?:ommendation)?s?\.?\s*(?P<ref>\d+[a-z]?)\b")
_NUMBERED = re.compile(
    r"^(?P<first>\d+(?:\.\d+)*[a-z]?)(?:\s*[-–]\s*(?P<last>\d+(?:\.\d+)*[a-z]?))?(?![\w.])"
)
# A qualifier after a space, "(first)" or "(assumed reading)"; not "s.10(1)" nor "(a)".
_QUALIFIER = re.compile(r"\s+\((?![a-z0-9]{1,3}\))[^()]*\)")
_LONGEST_RANGE = 50


@dataclass(frozen=True)
class Clock:
    """One clock of an agreement file.

    `stated` is False when the value line's comment begins with "assumed": the value was
    chosen, not read in the agreement. `anchor` is the date the clock counts from when the
    file gives one (the term's start, a cadence's `starts`); `line` is the value's line."""

    kind: ClockKind
    value: str
    anchor: dt.date | None
    clauses: frozenset[str]
    stated: bool
    anchor_stated: bool
    line: int
    label: str

    def describe(self) -> str:
        """One line for a report: `meeting monthly {5.12} anchor 2008-04-01 (team, line 9)`."""
        refs = ", ".join(sorted(self.clauses, key=_natural)) or "no clause"
        anchor = f" from {self.anchor.isoformat()}" if self.anchor and self.anchor_stated else ""
        assumed = "" if self.stated else " [assumed]"
        where = f"({self.label}, line {self.line})"
        return f"{self.kind} {self.value}{anchor} {{{refs}}}{assumed} {where}"


@dataclass(frozen=True)
class Comparison:
    """What a draft's clocks (`found`) give against the reference's (`expected`).

    `pairs` match stated expected clocks one-to-one with stated found ones. `clause_wrong`
    pairs (found, expected) clocks left over that agree on kind, value and anchor but cite
    disjoint clauses; both sides of such a pair are also in `missed` and `unmatched`."""

    expected: tuple[Clock, ...]
    found: tuple[Clock, ...]
    pairs: tuple[tuple[Clock, Clock], ...]  # (expected, found)
    clause_wrong: tuple[tuple[Clock, Clock], ...]  # (found, expected)
    missed: tuple[Clock, ...]  # stated expected clocks with no pair
    unmatched: tuple[Clock, ...]  # stated found clocks with no pair
    supported: int  # stated found clocks matching some expected clock, stated or assumed

    @property
    def expected_stated(self) -> int:
        """The clocks the agreement states, by the reference: recall's denominator."""
        return sum(1 for clock in self.expected if clock.stated)

    @property
    def found_stated(self) -> int:
        """The clocks the draft claims to have read: precision's denominator."""
        return sum(1 for clock in self.found if clock.stated)

    @property
    def matched(self) -> int:
        """Stated expected clocks found with the right value, anchor and a right clause."""
        return len(self.pairs)

    @property
    def recall(self) -> float:
        """matched / expected stated (1.0 when nothing is expected)."""
        return _ratio(self.matched, self.expected_stated)

    @property
    def precision(self) -> float:
        """supported / found stated (1.0 when the draft claims nothing)."""
        return _ratio(self.supported, self.found_stated)

    @property
    def clause_right(self) -> float:
        """matched / (matched + clause wrong): how often a found clock cites its clause."""
        return _ratio(self.matched, self.matched + len(self.clause_wrong))


def _natural(ref: str) -> list[tuple[int, str]]:
    """Sort key putting "5.3" before "11.5": digit runs compare as numbers."""
    return [(int(run), "") if run.isdigit() else (-1, run) for run in re.findall(r"\d+|\D+", ref)]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


# --- Reading a file -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lines:
    """A file's lines and where each key path is, to read a value's trailing comment."""

    lines: Sequence[str]
    where: Mapping[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int:
        """The 1-based line of `path`, or 0 when the key is not in the file."""
        return self.where.get(path, 0)

    def comment(self, path: str) -> str:
        """The trailing comment of `path`'s line, without "#" ("" when there is none)."""
        number = self.line(path)
        return trailing_comment(self.lines[number - 1]) if number else ""

    def stated(self, path: str) -> bool:
        """False when the key's comment begins with "assumed"."""
        return not self.comment(path).lower().startswith("assumed")


def read_clocks(text: str) -> list[Clock]:
    """The clocks of an agreement TOML text, in file order by kind: term, notice, meetings,
    reviews, deadlines, procedure steps with a window. Raises `tomllib.TOMLDecodeError`
    when the text is not TOML; keys of the wrong type are read as text, not refused (the
    loader's checks are `concordat validate`'s business)."""
    data = tomllib.loads(text)
    lines = _Lines(text.splitlines(), key_lines(text))
    clocks: list[Clock] = []
    term = data.get("term")
    if isinstance(term, dict):
        clocks.append(_term_clock(term, lines))
    notice = data.get("notice")
    if isinstance(notice, dict) and "period" in notice:
        clocks.append(_notice_clock(notice, lines))
    cadences: tuple[tuple[ClockKind, str], ...] = (("meeting", "meetings"), ("review", "reviews"))
    for kind, key in cadences:
        for index, table in _tables(data, key):
            if "frequency" in table:
                clocks.append(_cadence_clock(kind, table, f"{key}[{index}]", lines))
    deadlines = {str(table.get("id")): table for _, table in _tables(data, "deadlines")}
    for index, table in _tables(data, "deadlines"):
        clock = _deadline_clock(table, f"deadlines[{index}]", lines, deadlines)
        if clock is not None:
            clocks.append(clock)
    for index, procedure in _tables(data, "procedures"):
        clocks += _step_clocks(procedure, f"procedures[{index}]", lines)
    return clocks


def _tables(data: Mapping[str, Any], key: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    value = data.get(key)
    if isinstance(value, list):
        for index, table in enumerate(value):
            if isinstance(table, dict):
                yield index, table


def _term_clock(term: Mapping[str, Any], lines: _Lines) -> Clock:
    if "end" in term:
        value, key = f"until {_iso(term['end'])}", "end"
    elif "length" in term:
        length = normalise_period(str(term["length"]))
        value, key = (f"up to {length}" if term.get("up_to") else length), "length"
    else:
        value, key = "open", "clause"
    path = f"term.{key}" if f"term.{key}" in lines.where else "term"
    anchor = _date(term.get("start"))
    return Clock(
        kind="term",
        value=value,
        anchor=anchor,
        clauses=clause_refs(str(term.get("clause", ""))),
        stated=lines.stated(path),
        anchor_stated=anchor is not None and lines.stated("term.start"),
        line=lines.line(path),
        label="term",
    )


def _notice_clock(notice: Mapping[str, Any], lines: _Lines) -> Clock:
    value = normalise_period(str(notice["period"]))
    if notice.get("fy_end") is True:
        value += " fy_end"
    return Clock(
        kind="notice",
        value=value,
        anchor=None,
        clauses=clause_refs(str(notice.get("clause", ""))),
        stated=lines.stated("notice.period"),
        anchor_stated=False,
        line=lines.line("notice.period"),
        label="notice",
    )


def _cadence_clock(kind: ClockKind, table: Mapping[str, Any], path: str, lines: _Lines) -> Clock:
    anchor = _date(table.get("starts"))
    return Clock(
        kind=kind,
        value=normalise_frequency(str(table["frequency"])),
        anchor=anchor,
        clauses=clause_refs(str(table.get("clause", ""))),
        stated=lines.stated(f"{path}.frequency"),
        anchor_stated=anchor is not None and lines.stated(f"{path}.starts"),
        line=lines.line(f"{path}.frequency"),
        label=f"{path.split('[')[0]}.{table.get('id', path)}",
    )


def _deadline_clock(
    table: Mapping[str, Any], path: str, lines: _Lines, deadlines: Mapping[str, Mapping[str, Any]]
) -> Clock | None:
    value = deadline_value(table, deadlines)
    if value is None:
        return None
    key = "date" if "date" in table else "after" if "after" in table else "before"
    return Clock(
        kind="deadline",
        value=value,
        anchor=None,
        clauses=clause_refs(str(table.get("clause", ""))),
        stated=lines.stated(f"{path}.{key}"),
        anchor_stated=False,
        line=lines.line(f"{path}.{key}"),
        label=f"deadlines.{table.get('id', path)}",
    )


def deadline_value(
    table: Mapping[str, Any],
    deadlines: Mapping[str, Mapping[str, Any]],
    seen: frozenset[str] = frozenset(),
) -> str | None:
    """ "2023-03-31", or "after 1 year of start"; None for a deadline with neither a date nor
    an offset. A deadline counted from another (`of = "cabinet-call-in"`) names that one's own
    value ("after 2 months of 2023-04-20"): a draft's ids are its own choice, the date is not."""
    if "date" in table:
        return _iso(table["date"])
    direction = "after" if "after" in table else "before" if "before" in table else None
    if direction is None:
        return None
    of = str(table.get("of", "start")).strip().lower()
    seen |= {str(table.get("id"))}
    other = deadlines.get(of)
    if other is not None and of not in seen:
        of = deadline_value(other, deadlines, seen) or of
    return f"{direction} {normalise_period(str(table[direction]))} of {of}"


def _step_clocks(procedure: Mapping[str, Any], path: str, lines: _Lines) -> list[Clock]:
    """A clock per step with a window; the steps cite their procedure's clause."""
    clauses = clause_refs(str(procedure.get("clause", "")))
    clocks: list[Clock] = []
    steps = procedure.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict) or "window" not in step:
            continue
        key = f"{path}.steps[{index}].window"
        clocks.append(
            Clock(
                kind="step",
                value=normalise_period(str(step["window"])),
                anchor=None,
                clauses=clauses,
                stated=lines.stated(key),
                anchor_stated=False,
                line=lines.line(key),
                label=f"procedures.{procedure.get('id', path)}.{step.get('id', index)}",
            )
        )
    return clocks


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _iso(value: object) -> str:
    day = _date(value)
    return day.isoformat() if day is not None else str(value).strip().lower()


def trailing_comment(line: str) -> str:
    """The text after the "#" that starts a line's comment, outside any string, stripped."""
    quote: str | None = None
    escaped = False
    for index, char in enumerate(line):
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[index + 1 :].strip()
    return ""


# --- Normal forms ---------------------------------------------------------------------------


def normalise_period(text: str) -> str:
    """ "six months" -> "6 months", "20 working days" -> "20 operational days"; text that is
    not a period is returned lowercased."""
    try:
        return str(Period.parse(text))
    except PeriodError:
        return " ".join(text.lower().split())


def normalise_frequency(text: str) -> str:
    """One name per cadence: "six monthly", "twice a year" and "every 6 months" are all
    "six-monthly"; "every 12 months" is "annually". Read by the planner's own parser
    (`friendly_to_rrule`); an ambiguous or unknown form ("bi-annual") is kept lowercased."""
    try:
        rule = friendly_to_rrule(text, None, _RULE_ANCHOR)
    except CadenceError:
        return " ".join(text.lower().split())
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    if set(parts) - {"FREQ", "INTERVAL"}:
        return rule.upper()
    freq, interval = parts.get("FREQ", ""), int(parts.get("INTERVAL", "1"))
    if freq == "MONTHLY" and interval % 12 == 0:
        freq, interval = "YEARLY", interval // 12
    elif freq == "DAILY" and interval % 7 == 0:
        freq, interval = "WEEKLY", interval // 7
    if (freq, interval) in _RULE_NAMES:
        return _RULE_NAMES[(freq, interval)]
    unit = _UNIT_NAMES.get(freq)
    return f"every {interval} {unit}s" if unit else rule.upper()


def clause_refs(text: str) -> frozenset[str]:
    """A `clause` string as the set of references it cites.

    "cl. 8.3.2, cl. 8.9" -> {"8.3.2", "8.9"}; "para 17 (first), para 30" -> {"17", "30"};
    "cl. 8.3-8.7" -> {"8.3", ..., "8.7"}; "Rec. 10" -> {"rec 10"}; other references
    ("FEB19/CMDN/88", "FOIA s.10(1)") are kept lowercased. Words after a number
    ("para 2.2 table") are dropped: the number is the reference."""
    refs: set[str] = set()
    for piece in re.split(r"[,;]", _QUALIFIER.sub("", text.lower())):
        refs |= _piece_refs(" ".join(piece.split()))
    return frozenset(refs)


def _piece_refs(piece: str) -> set[str]:
    if not piece:
        return set()
    if match := _RECOMMENDATION.match(piece):
        return {f"rec {match['ref']}"}
    rest = _CLAUSE_PREFIX.sub("", piece, count=1)
    if match := _NUMBERED.match(rest):
        return _expand(match["first"], match["last"])
    return {rest or piece}


def _expand(first: str, last: str | None) -> set[str]:
    """ "8.3"-"8.7" -> 8.3, 8.4, ..., 8.7 ("8.3-7" too); other ranges give their two ends."""
    if last is None:
        return {first}
    head, _, low = first.rpartition(".")
    if "." not in last and head:
        last = f"{head}.{last}"
    last_head, _, high = last.rpartition(".")
    if head != last_head or not (low.isdigit() and high.isdigit()):
        return {first, last}
    start, stop = int(low), int(high)
    if not 0 <= stop - start <= _LONGEST_RANGE:
        return {first, last}
    prefix = f"{head}." if head else ""
    return {f"{prefix}{number}" for number in range(start, stop + 1)}


# --- Comparing ------------------------------------------------------------------------------


def compare(expected: Sequence[Clock], found: Sequence[Clock]) -> Comparison:
    """Match the draft's clocks (`found`) against the reference's (`expected`).

    Only stated clocks take part on either side: an assumed expected clock is not in the
    agreement, so missing it costs nothing; an assumed found clock is no claim, so it earns
    no recall (a lucky default is not a reading) and costs no precision. Matching is greedy,
    in file order, one-to-one: same kind, equal value, intersecting clauses and, when both
    anchors are stated, equal anchors. Precision asks only whether each stated found clock
    is in the reference at all (any expected clock, stated or assumed, of that kind and value
    with a clause in common), so two drafted clocks for one expected clock both count."""
    stated_expected = [clock for clock in expected if clock.stated]
    stated_found = [clock for clock in found if clock.stated]
    pairs = _greedy(stated_expected, stated_found, _matches)
    missed = _left_over(stated_expected, [e for e, _ in pairs])
    unmatched = _left_over(stated_found, [f for _, f in pairs])
    wrong = [(f, e) for e, f in _greedy(missed, unmatched, _same_but_clauses)]
    supported = sum(1 for f in stated_found if any(_supports(e, f) for e in expected))
    return Comparison(
        expected=tuple(expected),
        found=tuple(found),
        pairs=tuple(pairs),
        clause_wrong=tuple(wrong),
        missed=tuple(missed),
        unmatched=tuple(unmatched),
        supported=supported,
    )


def _greedy(
    expected: Sequence[Clock], found: Sequence[Clock], fits: Callable[[Clock, Clock], bool]
) -> list[tuple[Clock, Clock]]:
    pairs: list[tuple[Clock, Clock]] = []
    free = list(found)
    for clock in expected:
        index = next((i for i, candidate in enumerate(free) if fits(clock, candidate)), None)
        if index is not None:
            pairs.append((clock, free.pop(index)))
    return pairs


def _left_over(clocks: Sequence[Clock], taken: Sequence[Clock]) -> list[Clock]:
    """`clocks` less those `taken` (by identity, once each: a draft may repeat a clock)."""
    left = list(clocks)
    for clock in taken:
        left.pop(next(i for i, candidate in enumerate(left) if candidate is clock))
    return left


def _anchors_agree(expected: Clock, found: Clock) -> bool:
    if expected.anchor_stated and found.anchor_stated:
        return expected.anchor == found.anchor
    return True


def _same_but_clauses(expected: Clock, found: Clock) -> bool:
    return (
        expected.kind == found.kind
        and expected.value == found.value
        and _anchors_agree(expected, found)
    )


def _matches(expected: Clock, found: Clock) -> bool:
    return _same_but_clauses(expected, found) and bool(expected.clauses & found.clauses)


def _supports(expected: Clock, found: Clock) -> bool:
    return (
        expected.kind == found.kind
        and expected.value == found.value
        and bool(expected.clauses & found.clauses)
    )
