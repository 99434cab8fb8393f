"""Commands that record what happened: notice, disputes and procedures, meetings, variations,
extensions, and the history of it all. Each is checked, recorded, then re-planned."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from concordat import inputs
from concordat.bootstrap import application, load_or_exit
from concordat.options import (
    DEFAULT_CONFIG,
    ConfigOption,
    DbOption,
    app,
    fail,
)
from lifecycle import commands as c
from lifecycle.decisions import unsigned_parties
from lifecycle.facts import ProcedureEscalated, to_payload
from lifecycle.ids import VariationId
from lifecycle.procedure import StepWindow, chained_ladder

if TYPE_CHECKING:
    from jobs.handlers import Outcome

notice_app = typer.Typer(help="Notice to terminate.", no_args_is_help=True)
dispute_app = typer.Typer(help="Disputes: the agreement's dispute procedure.", no_args_is_help=True)
procedure_app = typer.Typer(help="Any procedure the agreement declares.", no_args_is_help=True)
meeting_app = typer.Typer(help="Move or cancel one meeting occurrence.", no_args_is_help=True)
variation_app = typer.Typer(
    help="Variations, effective once all parties sign.", no_args_is_help=True
)
for name, sub in (
    ("notice", notice_app),
    ("dispute", dispute_app),
    ("procedure", procedure_app),
    ("meeting", meeting_app),
    ("variation", variation_app),
):
    app.add_typer(sub, name=name)

AgreementOption = Annotated[str, typer.Option("--agreement", help="Agreement id.")]
OnOption = Annotated[str, typer.Option("--on", help="The day it happened, YYYY-MM-DD.")]
ByOption = Annotated[str, typer.Option("--by", help="Party id.")]


def read(action: str, agreement: str, fields: inputs.Fields, config: Path) -> c.Command:
    """The command the options ask for, read as the web page reads its form
    (`concordat.inputs`); the first option that cannot be read is the error."""
    context = inputs.Context(lambda: load_or_exit(config).settings.timezone,
                             lambda: _today(config))  # fmt: skip
    try:
        return inputs.build(action, agreement, fields, context, inputs.option_name)
    except inputs.InvalidFields as error:
        raise error.first from None


def record(command: c.Command, config: Path, db: str | None) -> Outcome:
    """Check and record `command`, re-plan its agreement, and print what changed."""
    outcome = application(config, db).record(command)
    report = outcome.report
    typer.echo(
        f"recorded {outcome.recorded.fact.type_name} (#{outcome.recorded.id}) for "
        f"{outcome.recorded.fact.agreement}; outbox: {report.inserted} added, "
        f"{report.updated} updated, {report.withdrawn} withdrawn"
    )
    return outcome


@notice_app.command("serve")
def notice_serve(
    agreement: AgreementOption,
    by: ByOption,
    on: OnOption,
    ending: Annotated[str | None, typer.Option(help="Intended end day.")] = None,
    agreed_by: Annotated[
        list[str] | None,
        typer.Option(
            "--agreed-by",
            help="A party that agreed --ending outside the notice rule; repeat for every party.",
        ),
    ] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Serve notice; refused, naming the earliest valid end, when it breaks the notice rule,
    unless every party agreed the end (--ending with --agreed-by for each party)."""
    fields: inputs.Fields = {
        "by": by, "on": on, "ending": ending or "", "agreed_by": tuple(agreed_by or ())
    }  # fmt: skip
    command = read("notice-serve", agreement, fields, config)
    notice = record(command, config, db).state.notice
    if notice is not None:
        agreed = f" (agreed by {', '.join(notice.agreed_by)})" if notice.agreed_by else ""
        typer.echo(f"the agreement ends on {notice.ending}{agreed}")


@notice_app.command("withdraw")
def notice_withdraw(
    agreement: AgreementOption,
    on: OnOption,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Withdraw the notice in force."""
    record(read("notice-withdraw", agreement, {"on": on}, config), config, db)


@dispute_app.command("raise")
def dispute_raise(
    agreement: AgreementOption,
    by: ByOption,
    on: OnOption,
    summary: Annotated[str, typer.Option(help="What the dispute is about.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Raise a dispute: prints its id, when discussion closes and when each step is due."""
    fields = {"by": by, "on": on, "summary": summary}
    _print_ladder(record(read("dispute-raise", agreement, fields, config), config, db), config)


@dispute_app.command("resolve")
def dispute_resolve(
    case: Annotated[str, typer.Argument(help="Dispute id.")],
    on: OnOption,
    outcome: Annotated[str, typer.Option(help="How it was resolved.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Resolve an open dispute; its pending steps are withdrawn."""
    fields = {"case": case, "on": on, "outcome": outcome}
    record(read("dispute-resolve", "", fields, config), config, db)


@dispute_app.command("escalate")
def dispute_escalate(
    case: Annotated[str, typer.Argument(help="Dispute id.")],
    on: OnOption,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Escalate an open dispute to its next step early; prints the step it moved to."""
    command = read("dispute-escalate", "", {"case": case, "on": on}, config)
    _print_ladder(record(command, config, db), config)


@procedure_app.command("start")
def procedure_start(
    agreement: AgreementOption,
    procedure: Annotated[str, typer.Option(help="Procedure id.")],
    by: ByOption,
    on: OnOption,
    summary: Annotated[str, typer.Option(help="What it is about.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Start any procedure the agreement declares (an FOI enquiry, say)."""
    fields = {"procedure": procedure, "by": by, "on": on, "summary": summary}
    command = read("procedure-start", agreement, fields, config)
    _print_ladder(record(command, config, db), config)


@procedure_app.command("close")
def procedure_close(
    case: Annotated[str, typer.Argument(help="Case id.")],
    on: OnOption,
    outcome: Annotated[str, typer.Option(help="How it ended.")] = "",
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Close an open case; its pending steps are withdrawn."""
    fields = {"case": case, "on": on, "outcome": outcome}
    record(read("procedure-close", "", fields, config), config, db)


@meeting_app.command("move")
def meeting_move(
    agreement: AgreementOption,
    meeting: Annotated[str, typer.Option(help="Meeting id.")],
    occurrence: Annotated[str, typer.Option(help="Its date in the plan.")],
    to: Annotated[
        str,
        typer.Option(
            help="New start, YYYY-MM-DDTHH:MM (local), or YYYY-MM-DD to keep the meeting's time."
        ),
    ],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Move one occurrence of a meeting; invites already sent are followed by an update."""
    fields = {"meeting": meeting, "occurrence": occurrence, "to": to}
    record(read("meeting-move", agreement, fields, config), config, db)


@meeting_app.command("cancel")
def meeting_cancel(
    agreement: AgreementOption,
    meeting: Annotated[str, typer.Option(help="Meeting id.")],
    occurrence: Annotated[str, typer.Option(help="Its date in the plan.")],
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Cancel one occurrence of a meeting; invites already sent are followed by a cancellation."""
    fields = {"meeting": meeting, "occurrence": occurrence}
    record(read("meeting-cancel", agreement, fields, config), config, db)


@variation_app.command("propose")
def variation_propose(
    agreement: AgreementOption,
    summary: Annotated[str, typer.Option(help="What it changes.")],
    on: Annotated[str | None, typer.Option(help="Default: today.")] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Propose a variation; unsigned parties are chased until every party has signed."""
    command = read("variation-propose", agreement, {"summary": summary, "on": on or ""}, config)
    outcome = record(command, config, db)
    typer.echo(f"variation id: {next(reversed(outcome.state.variations))}")


@variation_app.command("sign")
def variation_sign(
    variation: Annotated[str, typer.Argument(help="Variation id.")],
    by: ByOption,
    on: OnOption,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Record one party's signature; the variation takes effect when all have signed."""
    fields = {"variation": variation, "by": by, "on": on}
    outcome = record(read("variation-sign", "", fields, config), config, db)
    variation_id = VariationId.parse(variation)
    agreement = load_or_exit(config).agreement(outcome.recorded.fact.agreement)
    assert agreement is not None  # the command was just recorded against it
    missing = unsigned_parties(agreement, outcome.state.variations[str(variation_id)])
    typer.echo(
        "every party has signed: the variation is in effect"
        if not missing
        else f"still to sign: {', '.join(missing)}"
    )


@app.command("extend")
def extend(
    agreement: AgreementOption,
    to: Annotated[str, typer.Option("--to", help="New last day, YYYY-MM-DD.")],
    on: Annotated[str | None, typer.Option(help="Day agreed; default today.")] = None,
    beyond_limit: Annotated[
        bool,
        typer.Option(
            "--beyond-limit", help='Allow going past the "up to" last day the term declares.'
        ),
    ] = False,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Extend the term to a new last day; past an "up to" limit only with --beyond-limit."""
    fields = {"on": on or "", "to": to, "beyond_limit": "yes" if beyond_limit else ""}
    record(read("extend", agreement, fields, config), config, db)


@app.command("history")
def history(
    agreement: AgreementOption,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """The facts recorded for an agreement, in order."""
    from rich.console import Console
    from rich.table import Table

    if format_ not in ("table", "json"):
        fail(f"--format must be table or json (got {format_!r})", 2)
    items = application(config, db).history(agreement)
    rows = [
        {
            "id": i.id,
            "type": i.fact.type_name,
            "on": i.fact.on.isoformat(),
            "recorded_at": i.recorded_at.isoformat(),
            "recorded_by": i.recorded_by,
            **to_payload(i.fact),
        }
        for i in items
    ]
    if format_ == "json":
        typer.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    table = Table("#", "on", "what", "details", "recorded", box=None, header_style="bold")
    for row in rows:
        extra = {
            k: v
            for k, v in row.items()
            if k not in ("id", "type", "on", "recorded_at", "recorded_by")
        }
        details = ", ".join(f"{k}={v}" for k, v in extra.items())
        table.add_row(
            str(row["id"]),
            str(row["on"]),
            str(row["type"]),
            details,
            f"{row['recorded_at'][:16]} by {row['recorded_by']}",
        )
    Console(width=160).print(table)


def _print_ladder(outcome: Outcome, config: Path) -> None:
    """The case id and every step's window; after an escalation, first the step it moved to."""
    configuration = load_or_exit(config)
    fact = outcome.recorded.fact
    case_id = getattr(fact, "case", "")
    case = outcome.state.cases[case_id]
    agreement = configuration.agreement(fact.agreement)
    assert agreement is not None
    windows = chained_ladder(
        agreement,
        case.procedure,
        case.started_on,
        configuration.calendar_for(agreement),
        case.escalations,
    )
    typer.echo(f"case id: {case.id}")
    if isinstance(fact, ProcedureEscalated):
        # The escalated step is due on the day of the escalation; earlier steps before it.
        reached = [window for window in windows if window.due <= fact.on]
        typer.echo(f"escalated to: {_window_line(reached[-1])}")
    for window in windows:
        typer.echo(f"  {_window_line(window)}")


def _window_line(window: StepWindow) -> str:
    closes = f", window closes {window.closes:%a %d %b %Y}" if window.closes else ""
    return f"{window.step.title}: due {window.due:%a %d %b %Y}{closes}"


def _today(config: Path) -> dt.date:
    return application(config).today()
