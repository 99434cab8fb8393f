"""The agreement page's timeline as inline SVG: no script, no inline styles (the
Content-Security-Policy allows neither), presentation attributes only, and every mark with a
`<title>` so a pointer or a screen reader can name it. The page lists the same occurrences as
text beside it; the picture adds nothing the list lacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape

from markupsafe import Markup

from lifecycle.occurrence import Occurrence, OccurrenceKind

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, AXIS_Y = 20, 20, 150
LANES = {
    OccurrenceKind.MEETING: (0, "#1d4f91", "Meetings"),
    OccurrenceKind.REVIEW: (1, "#00612e", "Reviews"),
    OccurrenceKind.DEADLINE: (2, "#8a2a0b", "Deadlines"),
    OccurrenceKind.PROCEDURE_STEP: (3, "#6f2a8f", "Procedures"),
}
OTHER = (4, "#0b0c0c", "Term, notice, variations")


def timeline_svg(occurrences: list[Occurrence], first: dt.date, last: dt.date) -> Markup:
    """A picture of the occurrences from `first` to `last`: one lane per kind, a tick at
    each month's first day, a mark per occurrence."""
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="timeline-title '
        f'timeline-desc">',
        f'<title id="timeline-title">Timeline from {first:%d %b %Y} to {last:%d %b %Y}</title>',
        f'<desc id="timeline-desc">{len(occurrences)} dated item(s); the list beside the '
        "picture names each one.</desc>",
        f'<line x1="{LEFT}" y1="{AXIS_Y}" x2="{WIDTH - RIGHT}" y2="{AXIS_Y}" stroke="#0b0c0c" '
        'stroke-width="2"/>',
        *_month_ticks(first, last, x),
        *_lane_labels(),
    ]
    for occurrence in occurrences:
        parts.append(_mark(occurrence, x(occurrence.date)))
    parts.append("</svg>")
    return Markup("".join(parts))


def _month_ticks(first: dt.date, last: dt.date, x: Callable[[dt.date], float]) -> list[str]:
    ticks = [first] + [
        dt.date(day.year, day.month, 1)
        for day in (first + dt.timedelta(days=n) for n in range(1, (last - first).days + 1))
        if day.day == 1
    ]
    found: list[str] = []
    for day in ticks:
        at = x(day)
        found.append(
            f'<line x1="{at:.1f}" y1="{AXIS_Y - 4}" x2="{at:.1f}" y2="{AXIS_Y + 6}" '
            'stroke="#0b0c0c"/>'
            f'<text x="{at:.1f}" y="{AXIS_Y + 22}" font-size="12" fill="#1b1b1b">'
            f"{day:%d %b}</text>"
        )
    return found


def _lane_labels() -> list[str]:
    lanes = [*LANES.values(), OTHER]
    return [
        f'<text x="{LEFT}" y="{_lane_y(lane) - 8}" font-size="11" fill="{colour}">{name}</text>'
        for lane, colour, name in lanes
    ]


def _lane_y(lane: int) -> int:
    return 22 + lane * 26


def _mark(occurrence: Occurrence, at: float) -> str:
    lane, colour, _ = LANES.get(occurrence.kind, OTHER)
    label = escape(f"{occurrence.date:%a %d %b %Y}: {occurrence.title}")
    y = _lane_y(lane)
    return (
        f'<g><title>{label}</title><circle cx="{at:.1f}" cy="{y}" r="5" fill="{colour}"/>'
        f'<line x1="{at:.1f}" y1="{y + 5}" x2="{at:.1f}" y2="{AXIS_Y}" stroke="{colour}" '
        'stroke-width="1" stroke-dasharray="2 3"/></g>'
    )
