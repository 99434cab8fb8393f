"""From an agreement's text to a draft agreement file and a report.

`read_findings` runs every phrase rule over every sentence (and the ladder rule over every
clause) and merges what several clauses say about the same clock. `draft_from_text` writes
the draft in the examples' style: each value with a trailing comment citing its clause and
the words it came from, "# assumed" on every value the drafter chose, "# check" with the
alternatives on every ambiguous reading. The report lists, clause by clause, what was read
and how, and every sentence that mentions time but was not understood.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TypeVar

from dateutil.relativedelta import relativedelta

from config.bank_holidays_file import CALENDAR_YEARS, england_calendar
from extract.clauses import Passage, Sentence, passages, sentences
from extract.findings import (
    Cadence,
    Deadline,
    Finding,
    Ladder,
    Note,
    Notice,
    Source,
    TermEnd,
    TermLength,
    TermStart,
)
from extract.parties import PartyReading, parties
from extract.phrases import (
    LADDER_EVENT,
    MENTIONS_TIME,
    SENTENCE_RULES,
    Context,
    counted_deadlines,
    ladder,
)
from extract.words import dates_in
from lifecycle.cadence import friendly_to_rrule, parse_rrule

FIRST_YEAR, LAST_YEAR = CALENDAR_YEARS  # dates outside them do not load
F = TypeVar("F", bound=Finding)
COMMENT_COLUMN = 59  # trailing comments start here, as in config/examples
_DEFINED_DAYS = re.compile(
    r"\b(?P<word>operational|working|business)\s+days?\b[^.\n]{0,40}?\b(?:a|any)\s+day\s+"
    r"(?:other\s+than|(?:which|that)\s+is\s+not)\s+(?:a\s+)?Saturday,?\s+(?:or\s+)?(?:a\s+)?"
    r"Sunday,?\s+(?:or\s+)?(?:a\s+)?(?:public\s+or\s+)?(?:bank|public)\s+holiday\s+in\s+"
    r"England",
    re.IGNORECASE,
)
_KINDS = (
    ("section-75", re.compile(r"\bsection\s*75\b", re.IGNORECASE)),
    ("section-31", re.compile(r"\bsection\s*31\b", re.IGNORECASE)),
    ("cooperation", re.compile(r"\bco-?operat(?:ion|ive)\s+(?:agreement|arrangement)", re.I)),
    ("collaboration", re.compile(r"\bcollaboration\s+agreement\b", re.IGNORECASE)),
)


@dataclass
class Reading:
    """Everything read from one text: findings by kind, notes, and unread sentences."""

    passages: list[Passage]
    findings: list[Finding] = field(default_factory=list)
    unread: list[Source] = field(default_factory=list)
    defined_days: frozenset[str] = frozenset()

    def of(self, kind: type[F]) -> list[F]:
        """The findings of one kind, in document order."""
        return [f for f in self.findings if isinstance(f, kind)]

    def notes(self, *topics: str) -> list[Note]:
        """The notes on any of `topics`, in document order."""
        return [n for n in self.of(Note) if n.topic in topics]


@dataclass(frozen=True)
class Draft:
    """What `concordat extract` writes: the agreement TOML and the Markdown report, with
    counts for the command's summary line."""

    toml: str
    report: str
    clocks: int
    checks: int
    assumed: int
    unread: int


def read_findings(text: str) -> Reading:
    """Every finding in `text`, merged across clauses, with the sentences left unread."""
    found_passages = passages(text)
    defined = frozenset(m["word"].lower() for m in _DEFINED_DAYS.finditer(" ".join(text.split())))
    reading = Reading(found_passages, defined_days=defined)
    year: int | None = None
    for passage in found_passages:
        passage_sentences = sentences(passage)
        for sentence in passage_sentences:
            context = Context(year, defined)
            found = [f for rule in SENTENCE_RULES for f in rule(sentence, context)]
            reading.findings += found
            years = [d.year for d in dates_in(sentence.text) if d.year is not None]
            year = years[-1] if years else year
            if not found and MENTIONS_TIME.search(sentence.text):
                reading.unread.append(_whole(sentence))
        context = Context(year, defined)
        reading.findings += counted_deadlines(passage_sentences, context)
    for group in _clause_groups(found_passages):
        reading.findings += ladder(group, Context(year, defined))
    reading.unread = [s for s in reading.unread if not _was_read(s, reading.findings)]
    reading.findings = _merge(reading.findings)
    return reading


def _was_read(sentence: Source, findings: list[Finding]) -> bool:
    """Whether a clause-level rule (a ladder, a counted deadline) read words of this
    sentence, which the sentence rules alone had left unread."""
    for finding in findings:
        cited = any(s.label == sentence.label for s in finding.sources)
        if isinstance(finding, Ladder) and cited and LADDER_EVENT.search(sentence.quote):
            return True
        for found in finding.sources:
            core = found.quote.removeprefix("... ").removesuffix(" ...")
            if found.label == sentence.label and core and core in sentence.quote:
                return True
    return False


def _clause_groups(found: list[Passage]) -> list[list[Passage]]:
    """Consecutive passages of one top-level clause (20, 20.1, 20.2 ...) together; every
    other passage alone."""
    groups: list[list[Passage]] = []
    key: str | None = None
    for passage in found:
        top = passage.ref.split(".")[0] if passage.ref[:1].isdigit() else None
        if top is not None and top == key and groups:
            groups[-1].append(passage)
        else:
            groups.append([passage])
        key = top
    return groups


def _whole(sentence: Sentence) -> Source:
    return Source(sentence.passage.label, sentence.passage.ref, sentence.text, sentence.line)


def _shortened(text: str, words: int = 30) -> str:
    split = text.split()
    return " ".join(split[:words]) + (" ..." if len(split) > words else "")


def _same_clock(a: Finding, b: Finding) -> bool:
    """Whether two findings describe the same clock (to be cited once, from both clauses)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Cadence) and isinstance(b, Cadence):
        if a.kind != b.kind or a.frequency != b.frequency:
            return False
        if a.starts and b.starts:
            return a.starts == b.starts
        words_a, words_b = _name_words(a.name), _name_words(b.name)
        return bool(words_a) and (words_a <= words_b or words_b <= words_a)
    if isinstance(a, Deadline) and isinstance(b, Deadline):
        if a.date is not None:
            return a.date == b.date
        return a.of == b.of and a.after == b.after and b.date is None
    if isinstance(a, Ladder) and isinstance(b, Ladder):
        return a.key == b.key
    if isinstance(a, TermLength) and isinstance(b, TermLength):
        return a.length == b.length
    if isinstance(a, TermStart) and isinstance(b, TermStart):
        return a.date == b.date
    if isinstance(a, Notice) and isinstance(b, Notice):
        return a.period == b.period and a.fy_end == b.fy_end
    return isinstance(a, TermEnd) and isinstance(b, TermEnd) and a.date == b.date


def _name_words(name: str) -> frozenset[str]:
    words = {w.rstrip("s") for w in re.findall(r"[a-z]+", name.lower())}
    generic = {"the", "of", "and", "meeting", "a", "programme", "review", "report", "on", "to",
               "agree", "each", "year", "due", "by", "after", "end", "in"}  # fmt: skip
    return frozenset(words - generic)


def _merge(findings: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for finding in findings:
        for index, kept in enumerate(merged):
            if _same_clock(kept, finding):
                merged[index] = kept.merged(finding)
                break
        else:
            merged.append(finding)
    return merged


# --- Writing the draft ----------------------------------------------------------------------


def _toml_string(text: str) -> str:
    """A TOML basic string on one line."""
    one_line = " ".join(text.split())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment_text(text: str) -> str:
    return " ".join(text.split())


def _cited(finding: Finding, extra: str = "") -> str:
    """`cl. 6.2: "quote"` for a finding's main source, with any other clauses after."""
    main = finding.source
    others = [s.label for s in finding.sources[1:] if s.label != main.label]
    text = f'{main.label}: "{main.quote}"'
    if others:
        text += f" (also {', '.join(dict.fromkeys(others))})"
    if extra:
        text += f" {extra}"
    return text


@dataclass
class Writer:
    """Lines of the draft, each value with its trailing comment; counts what it marks."""

    lines: list[str] = field(default_factory=list)
    assumed: int = 0
    checks: int = 0

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def comment(self, text: str) -> None:
        for line in _wrap(_comment_text(text), 92):
            self.lines.append(f"# {line}")

    def header(self, text: str, comment: str) -> None:
        self.lines.append(self._with_comment(text, comment))

    def value(self, key: str, value: str, comment: str) -> None:
        if comment.startswith("assumed"):
            self.assumed += 1
        if "check:" in comment or comment.startswith("check"):
            self.checks += 1
        self.lines.append(self._with_comment(f"{key} = {value}", comment))

    @staticmethod
    def _with_comment(text: str, comment: str) -> str:
        if not comment:
            return text
        return f"{text.ljust(COMMENT_COLUMN - 1)} # {_comment_text(comment)}"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def _slug(text: str, limit: int = 5) -> str:
    stop = {"the", "a", "an", "of", "to", "and", "for", "by", "in", "on", "with", "at"}
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in stop]
    slug = "-".join(words[:limit])[:60].strip("-")
    return slug if slug and slug[0].isalnum() else f"x{slug}" if slug else "item"


class Ids:
    """Unique ids within one table list."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, text: str) -> str:
        base = _slug(text)
        candidate, number = base, 2
        while candidate in self.used:
            candidate = f"{base}-{number}"
            number += 1
        self.used.add(candidate)
        return candidate


def _caps_line(line: str) -> bool:
    words = re.findall(r"[A-Za-z]{3,}", line)
    letters = [c for c in line if c.isalpha()]
    return bool(words) and len(letters) >= 6 and all(c.isupper() for c in letters)


def _title(text: str, source_name: str) -> str:
    """The document's title: its first capitalised heading (one naming an agreement if
    there is one), with a heading continued on the next line joined to it."""
    lines = [" ".join(line.replace("**", "").split()) for line in text.split("\n")[:80]]
    lines = [line for line in lines if line]
    headings: list[str] = []
    for index, line in enumerate(lines):
        if not _caps_line(line) or re.match(r"^(?:[-•]\s*)?\d|^(?:REPORT OF|DATE\b)", line):
            continue
        heading = line
        if index + 1 < len(lines) and _caps_line(lines[index + 1]) and not line.endswith("."):
            heading = f"{line} {lines[index + 1]}"
        if 10 <= len(heading) <= 160:
            headings.append(heading)
    chosen = next((h for h in headings if "AGREEMENT" in h), headings[0] if headings else None)
    if chosen is None:
        return PurePath(source_name).stem.replace("_", " ").replace("-", " ") or "Agreement"
    return _title_case(chosen)


def _title_case(text: str) -> str:
    small = {"and", "of", "the", "for", "in", "on", "to", "a", "an"}
    words = text.lower().split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _kind(title: str, text: str) -> tuple[str, str]:
    for kind, pattern in _KINDS:
        if pattern.search(title):
            return kind, "title"
    counts = [(len(pattern.findall(text)), kind) for kind, pattern in _KINDS]
    best = max(counts)
    return (best[1], f"named {best[0]} times in the text") if best[0] else ("other", "")


def _agreement_id(given: str | None, title: str) -> str:
    return given if given else _slug(title, 6) or "agreement"


def _assumed_start(reading: Reading) -> tuple[dt.date, str]:
    """No commencement date is stated: the first date of the preamble (a month alone: the
    first of the next month, when a signed agreement would start), else a fixed date."""
    preamble = next((p for p in reading.passages if not p.ref), None)
    for stated in dates_in(preamble.text if preamble else ""):
        first = stated.first_day()
        if first is None or not FIRST_YEAR <= first.year <= LAST_YEAR:
            continue
        if stated.day_stated:
            why = f'the first date of the preamble ("{stated.text}")'
            return first, f"assumed: no commencement date stated; {why}"
        following = first + relativedelta(months=1)
        why = f'the month after the document\'s date ("{stated.text}")'
        return following, f"assumed: no commencement date stated; {why}"
    ends = [e.date for e in reading.of(TermEnd)]
    candidates = [
        (day, stated.text, passage.label)
        for passage in reading.passages
        for stated in dates_in(passage.text)
        if stated.day_stated
        and (day := stated.first_day()) is not None
        and FIRST_YEAR <= day.year <= LAST_YEAR
        and (not ends or day < ends[0])
    ]
    if candidates:
        day, text, label = min(candidates)
        why = f'the earliest date in the text ("{text}", {label}): check'
        return day, f"assumed: no commencement date stated; {why}"
    return dt.date(2000, 1, 1), "assumed: no date found anywhere in the text: check: replace it"


@dataclass
class Term:
    """The term as drafted, with what it was read from."""

    start: dt.date
    start_comment: str
    length: TermLength | None
    end: TermEnd | None
    clause: str


def _term(reading: Reading) -> Term:
    starts, lengths, ends = reading.of(TermStart), reading.of(TermLength), reading.of(TermEnd)
    if starts:
        first = starts[0]
        comment = _cited(first, "(day assumed: the 1st)" if first.day_assumed else "")
        if len(starts) > 1:
            others = ", ".join(f"{s.date.isoformat()} ({s.source.label})" for s in starts[1:])
            comment += f" check: other start dates stated: {others}"
        start, start_comment = first.date, comment
    else:
        start, start_comment = _assumed_start(reading)
        unusable = reading.notes("date")
        if unusable:
            start_comment += f" check: {unusable[0].source.label} states a start that is not a date"
    length = next((f for f in lengths if f.length is not None), lengths[0] if lengths else None)
    end = ends[0] if ends and ends[0].date > start else None
    cited = [f for f in (length, end, starts[0] if starts else None) if f is not None]
    clause = ", ".join(dict.fromkeys(s.label for f in cited for s in f.sources))
    return Term(start, start_comment, length, end, clause)


def draft_from_text(text: str, *, source: str, agreement_id: str | None = None) -> Draft:
    """The draft agreement for `text` (the document's words; `source` names the file)."""
    reading = read_findings(text)
    writer = Writer()
    title = _title(text, source)
    kind, kind_reason = _kind(title, text)
    term = _term(reading)
    _write_head(writer, reading, title, kind, kind_reason, source, agreement_id)
    _write_term(writer, term)
    _write_notice(writer, reading)
    _write_parties(writer, parties(text))
    clocks = _write_cadences(writer, reading, term)
    clocks += _write_deadlines(writer, reading, term)
    clocks += _write_procedures(writer, reading)
    _write_notes(writer, reading)
    toml = "\n".join(writer.lines).rstrip() + "\n"
    clocks += 1 + (1 if reading.of(Notice) else 0)
    report = _report(reading, source, writer)
    return Draft(toml, report, clocks, writer.checks, writer.assumed, len(reading.unread))


def _write_head(
    writer: Writer,
    reading: Reading,
    title: str,
    kind: str,
    kind_reason: str,
    source: str,
    agreement_id: str | None,
) -> None:
    writer.comment(f"Draft agreement drafted by `concordat extract` from {source}.")
    writer.comment(
        'Every value cites its clause and the words it came from. "# assumed" marks a value '
        'the drafter chose; "check" marks a reading to confirm. Placeholder contacts on '
        ".invalid addresses receive nothing until real addresses replace them."
    )
    writer.blank()
    identifier = _agreement_id(agreement_id, title)
    writer.value(
        "id",
        _toml_string(identifier),
        "given with --id" if agreement_id else "assumed: from the title",
    )
    writer.value("title", _toml_string(title), "the document's title")
    writer.value("kind", _toml_string(kind), kind_reason or "assumed: no agreement type named")
    binding = next(iter(reading.notes("binding")), None)
    if binding is not None:
        writer.value("binding", "false", _cited(binding))
    else:
        writer.value("binding", "true", "assumed: nothing says it is not legally binding")
    writer.value("source", _toml_string(PurePath(source).name), "the file read")


def _write_term(writer: Writer, term: Term) -> None:
    writer.blank()
    writer.header("[term]", term.clause)
    writer.value("start", term.start.isoformat(), term.start_comment)
    if term.end is not None:
        writer.value("end", term.end.date.isoformat(), _cited(term.end))
        if term.length is not None and term.length.up_to:
            writer.value("up_to", "true", _cited(term.length))
    elif term.length is not None and term.length.length is not None:
        writer.value("length", _toml_string(term.length.length.period()), _cited(term.length))
        if term.length.up_to:
            writer.value("up_to", "true", _cited(term.length, "(a maximum)"))
    clause = term.clause or "preamble"
    if term.length is not None and term.length.length is None and term.end is None:
        writer.value(
            "clause", _toml_string(clause), _cited(term.length, "(no length or end: open-ended)")
        )
    elif term.length is None and term.end is None:
        writer.value(
            "clause",
            _toml_string(clause),
            f"{clause}: no length or end stated: open-ended check: is there a term clause?",
        )
    else:
        writer.value("clause", _toml_string(clause), clause)


def _write_notice(writer: Writer, reading: Reading) -> None:
    found = reading.of(Notice)
    if not found:
        writer.comment("No notice period was found, so there is no [notice] table.")
        return
    notice = found[0]
    writer.blank()
    writer.header("[notice]", notice.source.label)
    check = f" check: {'; '.join(notice.checks)}" if notice.checks else ""
    writer.value("period", _toml_string(notice.period.period()), _cited(notice) + check)
    if notice.fy_end:
        writer.value("fy_end", "true", f'{notice.source.label}: "end of the ... Financial Year"')
    written = (
        f"{notice.source.label}: written notice"
        if notice.written
        else "assumed: the form is not stated"
    )
    writer.value("form", _toml_string("written"), written)
    writer.value("clause", _toml_string(notice.clause()), notice.clause())
    for lockout in reading.notes("lockout"):
        writer.comment(
            f'{lockout.source.label}: "{lockout.source.quote}": {lockout.reading}. check: the '
            "plan's last days to serve notice before then do not apply"
        )
        writer.checks += 1
    for other in found[1:]:
        writer.comment(
            f"Also read as notice ({other.clause()}): {other.reading}. check: which applies?"
        )
        writer.checks += 1


def _write_parties(writer: Writer, readings: list[PartyReading]) -> None:
    for party in readings:
        writer.blank()
        writer.header("[[parties]]", f"{party.where}: {party.quote}")
        writer.value("id", _toml_string(party.id), "assumed: from the name")
        writer.value("name", _toml_string(party.name), party.where)
        writer.value("roles", f"[{_toml_string(party.role)}]", "assumed: from the kind of body")
        writer.blank()
        writer.header("[[parties.contacts]]", "check: placeholder contact")
        writer.value("id", _toml_string(f"{party.id}-contact"), "assumed")
        writer.value(
            "name",
            _toml_string(f"Partnership contact at {party.name}"),
            "check: placeholder: name the person",
        )
        if party.email:
            writer.value(
                "email", _toml_string(party.email), "check: the address the parties clause gives"
            )
        else:
            address = f"partnership@{party.id}.invalid"
            writer.value(
                "email", _toml_string(address), "check: placeholder: nothing is sent to .invalid"
            )
        writer.value("role", _toml_string("partnership-contact"), "assumed")


def _first_after(start: dt.date, frequency: str) -> dt.date:
    """One interval after `start`: the cadence's second date, as the planner expands it
    (`lifecycle.cadence`), so the draft's `starts` and the plan never disagree."""
    rule = parse_rrule(friendly_to_rrule(frequency, None, start), start)
    second = rule.after(dt.datetime.combine(start, dt.time()))
    return start if second is None else second.date()


def _first_due(start: dt.date, cadence: Cadence) -> tuple[dt.date, str]:
    """The first due date of a repeating report, counted from the term's start: the first
    period ending after it plus the stated days, or the next stated day of the year."""
    if cadence.each_year_on is not None:
        month, day = cadence.each_year_on
        first = _safe_date(start.year, month, day)
        if first < start:
            first = _safe_date(start.year + 1, month, day)
        return first, "(the first on or after the start)"
    offset = cadence.after_period_end
    assert offset is not None
    months = {"monthly": 1, "quarterly": 3, "annually": 12}[cadence.frequency]
    end = _month_end(start)
    closing = (3,) if cadence.financial_year else (12,) if months == 12 else (3, 6, 9, 12)
    while months > 1 and end.month not in closing:
        end = _month_end(end + dt.timedelta(days=1))
    steps = {
        "day": relativedelta(days=offset.count), "week": relativedelta(weeks=offset.count),
        "month": relativedelta(months=offset.count), "year": relativedelta(years=offset.count),
    }  # fmt: skip
    how = f"(the first period ending after the start, {end.isoformat()}, plus {offset.period()})"
    if offset.counts_operational_days:
        first = england_calendar().add(end, offset.count)
        how += (
            "; check: later due dates repeat this day of the month, while N operational days "
            "after each period end moves by a few days"
        )
        return first, how
    return end + steps[offset.unit], how


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _safe_date(year: int, month: int, day: int) -> dt.date:
    """The day, or the month's last day when it has fewer days (29 February)."""
    return dt.date(year, month, min(day, monthrange(year, month)[1]))


def _frequency_comment(cadence: Cadence) -> str:
    check = f" check: {'; '.join(cadence.checks)}" if cadence.checks else ""
    return _cited(cadence) + check


def _write_cadences(writer: Writer, reading: Reading, term: Term) -> int:
    cadences = reading.of(Cadence)
    meeting_ids, review_ids = Ids(), Ids()
    for cadence in cadences:
        writer.blank()
        if cadence.kind == "meeting":
            writer.header("[[meetings]]", cadence.clause())
            writer.value(
                "id", _toml_string(meeting_ids.make(cadence.name)), "assumed: from the name"
            )
            writer.value("title", _toml_string(cadence.name), cadence.source.label)
            writer.value("frequency", _toml_string(cadence.frequency), _frequency_comment(cadence))
            weekly = cadence.frequency in ("weekly", "fortnightly") or "week" in cadence.frequency
            writer.value(
                "day",
                _toml_string("Tuesday" if weekly else "second Tuesday"),
                "assumed: the day is not stated",
            )
            if cadence.frequency not in ("weekly", "fortnightly", "monthly"):
                writer.value(
                    "starts", term.start.isoformat(), "assumed: the first at the start of the term"
                )
            writer.value("time", _toml_string("10:00"), "assumed: the time is not stated")
            writer.value("duration_minutes", "60", "assumed")
            writer.value("attendees", '["all"]', "assumed: every contact")
        else:
            writer.header("[[reviews]]", cadence.clause())
            writer.value(
                "id", _toml_string(review_ids.make(cadence.name)), "assumed: from the title"
            )
            writer.value(
                "title",
                _toml_string(cadence.name[:1].upper() + cadence.name[1:]),
                cadence.source.label,
            )
            writer.value("frequency", _toml_string(cadence.frequency), _frequency_comment(cadence))
            if cadence.starts is not None:
                writer.value("starts", cadence.starts.isoformat(), _cited(cadence))
            elif cadence.after_period_end is not None or cadence.each_year_on is not None:
                first, how = _first_due(term.start, cadence)
                writer.value("starts", first.isoformat(), _cited(cadence, how))
            else:
                first = _first_after(term.start, cadence.frequency)
                writer.value("starts", first.isoformat(), "assumed: one interval after the start")
            writer.value("notify", '["all"]', "assumed: every contact")
        writer.value("clause", _toml_string(cadence.clause()), cadence.clause())
    return len(cadences)


def _write_deadlines(writer: Writer, reading: Reading, term: Term) -> int:
    deadlines = reading.of(Deadline)
    ends = reading.of(TermEnd)
    began = next((e for e in ends if e.began and e.began != term.start), None)
    if began is not None and began.began is not None:
        how = f"period begins {began.began.isoformat()}"
        title = "The stated period begins"
        deadlines.insert(0, Deadline(began.sources, how, "period-begins", title, began.began))
    ids = Ids()
    keys: dict[str, str] = {"start": "start", "end": "end"}
    for deadline in deadlines:
        keys[deadline.key] = ids.make(deadline.key)
    for deadline in deadlines:
        writer.blank()
        writer.header("[[deadlines]]", deadline.clause())
        writer.value("id", _toml_string(keys[deadline.key]), "assumed: from the title")
        writer.value(
            "title",
            _toml_string(deadline.title[:1].upper() + deadline.title[1:]),
            deadline.source.label,
        )
        if deadline.date is not None:
            note = f"({deadline.day_note})" if deadline.day_note else ""
            writer.value("date", deadline.date.isoformat(), _cited(deadline, note))
        else:
            writer.value(
                "of", _toml_string(keys.get(deadline.of or "start", "start")), _cited(deadline)
            )
            if deadline.after is not None:
                writer.value("after", _toml_string(deadline.after.period()), _cited(deadline))
        writer.value("notify", '["all"]', "assumed: every contact")
        if deadline.date is not None and deadline.date < term.start:
            writer.value("reminders", "[]", "assumed: before the start, kept for the record")
        writer.value("clause", _toml_string(deadline.clause()), deadline.clause())
    return len(deadlines)


def _write_procedures(writer: Writer, reading: Reading) -> int:
    ladders = reading.of(Ladder)
    ids = Ids()
    windows = 0
    for found in ladders:
        writer.blank()
        writer.header("[[procedures]]", found.clause())
        writer.value("id", _toml_string(ids.make(found.key)), "assumed")
        writer.value("title", _toml_string(found.title), found.source.label)
        writer.value("clause", _toml_string(found.clause()), found.clause())
        step_ids = Ids()
        open_ended_before = False
        for step in found.steps:
            writer.blank()
            where = step.source or found.source
            writer.header("[[procedures.steps]]", where.label)
            writer.value("id", _toml_string(step_ids.make(step.title)), "assumed: from the title")
            writer.value("title", _toml_string(step.title), where.label)
            if step.window is not None:
                windows += 1
                check = f" check: {'; '.join(found.checks)}" if found.checks else ""
                cited = f'{where.label}: "{where.quote}"' if step.source else _cited(found)
                writer.value("window", _toml_string(step.window.period()), cited + check)
            else:
                writer.comment("no window: open-ended (no time limit is stated)")
            if step.counted_from_start:
                received = "from the day the request is received"
                writer.value("counted_from", _toml_string("start"), received)
            elif open_ended_before:
                after_open = "assumed: an open-ended step comes before it"
                writer.value("counted_from", _toml_string("start"), after_open)
            open_ended_before = open_ended_before or step.window is None
            writer.value("notify", '["all"]', "assumed: every contact")
    return windows


def _write_notes(writer: Writer, reading: Reading) -> None:
    for note in reading.notes("variation", "extension"):
        writer.blank()
        if note.topic == "variation":
            writer.comment(
                f"Variations ({note.clause()}): {note.reading}. Not a clock: record one with "
                "`concordat variation propose` and one `concordat variation sign --by <party>` "
                f'per partner. {note.source.label}: "{note.source.quote}"'
            )
        else:
            writer.comment(
                f"Extension ({note.clause()}): {note.reading}. Record it with `concordat "
                f'extend` when agreed. check. {note.source.label}: "{note.source.quote}"'
            )
            writer.checks += 1


# --- The report -------------------------------------------------------------------------------


def _report(reading: Reading, source: str, writer: Writer) -> str:
    lines = [
        f"# Extraction report: {PurePath(source).name}",
        "",
        f"Read {len(reading.passages)} passages. The draft has {writer.assumed} assumed values "
        f"and {writer.checks} readings to check. {len(reading.unread)} sentences mention time "
        "but were not read as clocks: they are listed under **Unread** below.",
        "",
        "## Found, clause by clause",
        "",
    ]
    by_clause: dict[str, list[str]] = {}
    for finding in reading.findings:
        for index, src in enumerate(finding.sources):
            kind = (
                type(finding).__name__
                if not isinstance(finding, Note)
                else f"note ({finding.topic})"
            )
            also = "" if index == 0 else " (same clock as above)"
            text = f'- {_kind_name(kind)}: {finding.reading}{also}: "{src.quote}"'
            by_clause.setdefault(src.label, []).append(text)
    for label, entries in by_clause.items():
        lines += [f"### {label}", "", *entries, ""]
    checks = [(f.clause(), c) for f in reading.findings for c in f.checks]
    lines += ["## To check", ""]
    lines += [f"- {where}: {text}" for where, text in checks] or ["- nothing ambiguous was read"]
    lines += [
        "- every placeholder contact (`.invalid` address): name the person and give their address",
        "",
    ]
    lines += ["## Unread", "", "Sentences that mention time but that no rule understood:", ""]
    unread = [f'- unread: {src.label} "{_shortened(src.quote)}"' for src in reading.unread]
    lines += unread or ["- none"]
    lines += [
        "",
        "## Review steps",
        "",
        "1. Read each `check` comment in the draft and confirm or correct the value.",
        "2. Replace every `# assumed` value the agreement or your practice decides otherwise.",
        "3. Replace each placeholder contact with a real person and address.",
        "4. Run `concordat validate` and `concordat plan --from ... --to ...` on the draft.",
        "5. Go through **Unread** above: add any clock the rules missed by hand.",
        "",
    ]
    return "\n".join(lines)


def _kind_name(kind: str) -> str:
    return {
        "TermLength": "term", "TermStart": "start", "TermEnd": "end", "Notice": "notice",
        "Cadence": "cadence", "Deadline": "deadline", "Ladder": "procedure",
    }.get(kind, kind)  # fmt: skip


__all__ = ["Draft", "Reading", "draft_from_text", "read_findings"]
