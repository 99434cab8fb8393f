"""`concordat preview`: one message rendered exactly as the service would send it, so an
administrator can read every kind before a partner does."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from concordat.basics import InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app, parse_date
from lifecycle.ids import follow_up_key
from lifecycle.kinds import BY_NAME, FAMILIES, KINDS, Kind, MessageKind
from lifecycle.messages import Message, kind_of
from lifecycle.reports import failure_report
from lifecycle.state import fold
from lifecycle.timeline import plan

if TYPE_CHECKING:
    from concordat.app import App

# The planner and the renderer (jinja2, icalendar) are imported by the command itself.


@app.command("preview")
def preview_command(
    agreement: Annotated[str, typer.Option("--agreement", help="The agreement's id.")],
    kind: Annotated[str, typer.Option("--kind", help="The kind of message (see --help).")],
    on: Annotated[
        str | None, typer.Option("--on", help="Plan from this day, YYYY-MM-DD (default today).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the message to this .eml file.")
    ] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Render the first message of KIND the agreement's plan holds from --on, exactly as it
    would be sent (with --db, what its recorded facts set off too); a kind the plan holds
    none of is shown with made-up facts, and says so."""
    from notifications.render import render
    from notifications.samples import sample

    chosen = BY_NAME.get(kind)
    if chosen is None:
        names = ", ".join(k.name for k in KINDS)
        raise InvalidInput(f"--kind must be one of: {names} (got {kind!r})")
    concordat = application(config, db)
    day = parse_date(on, "--on") if on is not None else concordat.today()
    message = _first_of(concordat, agreement, chosen, day, with_facts=db is not None)
    if message is None:
        message = sample(chosen)
        typer.echo(f"no {kind} is planned for {agreement} from {day}: a sample follows", err=True)
    configuration = concordat.configuration()
    email = render(message, configuration.mail.sender, templates=concordat.templates())
    if out is None:
        typer.echo(email.as_string())
        return
    try:
        out.write_bytes(email.as_bytes())
    except OSError as error:
        raise InvalidInput(f"cannot write {out}: {error.strerror or error}") from error
    typer.echo(f"wrote {out} ({message.subject})", err=True)


def _first_of(
    concordat: App, agreement_id: str, kind: Kind, day: dt.date, *, with_facts: bool
) -> Message | None:
    """The soonest message of `kind` the agreement's plan holds from `day`; a follow-up or a
    report is made from the message it would follow or report."""
    from jobs.planner import DEFAULT_HORIZON_DAYS, planned_messages

    agreement = concordat.agreement(agreement_id)
    configuration = concordat.configuration()
    concordat.check_in_calendar(day)
    facts = concordat.facts().get(agreement_id, []) if with_facts else []
    state = fold(facts)
    calendar, settings = configuration.calendar_for(agreement), configuration.settings
    last = min(day + dt.timedelta(days=DEFAULT_HORIZON_DAYS), calendar.last)
    occurrences = plan(agreement, calendar, settings, day, last, reminders=True, state=state)
    planned = planned_messages(configuration, agreement, occurrences, state, day)
    planned.sort(key=lambda m: (m.due_at, m.key))
    follows = FAMILIES[kind.family].follows
    if kind.family is MessageKind.ADMIN_REPORT:
        found = planned[0] if planned else None
        admin = configuration.mail.admin or "admin@localhost"
        return (
            failure_report(found, "550 5.1.1 sample refusal", 1, found.due_at, admin)
            if found
            else None
        )
    wanted = follows or kind.family
    base = next((m for m in planned if m.kind is wanted and kind_of(m).name in _names(kind)), None)
    if base is None or follows is None:
        return base
    action = "cancel" if kind.family is MessageKind.INVITE_CANCEL else f"update:{base.fingerprint}"
    return replace(base, key=follow_up_key(base.key, 1, action), kind=kind.family)


def _names(kind: Kind) -> set[str]:
    """The kinds a message of `kind` may be made from: itself, or for a follow-up any kind
    of the family it follows."""
    follows = FAMILIES[kind.family].follows
    if follows is None:
        return {kind.name}
    return {k.name for k in KINDS if k.family is follows}
