"""An agreement's text as numbered passages and sentences.

A clause line is one that starts with a clause number ("6.2", "6.2.", "- 5.12", "12."),
optionally after a bullet, followed by text that starts like a sentence or a heading; a
"Recommendation Ten" or "SCHEDULE 1" heading starts a passage too. Everything up to the next
such line is the clause's passage. Text before the first one is the preamble (cover page,
parties, summary). Lines of a contents page (dot leaders, trailing page numbers) are never
clause lines, and a number that cannot follow the previous one (a wrapped "20 operational
days" at the start of a line, a year) is read as text.

Hard line breaks inside a paragraph, as PDF text has them, are undone before sentences are
split, so a phrase broken over two lines is still read as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extract.words import NUMBER_WORDS

_CLAUSE_LINE = re.compile(
    r"^\s*(?:[-•●*▪]\s*)?(?P<num>\d{1,3}(?:\.\d{1,3}){0,4})(?P<dot>\.?)(?=[\s)]|$)\s*(?P<rest>.*)$"
)
_RECOMMENDATION = re.compile(r"^\s*Recommendation\s+(?P<n>[A-Za-z]+|\d{1,2})\s*$", re.IGNORECASE)
_SCHEDULE = re.compile(r"^\s*(?P<word>SCHEDULE|APPENDIX|ANNEX)\s+(?P<n>\d{1,2}|[A-Z])\b\s*$")
_CONTENTS = re.compile(r"\.{4,}|…{2,}|\t\s*\d{1,3}\s*$")
_BULLET = re.compile(r"^\s*(?:[-•●*▪]|\(?[a-z]{1,3}\)|\d{1,2}\))\s+")
_ABBREVIATIONS = {
    "cl", "para", "paras", "no", "nos", "e.g", "i.e", "eg", "ie", "dr", "mr", "mrs", "ms", "st",
    "s", "rec", "reg", "art", "sch", "vs", "etc", "approx", "inc", "ltd", "co", "cllr", "prof",
}  # fmt: skip
MAX_JUMP = 5  # a clause number more than this far past the last one is text, not a clause

_ORDINAL_WORDS = {2: "second", 3: "third", 4: "fourth"}


@dataclass(frozen=True)
class Passage:
    """One clause (or the preamble): its reference, its text with hard wraps undone, and the
    line of the source where it starts."""

    ref: str  # "6.2", "Rec. 10", "Schedule 1", or "" for the preamble
    label: str  # as the draft cites it: "cl. 6.2", "para 17 (second)", "Rec. 10", "preamble"
    heading: str  # the rest of the clause line ("DURATION, REVIEW AND TERMINATION")
    text: str
    line: int
    paragraphs: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage, with the source line it starts on (approximate for text
    whose lines were joined)."""

    passage: Passage
    text: str
    line: int


def cites_paragraphs(text: str) -> bool:
    """True for a report ("Report of the Director ..."), whose numbers are paragraphs;
    agreements have clauses."""
    words = text.split()
    heading, head = " ".join(words[:80]).lower(), " ".join(words[:400]).lower()
    return "report of the" in heading or any(w in head for w in ("this report", "of the report"))


def _numbers(ref: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ref.split("."))


_CLAUSE_WORD = re.compile(
    r"^\s*(?:Clause|CLAUSE)\s+(?P<num>\d{1,3}(?:\.\d{1,3}){0,4})"
    r"\s*(?P<sep>[-–—:.]?)\s*(?P<rest>.*)$"
)


def _heading(rest: str) -> bool:
    """ "CONSULTATION", or a short title ("Dispute Resolution") with no full stop."""
    letters = [c for c in rest.replace("*", "") if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return True
    words = rest.split()
    small = {"and", "of", "the", "for", "to", "in", "on", "a", "an", "or", "by", "with"}
    return (
        0 < len(words) <= 8
        and not rest.rstrip().endswith((".", ";", ","))
        and all(w[0].isupper() or w.lower() in small or not w[0].isalpha() for w in words)
    )


@dataclass
class _Numbering:
    """Where the clause numbering is: the last clause number, whether sub-clauses have been
    used, and the count of a numbered list running inside a clause ("1. ... 5.")."""

    previous: tuple[int, ...] | None = None
    nested: bool = False
    list_count: int = 0

    def accept(self, numbers: tuple[int, ...], rest: str, dotted: bool) -> bool:
        """Whether a line numbered `numbers` starts the next clause; updates the state."""
        accepted = self._follows(numbers, rest, dotted)
        if accepted:
            self.previous = numbers
            self.nested = self.nested or len(numbers) > 1
            self.list_count = 0
        return accepted

    def _follows(self, numbers: tuple[int, ...], rest: str, dotted: bool) -> bool:
        previous = self.previous
        if previous is None:
            return True
        if numbers[0] < previous[0] - 3 and numbers != (1,):
            return False  # far back: a cross-reference or a list, not the next clause
        if len(numbers) > 1:
            return True
        if not self.nested:
            return numbers == (1,) or numbers[0] <= previous[0] + MAX_JUMP or _heading(rest)
        if _heading(rest) and numbers[0] > previous[0]:
            return True
        if numbers == (1,) or (self.list_count and numbers[0] == self.list_count + 1):
            self.list_count = numbers[0]  # "1." below "4.2": a list inside the clause
            return False
        return dotted and numbers[0] == previous[0] + 1


def _clause_line(line: str, numbering: _Numbering) -> tuple[str, str] | None:
    """(the clause number, the rest of the line) when `line` starts a clause. Once the text
    has used sub-clauses ("4.2"), a bare number starts a clause as a heading ("5.
    CONSULTATION") or as the very next number; a "1." below "4.2" starts a list inside the
    clause, and the numbers that continue that list are the list's."""
    if _CONTENTS.search(line) or line.count("\t") >= 2:
        return None
    worded = _CLAUSE_WORD.match(line)
    if worded is not None:
        rest = worded["rest"].strip()
        if (worded["sep"] or not rest or _heading(rest)) and (not rest or not rest[0].islower()):
            numbering.accept(_numbers(worded["num"]), rest, True)
            numbering.previous = _numbers(worded["num"])
            return worded["num"], rest
        return None
    match = _CLAUSE_LINE.match(line)
    if match is None:
        return None
    number, rest = match["num"], match["rest"].strip()
    numbers = _numbers(number)
    if numbers[0] == 0 or numbers[0] > 300:
        return None
    starts_like_text = not rest or rest[0].isupper() or rest[0] in "(“\"'*[<"
    if not starts_like_text:
        return None
    if not match["dot"] and len(numbers) == 1 and rest and not rest[0].isupper():
        return None
    if not numbering.accept(numbers, rest, bool(match["dot"]) or len(numbers) > 1):
        return None
    return number, rest


def _recommendation(line: str) -> str | None:
    match = _RECOMMENDATION.match(line)
    if match is None:
        return None
    word = match["n"].lower()
    if word.isdigit():
        return f"Rec. {int(word)}"
    value = NUMBER_WORDS.get(word)
    return None if value is None or word in ("a", "an") else f"Rec. {value}"


def _schedule(line: str) -> str | None:
    match = _SCHEDULE.match(line)
    return None if match is None else f"{match['word'].title()} {match['n']}"


def _unwrap(lines: list[str]) -> tuple[str, ...]:
    """Paragraphs: blank lines and bullets separate them; other line breaks are wraps."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped or _BULLET.match(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            if not stripped:
                continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return tuple(_BULLET.sub("", _spaces(p.replace("**", "")), count=1) for p in paragraphs)


def _spaces(text: str) -> str:
    """Runs of spaces as one; tabs (table cells) are kept, so "2<tab>June 2022" is not read
    as a date."""
    return re.sub(r"[^\S\t]+", " ", text).strip()


def passages(text: str) -> list[Passage]:
    """The text's passages in order: the preamble, then one per clause."""
    prefix = "para" if cites_paragraphs(text) else "cl."
    lines = text.split("\n")
    starts: list[tuple[int, str, str]] = [(0, "", "")]  # (line index, ref, heading)
    numbering = _Numbering()
    for index, line in enumerate(lines):
        special = _recommendation(line) or _schedule(line)
        if special is not None:
            starts.append((index, special, line.strip()))
            continue
        found = _clause_line(line, numbering)
        if found is not None:
            starts.append((index, found[0], found[1]))
    starts = _without_front_lists(starts)
    result: list[Passage] = []
    seen: dict[str, int] = {}
    for position, (index, ref, heading) in enumerate(starts):
        end = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        body = lines[index:end]
        if ref and not ref.startswith(("Rec.", "Schedule", "Appendix", "Annex")):
            body = [heading, *body[1:]]
        elif ref:
            body = body[1:]
        paragraphs = _unwrap(body)
        if not paragraphs and not ref:
            continue
        seen[ref] = seen.get(ref, 0) + 1
        result.append(
            Passage(
                ref,
                _label(ref, prefix, seen[ref]),
                heading,
                "\n".join(paragraphs),
                index + 1,
                paragraphs,
            )
        )
    return result


def _without_front_lists(starts: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The numbered lists before the body (a cover page's list of partners, a front sheet's
    items) belong to the preamble: the body is where "1" is followed by "1.1"."""
    body = None
    for position in range(len(starts) - 1):
        if starts[position][1] == "1" and starts[position + 1][1].startswith("1."):
            body = position
    if body is None:
        return starts
    front = [s for s in starts[1:body] if not s[1].replace(".", "").isdigit()]
    return [starts[0], *front, *starts[body:]]


def _label(ref: str, prefix: str, occurrence: int) -> str:
    if not ref:
        return "preamble"
    label = ref if ref.startswith(("Rec.", "Schedule", "Appendix", "Annex")) else f"{prefix} {ref}"
    if occurrence > 1:
        label += f" ({_ORDINAL_WORDS.get(occurrence, f'{occurrence}th')})"
    return label


_SENTENCE_END = re.compile(r"[.!?](?:[”\"')\]]*)\s+(?=[“\"'(]?[A-Z0-9])")


def sentences(passage: Passage) -> list[Sentence]:
    """The passage's sentences, paragraph by paragraph."""
    found: list[Sentence] = []
    for paragraph in passage.paragraphs:
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            before = paragraph[start : match.start()].split()
            last_word = before[-1].lower().rstrip(".") if before else ""
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]|\d+(\.\d+)*", last_word):
                continue
            piece = paragraph[start : match.start() + 1].strip()
            if piece:
                found.append(Sentence(passage, piece, passage.line))
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            found.append(Sentence(passage, tail, passage.line))
    return found
