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
    head = " ".join(text.split()[:400]).lower()
    return any(
        words in head for words in ("report of", "report to", "this report", "of the report")
    )


def _numbers(ref: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ref.split("."))


def _follows(previous: tuple[int, ...] | None, candidate: tuple[int, ...]) -> bool:
    """Whether `candidate` can be the clause after `previous`: the next at some level, a
    first sub-clause, a restart at 1, or a small jump (a clause the text lost)."""
    if previous is None:
        return True
    if candidate[0] == 1 and len(candidate) == 1:
        return True
    if len(candidate) == 1:
        return previous[0] - 3 <= candidate[0] <= previous[0] + MAX_JUMP
    top = candidate[0]
    return previous[0] - 3 <= top <= previous[0] + MAX_JUMP


def _clause_line(
    line: str, previous: tuple[int, ...] | None, nested: bool
) -> tuple[str, str] | None:
    """(the clause number, the rest of the line) when `line` starts a clause. Once the text
    has used sub-clauses ("4.2"), a bare number starts a clause only as a capitalised
    heading ("5. CONSULTATION"): a "1." below "4.2" is a list inside the clause."""
    if _CONTENTS.search(line) or line.count("\t") >= 2:
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
    if not _follows(previous, numbers):
        return None
    if nested and len(numbers) == 1:
        letters = [c for c in rest.replace("*", "") if c.isalpha()]
        heading = bool(letters) and all(c.isupper() for c in letters)
        after = previous[0] if previous else 0
        if not heading or not after < numbers[0] <= after + 3:
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
    previous: tuple[int, ...] | None = None
    nested = False
    for index, line in enumerate(lines):
        special = _recommendation(line) or _schedule(line)
        if special is not None:
            starts.append((index, special, line.strip()))
            continue
        found = _clause_line(line, previous, nested)
        if found is not None:
            nested = nested or "." in found[0]
            starts.append((index, found[0], found[1]))
            previous = _numbers(found[0])
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
