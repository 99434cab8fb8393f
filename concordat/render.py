"""Present occurrences to people (an aligned, coloured table) and to programs (JSON)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lifecycle.messages import occurrence_payload
from lifecycle.timeline import Occurrence, OccurrenceKind

KIND_STYLES = {
    OccurrenceKind.MEETING: "cyan",
    OccurrenceKind.REVIEW: "magenta",
    OccurrenceKind.DEADLINE: "yellow",
    OccurrenceKind.TERM_START: "green",
    OccurrenceKind.TERM_END: "bold red",
    OccurrenceKind.NOTICE_DEADLINE: "red",
    OccurrenceKind.REMINDER: "dim",
}


def occurrence_json(occurrence: Occurrence) -> dict[str, Any]:
    """The JSON object of one occurrence: the payload messages carry, plus when a reminder is
    sent and to whom; dates are Europe/London civil dates, instants ISO 8601 with offset."""
    return {
        **occurrence_payload(occurrence),
        "send_at": _iso(occurrence.send_at),
        "recipients": list(occurrence.recipients),
    }


def to_json(occurrences: Iterable[Occurrence]) -> str:
    """A JSON array of occurrences, one object per line for readable diffs."""
    rows = [json.dumps(occurrence_json(o), ensure_ascii=False) for o in occurrences]
    return "[\n" + ",\n".join(rows) + "\n]" if rows else "[]"


def print_table(occurrences: list[Occurrence], console: Console, timezone: dt.tzinfo) -> None:
    """Print occurrences as an aligned table, coloured by kind where the terminal allows."""
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("date", "time", "kind", "agreement"):
        table.add_column(column, no_wrap=True)
    table.add_column("title", min_width=30, ratio=1)
    table.add_column("note", min_width=12)
    for occurrence in occurrences:
        style = KIND_STYLES.get(occurrence.kind, "")
        table.add_row(
            f"{occurrence.date:%a %d %b %Y}",
            _time(occurrence, timezone),
            occurrence.kind.value.replace("_", " "),
            occurrence.agreement,
            escape(occurrence.title),
            _note(occurrence),
            style=style,
        )
    console.print(table)
    console.print(f"{len(occurrences)} item{'s' if len(occurrences) != 1 else ''}")


def _time(occurrence: Occurrence, timezone: dt.tzinfo) -> str:
    if occurrence.start and occurrence.end:
        return f"{occurrence.start:%H:%M}-{occurrence.end:%H:%M}"
    if occurrence.send_at:
        return "send " + occurrence.send_at.astimezone(timezone).strftime("%H:%M")
    return ""


def _note(occurrence: Occurrence) -> str:
    if occurrence.moved_from:
        return f"moved from {occurrence.moved_from:%a %d %b}"
    if occurrence.kind is OccurrenceKind.REMINDER and occurrence.for_date:
        return f"for {occurrence.for_date:%a %d %b %Y}"
    return ""


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
