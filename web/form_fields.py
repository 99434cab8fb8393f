"""The recording forms' fields: one form per command line recording command, its fields named
as the command line's options (`agreed_by` is `--agreed-by`), read into the same command by
`concordat.inputs`.

A field whose choices are known (parties, procedures, open cases, meetings, variations) is a
select, and a value that is not one of its choices is refused beside it, as are several
values for a one-value field and a value that is not text at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from starlette.datastructures import FormData

from concordat import inputs
from concordat.app import App, InvalidInput
from lifecycle.agreement import Agreement
from lifecycle.decisions import unsigned_parties
from lifecycle.errors import ConcordatError
from lifecycle.state import AgreementState, fold

Widget = Literal["date", "text", "start", "select", "multi", "check"]
Choices = list[tuple[str, str]]  # (value, what the page shows)
DATE_HINT = "YYYY-MM-DD"


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name (as `concordat.inputs` reads it), label, widget, and for a select
    which choices it offers (`choices_for` names them)."""

    name: str
    label: str
    widget: Widget
    choices: str = ""
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class FormSpec:
    """One recording form: its heading, the command line it matches, and its fields."""

    title: str
    cli: str
    fields: tuple[FieldSpec, ...]


BY = FieldSpec("by", "Party", "select", "parties")
ON = FieldSpec("on", "Day it happened", "date", hint=DATE_HINT)
ON_TODAY = FieldSpec("on", "Day agreed", "date", required=False, hint="YYYY-MM-DD; empty: today")
SUMMARY = FieldSpec("summary", "Summary", "text")
OUTCOME = FieldSpec("outcome", "Outcome", "text", required=False)
MEETING = FieldSpec("meeting", "Meeting", "select", "meetings")
OCCURRENCE = FieldSpec("occurrence", "Its date in the plan", "date", hint=DATE_HINT)

FORMS: Mapping[str, FormSpec] = {
    "notice-serve": FormSpec("Serve notice", "concordat notice serve", (
        BY, ON,
        FieldSpec("ending", "Intended end day", "date", required=False,
                  hint="YYYY-MM-DD; empty: the earliest end the notice rule allows"),
        FieldSpec("agreed_by", "Parties that agreed this end", "multi", "parties",
                  required=False, hint="only for an end outside the notice rule: every party"),
    )),
    "notice-withdraw": FormSpec("Withdraw notice", "concordat notice withdraw", (ON,)),
    "dispute-raise": FormSpec("Raise a dispute", "concordat dispute raise", (BY, ON, SUMMARY)),
    "dispute-escalate": FormSpec("Escalate a dispute", "concordat dispute escalate", (
        FieldSpec("case", "Dispute", "select", "open_disputes"), ON,
    )),
    "dispute-resolve": FormSpec("Resolve a dispute", "concordat dispute resolve", (
        FieldSpec("case", "Dispute", "select", "open_disputes"), ON, OUTCOME,
    )),
    "procedure-start": FormSpec("Start a procedure", "concordat procedure start", (
        FieldSpec("procedure", "Procedure", "select", "procedures"), BY, ON, SUMMARY,
    )),
    "procedure-close": FormSpec("Close a case", "concordat procedure close", (
        FieldSpec("case", "Case", "select", "open_cases"), ON, OUTCOME,
    )),
    "meeting-move": FormSpec("Move a meeting", "concordat meeting move", (
        MEETING, OCCURRENCE,
        FieldSpec("to", "New start", "start",
                  hint="YYYY-MM-DDTHH:MM (local time), or YYYY-MM-DD to keep its own time"),
    )),
    "meeting-cancel": FormSpec("Cancel a meeting", "concordat meeting cancel",
                               (MEETING, OCCURRENCE)),
    "variation-propose": FormSpec("Propose a variation", "concordat variation propose", (
        SUMMARY, FieldSpec("on", "Day proposed", "date", required=False,
                           hint="YYYY-MM-DD; empty: today"),
    )),
    "variation-sign": FormSpec("Sign a variation", "concordat variation sign", (
        FieldSpec("variation", "Variation", "select", "variations"), BY, ON,
    )),
    "extend": FormSpec("Extend the term", "concordat extend", (
        FieldSpec("to", "New last day", "date", hint=DATE_HINT), ON_TODAY,
        FieldSpec("beyond_limit", "Past the term's \"up to\" limit (agreed by the parties)",
                  "check", required=False),
    )),
}  # fmt: skip
CHECKED = "yes"


def choices_for(agreement: Agreement, state: AgreementState) -> dict[str, Choices]:
    """Every select's choices for the agreement as its facts stand."""
    cases = [case for case in state.cases.values() if case.is_open]
    return {
        "parties": [(p.id, p.name) for p in agreement.parties],
        "procedures": [(p.id, p.title) for p in agreement.procedures],
        "open_disputes": [(c.id, f"{c.id}: {c.summary}") for c in cases
                          if c.procedure == inputs.DISPUTE],
        "open_cases": [(c.id, f"{c.id}: {c.summary}") for c in cases],
        "meetings": [(m.id, m.title) for m in agreement.meetings],
        "variations": [(v.id, f"{v.id}: {v.summary}") for v in state.variations.values()
                       if unsigned_parties(agreement, v)],
    }  # fmt: skip


def agreement_choices(app: App, agreement: Agreement) -> dict[str, Choices]:
    """The choices from the agreement's recorded facts (none yet on a new database)."""
    try:
        history = app.stores.reader().history(agreement.id)
    except ConcordatError:
        history = []
    return choices_for(agreement, fold(item.fact for item in history))


def form_fields(form: FormData | Mapping[str, str], spec: FormSpec) -> inputs.Fields:
    """The form's values of the spec's fields, as `concordat.inputs` reads them: a repeated
    field as a tuple (refused there unless it may repeat); a file upload as a tuple too."""
    fields: dict[str, str | tuple[str, ...]] = {}
    for field in spec.fields:
        values = _values(form, field.name)
        if field.widget == "multi":
            fields[field.name] = tuple(str(v) for v in values)
        elif len(values) == 1 and isinstance(values[0], str):
            fields[field.name] = values[0]
        elif not values:
            fields[field.name] = ""
        else:
            fields[field.name] = tuple(str(v) for v in values)
    return fields


def _values(form: FormData | Mapping[str, str], name: str) -> Sequence[object]:
    if isinstance(form, FormData):
        return form.getlist(name)
    return [form[name]] if name in form else []


def check_choices(
    spec: FormSpec, fields: inputs.Fields, choices: Mapping[str, Choices]
) -> dict[str, ConcordatError]:
    """Each select whose value is not among its choices, and a box that is neither ticked
    nor left empty, with the reason."""
    errors: dict[str, ConcordatError] = {}
    for field in spec.fields:
        value = fields.get(field.name, "")
        if field.widget in ("select", "multi"):
            allowed = {v for v, _ in choices.get(field.choices, [])}
            given = value if isinstance(value, tuple) else (value,)
            wrong = [v for v in given if v not in allowed or (v == "" and field.required)]
            if field.widget == "select" and given == ("",):
                errors[field.name] = InvalidInput(f"{field.label}: choose one")
            elif wrong:
                errors[field.name] = InvalidInput(
                    f"{field.label}: {_shown(wrong[0])} is not one of the choices offered"
                )
        elif field.widget == "check" and value not in ("", CHECKED):
            errors[field.name] = InvalidInput(f"{field.label}: tick the box or leave it empty")
    return errors


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def label_of(spec: FormSpec) -> dict[str, str]:
    """Each field's label by name: how messages name the field on a page."""
    return {field.name: field.label for field in spec.fields}
