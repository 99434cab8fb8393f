"""Cross-reference checks: unique ids, known parties and contacts, procedures without cycles."""

from __future__ import annotations

from collections.abc import Iterable

from config.issues import IssueLog
from config.schema import AgreementFile, ProcedureFile


def check_references(model: AgreementFile, log: IssueLog) -> None:
    """Record every duplicate id and every reference to something that does not exist."""
    _check_unique(log, "parties", [party.id for party in model.parties])
    contact_paths = {
        f"parties[{p}].contacts[{c}]": contact
        for p, party in enumerate(model.parties)
        for c, contact in enumerate(party.contacts)
    }
    _check_unique(
        log,
        "contacts",
        [contact.id for contact in contact_paths.values()],
        [f"{path}.id" for path in contact_paths],
    )
    contact_ids = {contact.id for contact in contact_paths.values()}
    for path, contact in contact_paths.items():
        if contact.deputy is not None and contact.deputy not in contact_ids:
            log.add(
                f"{path}.deputy",
                f"unknown contact {contact.deputy!r} (known: {_listing(contact_ids)})",
            )
        elif contact.deputy == contact.id:
            log.add(f"{path}.deputy", "a contact cannot be their own deputy")
    for name in ("meetings", "reviews", "deadlines", "procedures"):
        _check_unique(log, name, [item.id for item in getattr(model, name)])
    known = _known_recipients(model)
    for path, references in _recipient_lists(model):
        for index, reference in enumerate(references):
            reason = _recipient_problem(known, reference)
            if reason:
                log.add(f"{path}[{index}]", reason)
    _check_procedures(model.procedures, log)


def _check_unique(log: IssueLog, name: str, ids: list[str], paths: list[str] | None = None) -> None:
    seen: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in seen:
            path = paths[index] if paths else f"{name}[{index}].id"
            log.add(
                path,
                f"duplicate id {item_id!r} (already used by {name} number {seen[item_id] + 1})",
            )
        else:
            seen[item_id] = index


def _recipient_lists(model: AgreementFile) -> Iterable[tuple[str, list[str]]]:
    for index, meeting in enumerate(model.meetings):
        yield f"meetings[{index}].attendees", meeting.attendees
    for index, review in enumerate(model.reviews):
        yield f"reviews[{index}].notify", review.notify
    for index, deadline in enumerate(model.deadlines):
        yield f"deadlines[{index}].notify", deadline.notify
    for p, procedure in enumerate(model.procedures):
        for s, step in enumerate(procedure.steps):
            yield f"procedures[{p}].steps[{s}].notify", step.notify


def _known_recipients(model: AgreementFile) -> dict[str, set[str]]:
    """What each kind of recipient reference may name in this agreement."""
    contacts = [contact for party in model.parties for contact in party.contacts]
    return {
        "party": {party.id for party in model.parties},
        "role": {role for party in model.parties for role in party.roles},
        "contact-role": {contact.role for contact in contacts},
        "contact": {contact.id for contact in contacts},
    }


def _recipient_problem(known: dict[str, set[str]], reference: str) -> str | None:
    kind, _, value = reference.partition(":")
    if reference == "all":
        return None
    if kind not in known or not value:
        return (
            f"unknown recipient {reference!r}: expected all, party:<id>, role:<party role>, "
            "contact-role:<contact role> or contact:<id>"
        )
    if value not in known[kind]:
        return f"unknown {kind} {value!r} (known: {_listing(known[kind])})"
    return None


def _check_procedures(procedures: list[ProcedureFile], log: IssueLog) -> None:
    by_id = {procedure.id: procedure for procedure in procedures}
    for index, procedure in enumerate(procedures):
        if procedure.then is not None and procedure.then not in by_id:
            log.add(
                f"procedures[{index}].then",
                f"unknown procedure {procedure.then!r} (known: {_listing(set(by_id))})",
            )
        elif cycle := _cycle_from(procedure.id, by_id):
            log.add(
                f"procedures[{index}].then",
                "the escalation ladder refers to itself: " + " -> ".join(cycle),
            )
        _check_steps(procedure, index, log)


def _cycle_from(start: str, by_id: dict[str, ProcedureFile]) -> list[str]:
    chain = [start]
    current = by_id[start].then
    while current is not None and current in by_id:
        chain.append(current)
        if current == start:
            return chain
        if chain.count(current) > 1:
            return []
        current = by_id[current].then
    return []


def _check_steps(procedure: ProcedureFile, index: int, log: IssueLog) -> None:
    _check_unique(log, f"procedures[{index}].steps", [step.id for step in procedure.steps])
    open_ended = False
    for s, step in enumerate(procedure.steps):
        if open_ended and step.counted_from.value == "previous":
            log.add(
                f"procedures[{index}].steps[{s}].counted_from",
                "this step follows an "
                "open-ended step (one with no window), so it must be counted from start",
            )
        open_ended = open_ended or step.window is None
    if procedure.then is not None and procedure.steps[-1].window is None:
        log.add(
            f"procedures[{index}].then",
            "the last step has no window, so the ladder never reaches the procedure named in then",
        )


def _listing(values: set[str]) -> str:
    return ", ".join(sorted(values)) or "none"
