"""The phrase rules: each reads one kind of clock from a sentence (or, for ladders, a whole
clause) and returns findings with their sources. Rules are regular expressions over English
legal phrasing; they never guess silently: a value they had to choose is said to be assumed
by the drafter, and an ambiguous word is returned with its alternatives as a check.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from config.bank_holidays_file import CALENDAR_YEARS
from extract.clauses import Passage, Sentence
from extract.findings import (
    Cadence,
    CadenceKind,
    Deadline,
    Finding,
    Ladder,
    Note,
    Notice,
    Source,
    Step,
    TermEnd,
    TermLength,
    TermStart,
    quote,
)
from extract.words import (
    DATE_TEXT,
    DURATION,
    DURATION_TEXT,
    FINANCIAL_YEAR,
    MONTH_NAME,
    NUMBER,
    Duration,
    StatedDate,
    dates_in,
    duration_of,
    financial_year_end,
    number_value,
)

_I = re.IGNORECASE
FIRST_YEAR, LAST_YEAR = CALENDAR_YEARS  # the years a configuration may hold dates in


@dataclass(frozen=True)
class Context:
    """What a rule may need beyond its sentence: the year a yearless date belongs to, and
    which kind of day the agreement defines as excluding weekends and bank holidays."""

    year: int | None = None
    defined_days: frozenset[str] = frozenset()  # {"operational", "working", "business"}


def source(sentence: Sentence, start: int = 0, end: int | None = None) -> Source:
    """The sentence's clause and the few words around `start:end`."""
    end = len(sentence.text) if end is None else end
    passage = sentence.passage
    return Source(passage.label, passage.ref, quote(sentence.text, start, end), sentence.line)


def _in_range(day: dt.date | None) -> dt.date | None:
    return day if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR else None


# --- Term ---------------------------------------------------------------------------------

_ABOUT_TERM = re.compile(
    r"\b(agreement|contract|arrangement|delegation|delegat\w+|partnership|term|section 75|"
    r"section 31|continue|delivered|transfer)\b",
    _I,
)
_TERM_LENGTH = re.compile(
    r"\bfor\s+(?:an?\s+(?:(?:fixed|initial|minimum)\s+)?(?:period|term)\s+of\s+)?"
    rf"(?P<upto>up\s+to\s+|a\s+maximum\s+of\s+)?(?:a\s+)?(?P<n>{NUMBER})[\s-]+"
    r"(?P<unit>year|month)s?\b(?:\s+(?:period|term))?",
    _I,
)
_UNTIL_TERMINATED = re.compile(r"\b(?:unless\s+and\s+)?until\s+(?:it\s+is\s+)?terminated\b", _I)
_EXTENDS = re.compile(r"\bextend(?:ed|s|ing)?\b|\bextension\b|\bfurther\s+period\b", _I)
_RANGE = re.compile(rf"\(\s*(?P<a>{DATE_TEXT})\s*[–—-]\s*(?P<b>{DATE_TEXT})\s*\)", _I)


_TERM_DEFINED = re.compile(
    r"\b(?:Initial\s+)?Term\b\W{0,5}(?:means|shall\s+mean)\s+(?:the\s+)?(?:period\s+of\s+)?"
    rf"(?P<n>{NUMBER})[\s-]+(?P<unit>year|month)s?\b",
    _I,
)


def term_length(sentence: Sentence, _context: Context) -> list[Finding]:
    """ "shall continue for a period of five years", "for up to nine years", "until
    terminated" (open-ended)."""
    text = sentence.text
    if _EXTENDS.search(text) or not _ABOUT_TERM.search(text):
        return []
    match = _TERM_LENGTH.search(text) or _TERM_DEFINED.search(text)
    if match is not None:
        length = Duration(number_value(match["n"]), match["unit"].lower())
        up_to = bool(match.groupdict().get("upto"))
        reading = f"term of {'up to ' if up_to else ''}{length.period()}"
        if _UNTIL_TERMINATED.search(text):
            reading += ' ("until terminated": it ends earlier only by notice)'
        return [TermLength((source(sentence, *match.span()),), reading, length, up_to)]
    ended = _UNTIL_TERMINATED.search(text)
    if ended is not None and re.search(r"\b(?:continue|remain|in force|effect)\b", text, _I):
        reading = "no length and no end: runs until terminated"
        return [TermLength((source(sentence, *ended.span()),), reading, None)]
    return []


_STARTS = re.compile(
    r"\b(?:commence|start|begin|takes?\s+effect|comes?\s+into\s+(?:force|effect)|be\s+implemented|"
    r"implemented|go\s+live)\w*\s+(?:on|from|with\s+effect\s+from)\s+(?:the\s+)?"
    rf"(?P<date>{DATE_TEXT})",
    _I,
)
_START_DEFINED = re.compile(
    r"\bCommencement\s+Date\b\W{0,5}(?:means|shall\s+mean|is)\s+(?:the\s+)?"
    rf"(?P<date>{DATE_TEXT})",
    _I,
)
_FROM_ONWARDS = re.compile(rf"\bfrom\s+(?:the\s+)?(?P<date>{DATE_TEXT})\s+onwards\b", _I)
_ABOUT_SERVICE = re.compile(
    r"\b(agreement|contract|arrangement|section 75|section 31|service|delivery|programme)\b",
    _I,
)


def term_start(sentence: Sentence, context: Context) -> list[Finding]:
    """ "is due to commence on 1st April 2022", "implemented from October 1st 2019", "the
    delivery ... from October 2024 onwards" (the 1st of the month, said to be assumed)."""
    text = sentence.text
    defined = _START_DEFINED.search(text) is not None
    if not defined and (
        not _ABOUT_SERVICE.search(text) or re.search(r"\bphase\b|\bmodel\b", text, _I)
    ):
        return []
    for pattern in (_STARTS, _START_DEFINED, _FROM_ONWARDS):
        match = pattern.search(text)
        if match is None:
            continue
        stated = dates_in(match["date"])
        day = _in_range(stated[0].first_day(context.year)) if stated else None
        if day is None:
            reading = (
                f'start "{match["date"]}" is not a date from {FIRST_YEAR} to {LAST_YEAR}: '
                "not drafted"
            )
            checks = (f'{sentence.passage.label}: "{match["date"]}" is not a usable date',)
            return [Note((source(sentence, *match.span()),), reading, topic="date", checks=checks)]
        assumed = not stated[0].day_stated
        reading = f"starts {day.isoformat()}" + (" (day assumed: the 1st)" if assumed else "")
        return [TermStart((source(sentence, *match.span()),), reading, day, assumed)]
    return []


_CONTINUE_UNTIL = re.compile(
    r"\b(?:continue|remain)\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+)?(?:and\s+effect\s+)?"
    rf"until\s+(?:and\s+including\s+)?(?:the\s+)?(?P<date>{DATE_TEXT})",
    _I,
)


def term_end(sentence: Sentence, context: Context) -> list[Finding]:
    """The last day stated: the end of a range in a term sentence ("(1 April 2019 - 31 March
    2024)"), or "shall continue until 31 March 2028"."""
    text = sentence.text
    until = _CONTINUE_UNTIL.search(text)
    if until is not None and not _EXTENDS.search(text) and _ABOUT_TERM.search(text):
        stated = dates_in(until["date"])
        ends = _in_range(stated[0].last_day(context.year)) if stated else None
        if ends is not None:
            reading = f"last day {ends.isoformat()}"
            return [TermEnd((source(sentence, *until.span()),), reading, ends)]
    if _EXTENDS.search(text) or not _TERM_LENGTH.search(text):
        return []
    match = _RANGE.search(text)
    if match is None:
        return []
    first, last = dates_in(match["a"]), dates_in(match["b"])
    if not first or not last:
        return []
    began = _in_range(first[0].first_day(context.year))
    ends = _in_range(last[0].last_day(context.year))
    if ends is None:
        return []
    reading = f"last day {ends.isoformat()} (the end of the stated range)"
    return [TermEnd((source(sentence, *match.span()),), reading, ends, began)]


# --- Notice -------------------------------------------------------------------------------

_NOTICE = re.compile(
    r"(?P<pre>at\s+least|not\s+less\s+than|no\s+less\s+than|a\s+minimum\s+of)?\s*"
    rf"(?P<dur>{DURATION_TEXT})\s+(?:(?:prior|advance|clear)\s+)*(?P<written>written\s+)?"
    r"notice",
    _I,
)
_FY_END = re.compile(
    r"\bend\s+of\s+(?:the\s+|a\s+|any\s+|each\s+)?(?:relevant\s+|then\s+current\s+)?"
    r"financial\s+year\b"
    r"|\b(?:expir\w+|end\w*|terminat\w+)\s+on\s+(?:the\s+)?31(?:st)?\s+(?:of\s+)?March\b",
    _I,
)
_OTHER_DATE = re.compile(r"\bor\s+(?:on\s+)?such\s+other\s+date\b[^.]{0,40}\bagree", _I)


def notice(sentence: Sentence, _context: Context) -> list[Finding]:
    """ "by giving at least six months prior written notice to the other expiring at the end
    of the relevant Financial Year or such other date as mutually agreed"."""
    text = sentence.text
    match = _NOTICE.search(text)
    if match is None or not re.search(r"\bterminat|\bwithdraw|\bend\b|\bexit", text, _I):
        return []
    inner = DURATION.search(match["dur"])
    assert inner is not None  # _NOTICE contains DURATION
    period = duration_of(inner)
    fy = _FY_END.search(text)
    other = _OTHER_DATE.search(text)
    written = bool(match["written"]) or bool(re.search(r"\bin\s+writing\b", text, _I))
    reading = f"{period.period()}' notice" + (
        ", expiring at the end of a financial year (31 March)" if fy else ""
    )
    checks: tuple[str, ...] = ()
    if other:
        checks = ('"or such other date as agreed" cannot be planned; the rule above is drafted',)
    end = max(match.end(), fy.end() if fy else 0)
    found = Notice(
        (source(sentence, match.start("dur"), end),),
        reading,
        period,
        bool(fy),
        written,
        bool(other),
        checks=checks,
    )
    return [found]


# --- Cadences -----------------------------------------------------------------------------

_FREQUENCIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bsix[\s-]monthly\b|\bhalf[\s-]yearly\b|\btwice\s+(?:a|each|per)\s+year\b", _I),
     "six-monthly"),
    (re.compile(r"\bbi-?annual(?:ly)?\b", _I), "bi-annual"),
    (re.compile(r"\bbi-?monthly\b", _I), "bi-monthly"),
    (re.compile(rf"\bevery\s+(?P<n>{NUMBER})\s+(?P<unit>week|month|year)s?\b", _I), "every"),
    (re.compile(r"\bevery\s+(?P<unit>week|month|quarter|year)\b", _I), "every one"),
    (re.compile(rf"\b(?P<n>{NUMBER})\s+times\s+(?:in\s+)?(?:a|per|each|every|any)\s+year\b", _I),
     "times"),
    (re.compile(r"\bquarterly\b|\beach\s+quarter\b", _I), "quarterly"),
    (re.compile(r"\bmonthly\b|\beach\s+month\b", _I), "monthly"),
    (re.compile(r"\bannual(?:ly)?\b|\beach\s+year\b|\byearly\b|\bonce\s+a\s+year\b", _I),
     "annually"),
    (re.compile(r"\bfortnightly\b", _I), "fortnightly"),
    (re.compile(r"\bweekly\b", _I), "weekly"),
]  # fmt: skip
_EVERY_ONE = {"week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "annually"}
_AMBIGUOUS = {
    "bi-annual": ("six-monthly", "twice a year (drafted) or every two years"),
    "bi-monthly": ("every 2 months", "every two months (drafted) or twice a month"),
}
_NOT_THIS = re.compile(
    r"(?:rather\s+than|instead\s+of|(?<!less )(?<!fewer )(?<!more )than|\bnot)\s+(?:\w+\s+)?$", _I
)
_MEETING_WORD = re.compile(r"\b(meetings?|boards?|committees?|groups?|forums?|panels?)\b", _I)
_MEETS = re.compile(r"\b(?:held|meet|meets|meeting|convene[sd]?|take\s+place|sit)\b", _I)
_REVIEW_WORD = re.compile(
    r"\b(review(?:ed|s|ing)?|agreed|report(?:ed|s|ing)?|updated?|refreshed|audit(?:ed)?|"
    r"evaluated?|revised?|renewed)\b",
    _I,
)
_PROPOSAL = re.compile(
    r"\bconsideration\s+should\s+be\s+given\b|\bshould\s+consider\b|\brecommend(?:s|ed)?\s+that\b",
    _I,
)
_NOT_A_CLOCK = re.compile(
    r"\byear[\s-]on[\s-]year\b|\bannual(?:ly)?\s+(?:report|budget|leave|accounts?)\b|"
    r"\b(?:allocated|funded|paid|spent|cost)\s+(?:annually|each\s+year|monthly)\b",
    _I,
)


def _frequencies(text: str) -> list[tuple[str, str, re.Match[str]]]:
    """Each (configuration frequency, word read, match) in `text`, in order, skipping
    "rather than quarterly"-style mentions and words inside an earlier match."""
    found: list[tuple[str, str, re.Match[str]]] = []
    for pattern, name in _FREQUENCIES:
        for match in pattern.finditer(text):
            if _NOT_THIS.search(text[: match.start()][-30:]):
                continue
            if any(m.start() < match.end() and match.start() < m.end() for _, _, m in found):
                continue
            found.append((_configured(name, match), match.group(0), match))
    return sorted(found, key=lambda item: item[2].start())


def _configured(name: str, match: re.Match[str]) -> str:
    if name == "every":
        count = number_value(match["n"])
        unit = match["unit"].lower()
        if unit == "month" and count in (3, 6):
            return "quarterly" if count == 3 else "six-monthly"
        return f"every {count} {unit}s"
    if name == "times":
        count = number_value(match["n"])
        if count in (1, 2, 3, 4, 6, 12):
            return {1: "annually", 2: "six-monthly", 4: "quarterly", 12: "monthly"}.get(
                count, f"every {12 // count} months"
            )
        return f"every {max(52 // count, 1)} weeks"
    if name == "every one":
        return _EVERY_ONE[match["unit"].lower()]
    return name


_NAME_WORD = r"[A-Z][\w'’&-]*"
_MEETING_NOUN = r"(?:Meetings?|Boards?|Committees?|Groups?|Forums?|Panels?)"
_NAMES = (
    re.compile(rf"^(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,8}})\s+[–—-]\s+These\s+meetings"),
    re.compile(rf"(?P<name>(?:{_NAME_WORD}\s+){{0,6}}{_MEETING_NOUN})\s*\(\s*held\b"),
    re.compile(
        r"\b(?:quarterly|monthly|annual|six[\s-]monthly|weekly|fortnightly)\s+"
        rf"(?P<name>(?:{_NAME_WORD}\s+){{0,6}}{_MEETING_NOUN})\b"
    ),
    re.compile(
        rf"(?P<name>(?:{_NAME_WORD}\s+){{1,6}}{_MEETING_NOUN})\s+(?:would|will|shall|should|must)"
        r"\s+(?:meet|be\s+held|take\s+place|sit)\b"
    ),
    re.compile(rf"(?P<name>(?:{_NAME_WORD}\s+){{1,6}}{_MEETING_NOUN})\b"),
)


_ANY_MEETING = re.compile(
    r"\b(?:the\s+)?(?P<name>(?:[a-z][\w-]*\s+){0,3}(?:board|committee|group|forum|panel))s?\b",
    _I,
)


def _meeting_name(text: str, span: tuple[int, int]) -> str | None:
    """The named meeting nearest the frequency word at `span` (before or after it)."""
    best: tuple[int, str] | None = None
    for pattern in _NAMES:
        for match in pattern.finditer(text):
            if match.end("name") <= span[0]:
                distance = span[0] - match.end("name")
            else:  # a name after the word ("monthly Team Meetings") must be right after it
                distance = 2 * max(match.start("name") - span[1], 0) + 10
            name = re.sub(r"^(?:The|These|This|An?)\s+", "", match["name"]).strip()
            if name and (best is None or distance < best[0]):
                best = (distance, name)
    return None if best is None else best[1]


_REVIEW_OBJECT = re.compile(
    r"\b(?P<verb>review|agree|report\s+on)\s+(?P<obj>(?:the\s+)?[a-z][\w\s,&'-]{2,80}?)\s+"
    r"(?:at|on|every|each|annually|quarterly|monthly|six|twice|once|from)\b",
    _I,
)
_REPORT_TO = re.compile(
    r"\breport\s+to\s+(?P<obj>(?:the\s+)?[A-Z][\w\s&'-]{2,80}?)\s+"
    r"(?:at|on|every|each|annually|quarterly|monthly|six|twice|once|from|by|within)\b"
)
_PASSIVE_OBJECT = re.compile(
    r"(?P<obj>\b[Tt]he\s+[\w\s&'-]{2,70}?)\s+(?:should|will|shall|must|would|are\s+to|is\s+to)"
    r"\s+be\s+(?P<verb>reviewed|agreed|reported|updated|refreshed|revised|set)\b",
)
_VERB_TITLE = {
    "reviewed": "Review of", "review": "Review of", "agreed": "Agree", "agree": "Agree",
    "reported": "Report on", "report on": "Report on", "updated": "Update", "refreshed": "Refresh",
    "revised": "Revise", "set": "Set",
}  # fmt: skip


def _review_title(text: str) -> str | None:
    passives = list(_PASSIVE_OBJECT.finditer(text))
    if passives:
        passive = passives[-1]
        obj = passive["obj"].split(" which ")[-1].split(" that ")[-1]
        obj = re.sub(r"^.*\b(?:through|by|in|for|of)\s+(?=[Tt]he\b)", "", obj)
        obj = re.sub(r"^[Tt]he\s+", "the ", obj.strip())
        return f"{_VERB_TITLE[passive['verb'].lower()]} {obj}"
    reports_to = _REPORT_TO.search(text)
    if reports_to is not None:
        return f"Report to {reports_to['obj'].strip()}"
    active = _REVIEW_OBJECT.search(text)
    if active is not None:
        verb = " ".join(active["verb"].lower().split())
        return f"{_VERB_TITLE[verb]} {active['obj'].strip()}"
    return None


_AFTER_PERIOD_END = re.compile(
    rf"\bwithin\s+(?P<dur>{DURATION_TEXT})\s+(?:of|after|following)\s+the\s+end\s+of\s+"
    r"(?:each|every)\s+(?P<period>quarter|month|year|financial\s+year)\b",
    _I,
)
_PERIOD_FREQUENCY = {"quarter": "quarterly", "month": "monthly", "year": "annually"}
_EACH_YEAR_ON = re.compile(
    rf"\b(?:by|on|before)\s+(?:the\s+)?(?P<date>\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"{MONTH_NAME})\s+(?:in\s+)?(?:each|every)\s+year\b",
    _I,
)


_ORDINAL_DAYS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20,
}  # fmt: skip
_NTH_WORKING_DAY = re.compile(
    rf"\b(?:by|on|before)\s+the\s+(?P<n>\d{{1,2}}(?:st|nd|rd|th)|{'|'.join(_ORDINAL_DAYS)})\s+"
    r"(?P<kind>working|business|operational)\s+day\s+of\s+(?:each|every|the)\s+"
    r"(?:calendar\s+)?(?P<period>month|quarter)\b",
    _I,
)


def _nth_working_day(sentence: Sentence) -> list[Finding]:
    """ "by the tenth working day of each month": N operational days after the previous
    month ends."""
    match = _NTH_WORKING_DAY.search(sentence.text)
    if match is None:
        return []
    word = match["n"].lower()
    count = int(word[:-2]) if word[:1].isdigit() else _ORDINAL_DAYS[word]
    offset = Duration(count, "day", match["kind"].lower())
    period = match["period"].lower()
    frequency = _PERIOD_FREQUENCY[period]
    name = _review_title(sentence.text) or f"Due on the {word} {match['kind']} day of each {period}"
    reading = f"review {name!r}: {frequency}, due {offset.period()} after each {period} before"
    return [Cadence((source(sentence, *match.span()),), reading, "review", name, frequency,
                    after_period_end=offset)]  # fmt: skip


def reporting(sentence: Sentence, _context: Context) -> list[Finding]:
    """Reporting deadlines that repeat: "within 30 days of the end of each quarter" (due 30
    days after each quarter ends), "by 30 June each year"."""
    text = sentence.text
    found: list[Finding] = _nth_working_day(sentence)
    after = _AFTER_PERIOD_END.search(text)
    if after is not None:
        inner = DURATION.search(after["dur"])
        assert inner is not None
        offset = duration_of(inner)
        period = after["period"].lower().split()[-1]
        frequency = _PERIOD_FREQUENCY[period]
        name = _review_title(text) or f"Report due {offset.period()} after each {period} ends"
        reading = f"review {name!r}: {frequency}, due {offset.period()} after each {period} ends"
        fy = "financial" in after["period"].lower()
        found.append(Cadence((source(sentence, *after.span()),), reading, "review", name,
                             frequency, after_period_end=offset, financial_year=fy))  # fmt: skip
    yearly = _EACH_YEAR_ON.search(text)
    if yearly is not None:
        stated = dates_in(yearly["date"])
        if stated and stated[0].day is not None:
            on = (stated[0].month, stated[0].day)
            name = _review_title(text) or f"Due by {yearly['date']} each year"
            reading = f"review {name!r}: annually, due on {yearly['date']} each year"
            found.append(Cadence((source(sentence, *yearly.span()),), reading, "review", name,
                                 "annually", each_year_on=on))  # fmt: skip
    return found


def cadence(sentence: Sentence, context: Context) -> list[Finding]:
    """Meetings ("Service Review Meetings (held monthly)", "the Board would meet annually")
    and reviews ("reviewed on a bi-annual basis", "agreed each year", "at six monthly
    intervals from 1 July 2022")."""
    text = sentence.text
    if _NOT_A_CLOCK.search(text) and not _MEETING_WORD.search(text):
        return []
    if (
        _AFTER_PERIOD_END.search(text)
        or _EACH_YEAR_ON.search(text)
        or _NTH_WORKING_DAY.search(text)
    ):
        return []  # read by `reporting`
    found: list[Finding] = []
    for frequency, word, match in _frequencies(text):
        if _PROPOSAL.search(text):
            reading = f'"{word}" is proposed, not agreed: not drafted'
            found.append(Note((source(sentence, *match.span()),), reading, topic="proposal"))
            continue
        one = _one_cadence(sentence, frequency, word, match, context)
        if one is not None:
            found.append(one)
    return found


def _one_cadence(
    sentence: Sentence, frequency: str, word: str, match: re.Match[str], context: Context
) -> Cadence | None:
    text = sentence.text
    checks: tuple[str, ...] = ()
    ambiguous = None
    if frequency in _AMBIGUOUS:
        ambiguous = frequency
        frequency, alternatives = _AMBIGUOUS[ambiguous]
        checks = (f'"{word}": {alternatives}',)
    starts = _anchor(text, match.end(), context)
    kind: CadenceKind
    name = _meeting_name(text, match.span()) if _MEETING_WORD.search(text) else None
    if _MEETING_WORD.search(text) and _MEETS.search(text):
        kind = "meeting"
    elif _REVIEW_WORD.search(text):
        kind, name = "review", _review_title(text)
    else:
        return None
    if not name:
        named = _ANY_MEETING.search(text) if kind == "meeting" else None
        name = named["name"].capitalize() if named else kind.capitalize()
    reading = f"{kind} {name!r}: {frequency}" + (f" from {starts.isoformat()}" if starts else "")
    return Cadence(
        (source(sentence, *match.span()),), reading, kind, name, frequency, starts, ambiguous,
        checks=checks,
    )  # fmt: skip


_FIRST_FROM = re.compile(
    rf"\b(?:from|first\b[^.;]{{0,50}}?\b(?:no\s+later\s+than|by|on|before))\s+(?:the\s+)?"
    rf"(?P<date>{DATE_TEXT})",
    _I,
)


def _anchor(text: str, after: int, context: Context) -> dt.date | None:
    """A "from 1 July 2022" after the frequency word: the cadence's first date."""
    match = _FIRST_FROM.search(text, after)
    if match is None:
        return None
    stated = dates_in(match["date"])
    return _in_range(stated[0].first_day(context.year)) if stated else None


# --- Deadlines ----------------------------------------------------------------------------

_PAST = re.compile(
    r"\b(?:was|were|had|has\s+been|have\s+been|took\s+place|published|approved|considered|"
    r"submitted|undertaken|resolved|made|received|called-in|established|agreed)\b",
    _I,
)
_DEADLINE_RULES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(rf"\b(?:due\s+to\s+|will\s+|shall\s+)?(?P<verb>expire|end|terminate|cease)s?\s+"
                rf"(?:on|at)\s+(?:the\s+)?(?P<date>{DATE_TEXT})", _I), "last", "{subject} expires"),
    (re.compile(rf"\b(?:be\s+)?(?P<verb>resolved|completed|agreed|signed|submitted|finalised|"
                rf"approved|delivered|reviewed|published|in\s+place)\s+by\s+(?:the\s+)?"
                rf"(?P<date>{DATE_TEXT})", _I), "first", "{subject} {verb}"),
    (re.compile(rf"\b(?P<verb>meet|report|decide|agree|submit|notify|complete|review)\w*\s+"
                rf"(?:no|not)\s+later\s+than\s+(?:the\s+)?(?P<date>{DATE_TEXT})", _I), "first",
     "{subject} {verb}"),
    (re.compile(rf"\bruns?\s+until\s+(?:the\s+end\s+of\s+)?(?P<date>{DATE_TEXT})", _I), "last",
     "{subject} ends"),
    (re.compile(rf"\bcommenc\w+\s+(?P<what>(?:the\s+)?[\w\s-]{{2,40}}?)\s+in\s+"
                rf"(?P<date>{DATE_TEXT})", _I), "first", "{what} commences"),
    (re.compile(rf"\buntil\s+(?P<date>{DATE_TEXT})", _I), "last", "{subject} extended until"),
]  # fmt: skip
_MEETING_ON = re.compile(
    rf"\b[Aa]t\s+the\s+(?P<date>\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH_NAME}(?:\s+\d{{4}})?)\s+"
    r"meeting\s+of\s+(?P<body>[A-Z]\w*(?:\s+[A-Z]\w*){0,3})"
)
_WITHIN_NEXT = re.compile(
    rf"\bwithin\s+the\s+next\s+(?P<n>{NUMBER})\s+(?P<unit>day|week|month)s?", _I
)
_AFTER_OPERATION = re.compile(
    rf"\b(?:in\s+operation|operating|running|in\s+place)\s+for\s+(?P<n>{NUMBER})\s+"
    r"(?P<unit>year|month)s?\b"
    rf"|\bafter\s+(?P<n2>{NUMBER})\s+(?P<unit2>year|month)s?\s+(?:in|of)\s+operation\b",
    _I,
)
_DURING_FY = re.compile(
    rf"\bduring\s+(?:the\s+(?:financial\s+)?year\s+)?{FINANCIAL_YEAR.pattern}", _I
)
_NEGATED = re.compile(r"\bnot\b|\bno\b", _I)


_AUXILIARY = {
    "is", "are", "will", "shall", "be", "due", "to", "expected", "it", "now", "has", "been",
    "and", "would", "should", "must", "was", "were", "work", "towards",
}  # fmt: skip


def _subject(text: str, position: int) -> str:
    """The words before a verb, as a title's subject: "The existing contract"."""
    before = text[:position]
    chunks = re.split(r"[.;:]|\bAs such\b|\b[Tt]hat\b|\bwhich\b", before)
    words = chunks[-1].split()
    while words and words[-1].lower() in _AUXILIARY:
        words.pop()
    if not words and len(chunks) > 1:  # "Schedule 2, which shall be reviewed by ..."
        words = chunks[-2].strip(" ,").split()[-6:]
    joined = re.sub(r"\s+(?:has|have)\s+been\s+\w+$", "", " ".join(words))
    words = joined.split()[-10:]
    subject = " ".join(words).strip(" ,")
    return subject[0].upper() + subject[1:] if subject else "Deadline"


_DECISION = re.compile(r"\b[A-Z]{3}\d{2}/[A-Z]{2,6}/\d{1,4}\b")
_EXTENDED_WHAT = re.compile(
    r"\bextend(?:ed)?\s+(?P<what>(?:the\s+)?[\w\s]{3,40}?)\s+(?:with|for|until|by)\b", _I
)


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(match.start() - 40, 0) : match.end()]


def _decisions(sentence: Sentence) -> tuple[Source, ...]:
    """Decision-notice references in the sentence ("MAR19/CMDN/110"), cited with it."""
    return tuple(
        Source(match.group(0), match.group(0), _around(sentence.text, match), sentence.line)
        for match in _DECISION.finditer(sentence.text)
    )  # fmt: skip


def _key(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    stop = {"the", "a", "an", "of", "to", "and", "for", "by", "in", "on"}
    return "-".join([w for w in words if w not in stop][:5]) or "deadline"


def deadlines(sentence: Sentence, context: Context) -> list[Finding]:
    """Forward-looking dates: "due to expire on 31st March 2022", "expected to be resolved by
    1st October 2019", "runs until September 2019", "commencing the new model in April
    2020", "until 30.06.2019", "during 2022/23" (its last day, 31 March)."""
    text = sentence.text
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for pattern, which, template in _DEADLINE_RULES:
        for match in pattern.finditer(text):
            if any(a <= match.start("date") < b for a, b in taken):
                continue
            if template.endswith("extended until") and not _EXTENDS.search(text):
                continue
            if template == "{subject} expires" and re.search(r"\bnotice\b", text, _I):
                continue  # when a notice may expire: the [notice] rule, not a date
            if re.match(r"\s*(?:in\s+)?(?:any|each|every)\s+year", text[match.end() :], _I):
                continue  # "31 March in any year": a rule, not one date
            if _STARTS.search(text) and template.startswith("{what}"):
                continue
            stated = dates_in(match["date"])
            if not stated:
                continue
            deadline = _dated(sentence, match, stated[0], which, template, context)
            if deadline is not None:
                found.append(deadline)
                taken.append((match.start("date"), match.end("date")))
    fy = _DURING_FY.search(text)
    if fy is not None and not _NEGATED.search(text[: fy.start()]):
        inner = FINANCIAL_YEAR.search(fy.group(0))
        ends = financial_year_end(inner) if inner else None
        if ends is not None:
            subject = _subject(text, fy.start())
            year = inner.group(0) if inner else ""
            title = f"{subject} (during {year})"
            reading = f"by {ends.isoformat()}, the last day of financial year {year}"
            found.append(
                Deadline((source(sentence, *fy.span()),), reading, _key(subject), title, ends)
            )
    return found


def _dated(
    sentence: Sentence,
    match: re.Match[str],
    stated: StatedDate,
    which: str,
    template: str,
    context: Context,
) -> Deadline | None:
    text = sentence.text
    day = stated.last_day(context.year) if which == "last" else stated.first_day(context.year)
    day = _in_range(day)
    if day is None:
        return None
    subject = _subject(text, match.start())
    verb = match.groupdict().get("verb") or ""
    what = (match.groupdict().get("what") or "").strip()
    title = template.format(subject=subject, verb=verb.lower(), what=what[:1].upper() + what[1:])
    if template.endswith("extended until"):
        extended = _EXTENDED_WHAT.search(text)
        title = f"Extension of {extended['what'].strip()} ends" if extended else "Extension ends"
    day_note = None
    if not stated.day_stated:
        day_note = f"day assumed: the {'last' if which == 'last' else '1st'}"
    reading = f"{title}: {day.isoformat()}" + (f" ({day_note})" if day_note else "")
    span = (match.start(), match.end())
    sources = (source(sentence, *span), *_decisions(sentence))
    return Deadline(sources, reading, _key(title), title, day, day_note=day_note)


def counted_deadlines(passage_sentences: list[Sentence], context: Context) -> list[Finding]:
    """A date kept because a later sentence counts from it: "At the 20 April meeting of
    Cabinet ... bring back a formal response ... within the next two months"."""
    found: list[Finding] = []
    for index, sentence in enumerate(passage_sentences):
        meeting = _MEETING_ON.search(sentence.text)
        if meeting is None:
            continue
        stated = dates_in(meeting["date"])
        day = _in_range(stated[0].first_day(context.year)) if stated else None
        if day is None:
            continue
        for later in passage_sentences[index:]:
            within = _WITHIN_NEXT.search(later.text)
            if within is None:
                continue
            body = meeting["body"].strip()
            key = _key(f"{body} {day.isoformat()}")
            title = f"{body} meeting of {day.day} {day:%B %Y}"
            anchor = Deadline(
                (source(sentence, *meeting.span()),), f"{title}: {day.isoformat()} (counted from)",
                key, title, day,
            )  # fmt: skip
            period = Duration(number_value(within["n"]), within["unit"].lower())
            subject = _subject(later.text, within.start())
            response = Deadline(
                (source(later, *within.span()),),
                f"{subject}: within {period.period()} of {day.isoformat()}",
                _key(f"{subject} response"), subject, None, key, period,
            )  # fmt: skip
            found += [anchor, response]
            break
    return found


_REPORT_ON = re.compile(
    r"\breport\s+on\s+(?:the\s+)?(?P<what>[\w\s]{3,60}?)\s+(?:be|is|to|will|of\s+the)\b",
    _I,
)


def after_operation(sentence: Sentence, _context: Context) -> list[Finding]:
    """ "when the recommissioned service has been in operation for one year": counted from
    the start of the term."""
    match = _AFTER_OPERATION.search(sentence.text)
    if match is None:
        return []
    count = match["n"] or match["n2"]
    unit = (match["unit"] or match["unit2"]).lower()
    period = Duration(number_value(count), unit)
    report = _REPORT_ON.search(sentence.text)
    title = f"Report on the {report['what'].strip()}" if report else (
        f"{period.period().capitalize()} in operation")  # fmt: skip
    reading = f"{title}: {period.period()} after the start"
    return [Deadline((source(sentence, *match.span()),), reading, _key(title), title, None,
                     "start", period)]  # fmt: skip


# --- Procedures ---------------------------------------------------------------------------

_DISPUTE = re.compile(r"\b(dispute|disagreement|problem|issue|concern|complaint)s?\b", _I)
LADDER_EVENT = re.compile(
    rf"(?P<window>\bwithin\s+(?:a\s+further\s+|the\s+following\s+|a\s+period\s+of\s+)?"
    rf"(?P<n>{NUMBER})(?:\s*\(\d+\))?(?:[\s-]+(?P<daykind>working|business|operational|calendar)"
    r")?(?:[\s-]+(?P<unit>day|week|month|hour)s?)?)"
    r"|(?P<refer>\b(?:refer(?:red)?|escalated?)\s+to\s+(?:the\s+)?(?P<who>[A-Z][\w\s&'-]{2,50}?)"
    r"(?=[,.;(]|\s+(?:who|for|within|and|to|in|if|on|at)\b|\s+of\s+(?:the\s+)?(?-i:[a-z])))"
    r"|(?P<escalation>\b(?:usual\s+)?escalation\s+through\s+(?:the\s+)?(?P<through>[\w\s]{3,30}?)"
    r"(?=[,.;]|\s+the\b))"
    r"|(?P<final>\bmediat(?:ion|or)\b|\barbitrat(?:ion|or)\b|\bexpert\s+determination\b|"
    r"\bindependent\s+expert\b)",
    _I,
)
_RESOLVE = re.compile(
    r"\b(?:resolve|settle)\b[^.]{0,60}?\b(?:discussion|good\s+faith|negotiation|meeting)\b"
    r"|\b(?:discussion|good\s+faith|negotiation)\b[^.]{0,60}?\bresolve\b",
    _I,
)


MAX_STEPS = 10  # more rungs than this are not a dispute ladder but a misreading
_RESTATED = re.compile(
    r"(?:not\s+(?:been\s+)?resolved|fail\w*\s+to\s+(?:resolve|agree|settle)|cannot\s+"
    r"(?:resolve|agree)|unable\s+to\s+"
    r"(?:resolve|agree)|unresolved)[^.;]{0,60}$",
    _I,
)


def ladder(group: list[Passage], context: Context) -> list[Finding]:
    """A dispute procedure as a ladder of steps, read across a clause and its sub-clauses
    ("20.1 ... within 10 Working Days", "20.2 ... escalated to the Directors ... within a
    further 15", "20.3 ... mediation"). A window after "if not resolved" restates the current
    step's limit and starts no new step."""
    text = "\n".join(passage.text for passage in group)
    if not re.search(r"\bdisput|\bdisagree|\bresolv", text, _I) or not _DISPUTE.search(text):
        return []
    events = list(LADDER_EVENT.finditer(text))
    if not _RESOLVE.search(text) and not any(e["final"] or e["refer"] for e in events):
        return []
    steps: list[Step] = [Step("Resolve the dispute by discussion in good faith")]
    spans: list[tuple[int, int] | None] = [None]  # where each step was read
    unit, day_kind = "day", None
    checks: list[str] = []
    for event in events:
        if event["window"]:
            if event["unit"] is None and not re.search(r"further", event.group(0), _I):
                continue
            restated = steps[-1].window is not None and _RESTATED.search(text[: event.start()])
            unit = (event["unit"] or unit).lower()
            day_kind = event["daykind"].lower() if event["daykind"] else day_kind
            count = number_value(event["n"])
            if unit == "hour":
                count, unit = max(count // 24, 1), "day"
                checks.append(f'"{event.group(0)}" read as {count} day(s)')
            window = Duration(count, unit, day_kind if unit == "day" else None)
            if steps[-1].window is not None and not restated:
                steps.append(Step("Next step of the procedure"))
                spans.append(None)
            steps[-1] = Step(steps[-1].title, window)  # a restated limit is the step's limit
            spans[-1] = spans[-1] or event.span()
        elif event["refer"] or event["escalation"]:
            who = (event["who"] or event["through"] or "").strip()
            if re.match(r"(?:mediat|arbitrat|an?\s|expert|independent)", who, _I):
                continue  # "referred to mediation": the final rung, read below
            title = f"Refer the dispute to the {who}" if event["refer"] else (
                f"Escalate through the {who}")  # fmt: skip
            if steps[-1].window is None and spans[-1] is not None:
                steps[-1] = Step(title)  # a step named after its window was read
            else:
                steps.append(Step(title))
                spans.append(event.span())
        elif event["final"] and not steps[-1].title.startswith("Mediation"):
            steps.append(Step("Mediation, arbitration or expert (as the agreement provides)"))
            spans.append(event.span())
    if steps[0].window is None and spans[0] is None and len(steps) > 1:
        first_rung = next((s for s in spans if s is not None), (len(text), len(text)))
        if not _RESOLVE.search(text[: first_rung[0]]):
            steps, spans = steps[1:], spans[1:]  # the first rung is a referral: no talks first
    if not any(step.window for step in steps) and len(steps) < 2:
        return []
    if len(steps) > MAX_STEPS:
        reading = f"{len(steps)} rungs read: more than {MAX_STEPS} is not a ladder; not drafted"
        note_checks = ("a procedure this long was not drafted: write it by hand",)
        sources = _ladder_sources(group, [s for s in spans if s][:1])
        return [Note(sources, reading, topic="ladder", checks=note_checks)]
    located = [_source_at(group, span) if span else None for span in spans]
    steps = [replace(step, source=where) for step, where in zip(steps, located, strict=True)]
    checks += _day_checks(steps, context)
    reading = " -> ".join(
        step.title + (f" (within {step.window.period()})" if step.window else "") for step in steps
    )
    sources = _ladder_sources(group, [s for s in spans if s is not None])
    return [Ladder(sources, reading, "dispute", "Dispute resolution", tuple(steps),
                   checks=tuple(dict.fromkeys(checks)))]  # fmt: skip


def _source_at(group: list[Passage], span: tuple[int, int]) -> Source:
    """The clause of the group holding `span` (offsets in the group's joined text), quoting
    the words there."""
    offset = 0
    for passage in group:
        end = offset + len(passage.text)
        if offset <= span[0] <= end:
            local = (span[0] - offset, min(span[1] - offset, len(passage.text)))
            return Source(passage.label, passage.ref, quote(passage.text, *local), passage.line)
        offset = end + 1
    last = group[-1]
    return Source(last.label, last.ref, "", last.line)


def _ladder_sources(group: list[Passage], spans: list[tuple[int, int]]) -> tuple[Source, ...]:
    """One source per clause of the group that a rung was read from, quoting its first."""
    sources: list[Source] = []
    for span in spans:
        found = _source_at(group, span)
        if all(s.label != found.label for s in sources):
            sources.append(found)
    return tuple(sources) or (Source(group[0].label, group[0].ref, "", group[0].line),)


def _day_checks(steps: list[Step], context: Context) -> list[str]:
    """How working and business days were read: as operational days, said to be defined so
    by the agreement or to be checked."""
    checks: list[str] = []
    for step in steps:
        if step.window is None or step.window.day_kind not in ("working", "business"):
            continue
        word = step.window.day_kind
        if word in context.defined_days or "operational" in context.defined_days:
            checks.append(f'"{word} days" read as operational days (defined in the agreement '
                          "as excluding weekends and bank holidays in England)")  # fmt: skip
        else:
            checks.append(f'"{word} days" read as operational days; the agreement does not '
                          "define them: check")  # fmt: skip
    return checks


_INFORMATION = re.compile(
    r"\bFOIA?\b|\bFreedom\s+of\s+Information\b|\bEIR\b|\bEnvironmental?\s+Information\b|"
    r"\brequests?\s+for\s+information\b",
    _I,
)
_REQUESTS = re.compile(r"\brequests?\b|\benquir(?:y|ies)\b|\brespon(?:se|d)\b", _I)
_CONSULT = re.compile(
    rf"\b(?:consult|liaise|notify|inform|refer)\w*\b[^.]{{0,80}}?\bwithin\s+(?P<n>{NUMBER})\s+"
    r"(?:(?P<daykind>working|business|operational|calendar)\s+)?(?P<unit>day|week)s?",
    _I,
)
FOI_DAYS = 20  # FOIA s.10(1) and EIR reg. 5(2): reply within 20 working days of receipt


def information_request(sentence: Sentence, _context: Context) -> list[Finding]:
    """FOI/EIR requests: consult the other partners within N days (when stated), reply
    within the statutory 20 working days of receipt."""
    text = sentence.text
    law = _INFORMATION.search(text)
    if law is None or not _REQUESTS.search(text):
        return []
    consult = _CONSULT.search(text)
    steps: list[Step] = []
    if consult is not None:
        window = Duration(
            number_value(consult["n"]), consult["unit"].lower(),
            consult["daykind"].lower() if consult["daykind"] else None,
        )  # fmt: skip
        steps.append(Step("Consult the other partners on the response", window, True))
    else:
        steps.append(Step("Consult the other partners before any response is issued"))
    steps.append(Step("Reply to the requester (FOIA s.10(1) / EIR reg. 5(2))",
                      Duration(FOI_DAYS, "day", "working"), True))  # fmt: skip
    reading = "information request: " + " -> ".join(
        s.title + (f" within {s.window.period()}" if s.window else "") for s in steps
    )
    checks = ("the reply window is the statute's 20 working days, not a clause of the agreement",)
    return [Ladder((source(sentence, *law.span()),), reading, "information-request",
                   "Information request (FOI/EIR)", tuple(steps), checks=checks)]  # fmt: skip


# --- Notes ----------------------------------------------------------------------------------

_VARIATION = re.compile(r"\bvariation\b[^.]{0,120}\b(?:in\s+writing|signed)\b", _I)
_OPTION_EXTEND = re.compile(
    rf"\b(?:may|option\s+to|can|agree)\b[^.]{{0,80}}?\bextend(?:ed)?\b[^.]{{0,60}}?"
    rf"\b(?:by|for)\s+(?:a\s+further\s+|up\s+to\s+|a\s+|period\s+of\s+)*(?P<n>{NUMBER})\s+"
    r"(?P<unit>year|month)s?",
    _I,
)
_LOCKOUT = re.compile(
    r"\b(?:no|not)\b(?:[^.]|\.(?=\d)){0,80}?\b(?:withdraw|expire|terminate|end|take\s+effect)\w*\s+"
    r"(?:before|earlier\s+than|prior\s+to)\s+(?P<when>[^.;]{3,60})",
    _I,
)
_NOT_BINDING = re.compile(r"\bnot\s+(?:be\s+)?(?:intended\s+to\s+be\s+)?legally\s+binding\b", _I)


def notes(sentence: Sentence, _context: Context) -> list[Finding]:
    """Rules that are not clocks but a reviewer must see: variations (signed by all the
    partners), options to extend, a "not legally binding" statement."""
    text = sentence.text
    found: list[Finding] = []
    variation = _VARIATION.search(text)
    if variation is not None:
        everyone = bool(re.search(r"\b(?:all\s+(?:of\s+)?the\s+|the\s+)partners?\b", text, _I))
        reading = "variation: effective only in writing" + (
            ", signed by all the partners" if everyone else ", signed"
        )
        found.append(Note((source(sentence, *variation.span()),), reading, topic="variation"))
    option = _OPTION_EXTEND.search(text)
    if option is not None:
        period = Duration(number_value(option["n"]), option["unit"].lower())
        reading = f"option to extend by {period.period()}: record an extension when agreed"
        found.append(Note((source(sentence, *option.span()),), reading, topic="extension"))
    lockout = _LOCKOUT.search(text)
    if lockout is not None and re.search(r"\bnotice\b|\bwithdraw|\bterminat", text, _I):
        when = lockout["when"].strip()
        reading = f"notice cannot end the agreement before {when}"
        checks = (f"no notice may end it before {when}: earlier notice deadlines do not apply",)
        found.append(Note((source(sentence, *lockout.span()),), reading, topic="lockout",
                          checks=checks))  # fmt: skip
    binding = _NOT_BINDING.search(text)
    if binding is not None:
        found.append(Note((source(sentence, *binding.span()),), "not legally binding",
                          topic="binding"))  # fmt: skip
    return found


SentenceRule = Callable[[Sentence, Context], list[Finding]]
SENTENCE_RULES: tuple[SentenceRule, ...] = (
    term_length, term_start, term_end, notice, reporting, cadence, deadlines, after_operation,
    information_request, notes,
)  # fmt: skip

# A sentence that mentions time: listed as unread when no rule read it.
MENTIONS_TIME = re.compile(
    rf"{DURATION_TEXT}|{DATE_TEXT}|\b(?:immediately|promptly|prompt|as\s+soon\s+as|"
    r"timely|without\s+delay|forthwith|regular(?:ly)?|periodic(?:ally)?|from\s+time\s+to\s+time|"
    r"in\s+due\s+course|deadline|annual(?:ly)?|quarterly|monthly|weekly|each\s+year|"
    r"notice|expir\w+|until|no\s+later\s+than)\b",
    _I,
)
