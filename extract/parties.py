"""The parties: from the parties clause ("made between: 1. SEFTON METROPOLITAN BOROUGH
COUNCIL of ... (the "Council")"), or, in a report that has none, from the organisations it
names with an abbreviation ("Cambridgeshire County Council (CCC)") or names repeatedly.

Every party gets one placeholder contact on a reserved `.invalid` address (RFC 2606): the
service never sends to it, and `concordat validate` warns about each one until an
administrator puts a real person there.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

MAX_PARTIES = 12
_BETWEEN = re.compile(
    r"^\s*(?:between|parties|(?:.*\bis\s+)?made\s+between:?|by\s+and\s+between)\s*:?\s*$"
    r"|\bmade\s+between\s*:?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLOCK_END = re.compile(
    r"together\s+referred|\bbackground\b|\bwhereas\b|\brecitals?\b|^\s*(?:SECTION|\d+\.\s+[A-Z]{4,})",
    re.IGNORECASE,
)
_CAPS_NAME = re.compile(
    r"(?P<name>[A-Z][A-Z0-9'’&.,-]*(?![a-z])(?:\s+(?:[A-Z][A-Z0-9'’&.,-]*(?![a-z])|&))+)"
)
_SHORT_NAME = re.compile(r"\((?:the\s+)?[“\"](?:\*\*)?(?P<short>[^”\"*]{2,40}?)(?:\*\*)?[”\"]")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_ORG_TAIL = (
    r"(?:NHS\s+Foundation\s+Trust|NHS\s+Trust|Foundation\s+Trust|County\s+Council|City\s+Council|"
    r"Borough\s+Council|Council|Integrated\s+Care\s+Board|Primary\s+Care\s+Trust|"
    r"Clinical\s+Commissioning\s+Group|Primary\s+Care\s+Network)"
)
_NAMED_ORG = re.compile(rf"\b(?P<name>(?:[A-Z][\w'’&-]*\s+(?:and\s+|of\s+|&\s+)?){{1,6}}"
                        rf"{_ORG_TAIL})"
                        r"(?:\s*\((?P<abbr>[A-Z][A-Za-z&]{1,7})\))?")  # fmt: skip
_COMMISSIONER = re.compile(
    r"council|authority|integrated care board|\bicb\b|commissioning group|\bccg\b|"
    r"primary care trust|\bpct\b",
    re.IGNORECASE,
)
_ORG_WORDS = re.compile(
    r"COUNCIL|TRUST|BOARD|NETWORK|SERVICE|HOUSING|HEALTHWATCH|AUTHORITY|GROUP|PCT|CCG|ICB|"
    r"LIMITED|LTD|CIC|PARTNERSHIP|UNIVERSITY|HOSPITAL|COMMUNITY",
)


@dataclass(frozen=True)
class PartyReading:
    """A party as read: its id, name, guessed role, and where it came from."""

    id: str
    name: str
    role: str  # "commissioner" or "provider" (guessed from the name)
    where: str  # "parties clause" or "named in the text"
    quote: str
    email: str | None = None  # an address the parties clause gives, if any


def _title(name: str) -> str:
    """ "SEFTON METROPOLITAN BOROUGH COUNCIL" as "Sefton Metropolitan Borough Council"."""
    small = {"and", "of", "the", "for", "in", "on"}
    words = []
    for index, word in enumerate(name.split()):
        lower = word.lower()
        if index and lower in small:
            words.append(lower)
        elif (
            word.isupper()
            and len(word) <= 4
            and word.isalpha()
            and lower not in small
            and (lower in {"nhs", "pct", "icb", "ccg", "cvs", "cic"})
        ):
            words.append(word)
        else:
            words.append(word[:1].upper() + word[1:].lower())
    return " ".join(words)


def _slug(text: str, limit: int = 3) -> str:
    stop = {"the", "and", "of", "nhs", "foundation", "trust", "council", "borough", "metropolitan"}
    every = re.findall(r"[a-z0-9]+", text.lower())
    words = [w for w in every if w not in stop] or every
    return "-".join(words[:limit]) or "party"


def _role(name: str) -> str:
    return "commissioner" if _COMMISSIONER.search(name) else "provider"


def _unique(readings: list[PartyReading]) -> list[PartyReading]:
    seen: dict[str, int] = {}
    result: list[PartyReading] = []
    names: set[str] = set()
    for reading in readings:
        if reading.name.lower() in names:
            continue
        names.add(reading.name.lower())
        count = seen.get(reading.id, 0) + 1
        seen[reading.id] = count
        party_id = reading.id if count == 1 else f"{reading.id}-{count}"
        result.append(PartyReading(party_id, reading.name, reading.role, reading.where,
                                   reading.quote, reading.email))  # fmt: skip
    return result[:MAX_PARTIES]


_BETWEEN_LINE = re.compile(r"^\s*(?:BETWEEN|Between)\s*:?\s+(?P<names>[A-Z][A-Z].*)$", re.MULTILINE)


def _from_line(text: str) -> list[PartyReading]:
    """ "BETWEEN EASTBRIDGE DISTRICT COUNCIL, WESTMOOR BOROUGH COUNCIL and NORTHFEN COUNTY
    COUNCIL (together the "Councils")" on one line."""
    match = _BETWEEN_LINE.search(text)
    if match is None:
        return []
    names = re.sub(r"\(.*$", "", match["names"])
    found: list[PartyReading] = []
    for part in re.split(r",|;|\band\b|\bAND\b", names):
        caps = _CAPS_NAME.match(part.strip())
        if caps is not None and _ORG_WORDS.search(caps["name"]):
            name = _title(caps["name"].strip(" ,.;"))
            found.append(PartyReading(_slug(name), name, _role(name), "parties clause",
                                      part.strip()[:80]))  # fmt: skip
    return found if len(found) >= 2 else []


def _from_block(text: str) -> list[PartyReading]:
    """The organisations listed after "Between" / "made between" / "PARTIES", up to
    "together referred to as" or the first clause."""
    match = _BETWEEN.search(text)
    if match is None:
        return []
    found: list[PartyReading] = []
    pending_email: str | None = None
    for line in text[match.end() :].split("\n")[:80]:
        if _BLOCK_END.search(line) and found:
            break
        email = _EMAIL.search(line)
        if email and found and found[-1].email is None and not _CAPS_NAME.search(line):
            last = found[-1]
            found[-1] = PartyReading(last.id, last.name, last.role, last.where, last.quote,
                                     email.group(0))  # fmt: skip
            continue
        cleaned = re.sub(r"^\s*(?:[-•*]\s*)?(?:\(?\d{1,2}[.)]\s*)?", "", line).replace("**", "")
        caps = _CAPS_NAME.match(cleaned.strip())
        if caps is None or not _ORG_WORDS.search(caps["name"]):
            if re.search(r"\b(?:19|20)\d\d\b", line) and found:
                break
            continue
        name = _title(caps["name"].strip(" ,.;"))
        short = _SHORT_NAME.search(line.replace("**", ""))
        party_id = _slug(short["short"], 2) if short else _slug(name)
        found.append(PartyReading(party_id, name, _role(name), "parties clause",
                                  cleaned.strip()[:80], pending_email))  # fmt: skip
    return found if len(found) >= 2 else []


_GENERIC = {"county", "city", "borough", "metropolitan", "the", "council", "trust", "nhs",
            "foundation", "board", "group", "and", "of", "district"}  # fmt: skip


def _organisation(text: str) -> str | None:
    """A named organisation from a match: the last of "X Council and Y Trust", without a
    leading "The" or preposition; None for a bare "County Council"."""
    name = " ".join(text.replace(" & ", " and ").split())
    parts = re.split(r"(?:(?<=Council)|(?<=Trust)|(?<=Board)|(?<=Group))\s+and\s+", name)
    name = re.sub(r"^(?:The|In|At|By|And|From|With|For|To|Of)\s+", "", parts[-1])
    distinctive = [w for w in name.lower().split() if w not in _GENERIC]
    return name if distinctive else None


def _from_mentions(text: str) -> list[PartyReading]:
    """Organisations named with an abbreviation, or at least twice."""
    counts: Counter[str] = Counter()
    abbreviations: dict[str, str] = {}
    order: dict[str, int] = {}
    for match in _NAMED_ORG.finditer(text):
        name = _organisation(match["name"])
        if name is None:
            continue
        counts[name] += 1
        order.setdefault(name, match.start())
        if match["abbr"]:
            abbreviations.setdefault(name, match["abbr"])
    chosen = [n for n in counts if n in abbreviations or counts[n] >= 2]
    chosen.sort(key=lambda n: order[n])
    return [
        PartyReading(
            _slug(abbreviations[name], 1) if name in abbreviations else _slug(name),
            name,
            _role(name),
            "named in the text",
            name + (f" ({abbreviations[name]})" if name in abbreviations else ""),
        )
        for name in chosen
    ]


def _implied_commissioner(text: str) -> list[PartyReading]:
    """A report that names its own council only as "the Council" or "the Local Authority"."""
    for phrase, party_id in (
        ("the Council", "council"),
        ("the Local Authority", "local-authority"),
    ):
        if len(re.findall(rf"\b{phrase}\b", text, re.IGNORECASE)) >= 2:
            name = phrase.removeprefix("the ")
            return [PartyReading(party_id, f"The {name}", "commissioner",
                                 f'named in the text only as "{phrase}"', phrase)]  # fmt: skip
    return []


def parties(text: str) -> list[PartyReading]:
    """The parties, from the parties clause when there is one, else from the text; never
    empty (a single placeholder party when nothing is found)."""
    found = _unique(_from_block(text)) or _unique(_from_line(text)) or _unique(_from_mentions(text))
    if not any(p.role == "commissioner" for p in found):
        found = [*_implied_commissioner(text), *found]
    if not found:
        found = [PartyReading("party", "Party named in the agreement", "commissioner",
                              "not found", "")]  # fmt: skip
    return found
