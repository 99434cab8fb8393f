"""Turn a schema-valid agreement file into a domain `Agreement`, recording what cannot be.

The checks here are the ones that need dates: a term that ends before it starts, a cadence
that never occurs, a deadline relative to something that does not exist or to itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from config.issues import IssueLog
from config.schema import (
    FIRST_YEAR,
    LAST_YEAR,
    MEMO_SIZE,
    AgreementFile,
    CadenceFields,
    DeadlineFile,
    PartyFile,
    ProcedureFile,
    TermFile,
    clock_time,
    parse_period,
)
from lifecycle.agreement import (
    Agreement,
    Contact,
    Deadline,
    Extension,
    Meeting,
    Party,
    Procedure,
    Review,
    Step,
    Term,
)
from lifecycle.cadence import Cadence, Policy, friendly_to_rrule, is_raw_rrule
from lifecycle.errors import CadenceError
from lifecycle.notice import NoticeRule
from lifecycle.periods import Period, term_end


def build_agreement(model: AgreementFile, log: IssueLog) -> Agreement | None:
    """The domain agreement, or None when any issue was recorded in `log`."""
    term = _term(model.term, log)
    if term is None:
        return None
    meetings = tuple(_meeting(model, i, term, log) for i in range(len(model.meetings)))
    reviews = tuple(_review(model, i, term, log) for i in range(len(model.reviews)))
    deadlines = _deadlines(model.deadlines, term, log)
    if not log.ok:
        return None
    return Agreement(
        id=model.id,
        title=model.title,
        kind=model.kind,
        binding=model.binding,
        parties=tuple(_party(party) for party in model.parties),
        term=term,
        notice=_notice(model),
        meetings=tuple(m for m in meetings if m is not None),
        reviews=tuple(r for r in reviews if r is not None),
        deadlines=deadlines,
        procedures=tuple(_procedure(p) for p in model.procedures),
        term_reminders=_periods(model.term.reminders),
        notice_reminders=_periods(model.notice.reminders) if model.notice else None,
        closure_days=frozenset(model.closure_days),
    )


def _periods(texts: list[str] | None) -> tuple[Period, ...] | None:
    return None if texts is None else tuple(parse_period(text) for text in texts)


def _party(model: PartyFile) -> Party:
    contacts = tuple(
        Contact(c.id, c.name, str(c.email), c.role, model.id, c.deputy, c.private, c.digest)
        for c in model.contacts
    )
    return Party(model.id, model.name, tuple(model.roles), contacts)


def _notice(model: AgreementFile) -> NoticeRule | None:
    if model.notice is None:
        return None
    notice = model.notice
    return NoticeRule(parse_period(notice.period), notice.fy_end, notice.form, notice.clause)


def _procedure(model: ProcedureFile) -> Procedure:
    steps = tuple(
        Step(
            s.id,
            s.title,
            parse_period(s.window) if s.window else None,
            s.counted_from,
            tuple(s.notify),
        )
        for s in model.steps
    )
    return Procedure(model.id, model.title, steps, model.then, model.clause)


def _term(model: TermFile, log: IssueLog) -> Term | None:
    if model.length is not None and model.end is not None:
        log.add("term.end", "give either term.length or term.end, not both")
        return None
    end = model.end
    if model.length is not None:
        end = term_end(model.start, parse_period(model.length))
    if end is not None and end < model.start:
        log.add("term.end", f"the term ends ({end}) before it starts ({model.start})")
        return None
    for key, day in (("term.start", model.start), ("term.end", end)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            log.add(
                key,
                f"{day} is outside the years Concordat's calendar covers "
                f"({FIRST_YEAR} to {LAST_YEAR})",
            )
            return None
    if model.up_to and end is None:
        log.add("term.up_to", "up_to needs term.length or term.end: a maximum of what?")
    previous = end
    for index, extension in enumerate(model.extensions):
        if previous is None:
            log.add(f"term.extensions[{index}].to", "an agreement with no end cannot be extended")
        elif extension.to <= previous:
            log.add(
                f"term.extensions[{index}].to",
                f"an extension must end after {previous} (got {extension.to})",
            )
        previous = extension.to
    extensions = tuple(Extension(e.to, e.clause, e.agreed_on) for e in model.extensions)
    return Term(model.start, end, model.up_to, extensions, model.clause)


def _cadence(
    model: CadenceFields, path: str, policy: Policy, term: Term, log: IssueLog
) -> Cadence | None:
    anchor = model.starts or term.start
    found = _checked_cadence(model.frequency, model.day, anchor, policy, model.until)
    cadence, first = found.cadence, found.first
    if cadence is None:
        log.add(f"{path}.{found.key}", found.message)
        return None
    last_day = term.last_day
    if first is None or (last_day is not None and first > last_day):
        ending = f" before the agreement ends on {last_day}" if last_day else ""
        log.add(
            f"{path}.frequency",
            f"this cadence ({cadence.rule} from {anchor}) would produce no occurrence{ending}",
        )
        return None
    return cadence


@functools.lru_cache(maxsize=MEMO_SIZE)
def _checked_cadence(
    frequency: str, day: str | None, anchor: dt.date, policy: Policy, until: dt.date | None
) -> _CadenceCheck:
    """The cadence and its first date, or the key (under the cadence's path) and message of
    what is wrong with it: once per distinct value, so each RRULE is parsed once however
    many agreements share it (a Cadence is immutable and can be shared). A raw RRULE is
    parsed once, by the Cadence itself, not first by `friendly_to_rrule` to check it."""
    raw = is_raw_rrule(frequency) and not day
    try:
        if raw:
            rule = frequency.strip().removeprefix("RRULE:").removeprefix("rrule:")
            cadence = Cadence(rule, anchor, policy, until)
        else:
            rule = friendly_to_rrule(frequency, day, anchor)
    except CadenceError as error:
        key = "day" if day and error.text == day else "frequency"
        return _CadenceCheck(None, None, key, error.reason + f" (got {error.text!r})")
    if until is not None and until < anchor:
        message = f"until ({until}) is before the cadence starts ({anchor})"
        return _CadenceCheck(None, None, "until", message)
    if not raw:
        cadence = Cadence(rule, anchor, policy, until)
    return _CadenceCheck(cadence, cadence.first_date())


@dataclass(frozen=True)
class _CadenceCheck:
    """A cadence with its first date (None when the rule gives none), or what is wrong."""

    cadence: Cadence | None
    first: dt.date | None
    key: str = ""
    message: str = ""


def _meeting(model: AgreementFile, index: int, term: Term, log: IssueLog) -> Meeting | None:
    item = model.meetings[index]
    cadence = _cadence(item, f"meetings[{index}]", item.policy, term, log)
    if cadence is None:
        return None
    time = clock_time(item.time) if item.time else None
    return Meeting(
        item.id,
        item.title,
        cadence,
        time,
        dt.timedelta(minutes=item.duration_minutes),
        item.location,
        tuple(item.attendees),
        _periods(item.reminders),
        item.clause,
    )


def _review(model: AgreementFile, index: int, term: Term, log: IssueLog) -> Review | None:
    item = model.reviews[index]
    cadence = _cadence(item, f"reviews[{index}]", item.policy, term, log)
    if cadence is None:
        return None
    return Review(
        item.id, item.title, cadence, tuple(item.notify), _periods(item.reminders), item.clause
    )


def _deadlines(items: list[DeadlineFile], term: Term, log: IssueLog) -> tuple[Deadline, ...]:
    """Resolve every deadline's date, following chains of relative deadlines."""
    by_id = {item.id: index for index, item in enumerate(items)}
    resolved: dict[str, dt.date] = {}
    for index, item in enumerate(items):
        day = _deadline_date(items, index, by_id, term, resolved, log, ())
        if day is not None and term.last_day is not None and day > term.last_day:
            log.add(
                f"deadlines[{index}]",
                f"this deadline ({day}) falls after the agreement's "
                f"last day ({term.last_day}), so it would never be planned",
            )
        elif day is not None:
            resolved[item.id] = day
    return tuple(
        Deadline(
            item.id,
            item.title,
            resolved[item.id],
            tuple(item.notify),
            _periods(item.reminders),
            item.clause,
        )
        for item in items
        if item.id in resolved
    )


def _deadline_date(
    items: list[DeadlineFile],
    index: int,
    by_id: dict[str, int],
    term: Term,
    resolved: dict[str, dt.date],
    log: IssueLog,
    seen: tuple[str, ...],
) -> dt.date | None:
    item, path = items[index], f"deadlines[{index}]"
    if item.id in resolved:
        return resolved[item.id]
    relative = item.of is not None or item.after is not None or item.before is not None
    if item.date is not None:
        if relative:
            log.add(f"{path}.date", "give either date, or of with after/before, not both")
            return None
        return item.date
    if item.of is None or (item.after is None) == (item.before is None):
        log.add(
            path,
            "a deadline needs a date, or of plus exactly one of after/before "
            '(such as of = "start", after = "1 year")',
        )
        return None
    base = _reference_date(items, item.of, by_id, term, resolved, log, (*seen, item.id), path)
    if base is None:
        return None
    if item.after is not None:
        return parse_period(item.after).after(base)
    return parse_period(item.before or "").before(base)


def _reference_date(
    items: list[DeadlineFile],
    name: str,
    by_id: dict[str, int],
    term: Term,
    resolved: dict[str, dt.date],
    log: IssueLog,
    seen: tuple[str, ...],
    path: str,
) -> dt.date | None:
    if name == "start":
        return term.start
    if name == "end":
        if term.last_day is None:
            log.add(f"{path}.of", "the agreement has no end date to count from")
        return term.last_day
    if name in seen:
        log.add(f"{path}.of", "the deadline refers to itself: " + " -> ".join((*seen, name)))
        return None
    if name not in by_id:
        known = ", ".join(["start", "end", *sorted(by_id)])
        log.add(f"{path}.of", f"unknown date {name!r} (known: {known})")
        return None
    return _deadline_date(items, by_id[name], by_id, term, resolved, log, seen)
