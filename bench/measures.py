"""The one shape every benchmark reports its figures in, so `bench/run.py` can print them in
one table.

A benchmark script run with `--json PATH` writes a JSON list of `Measure` rows there (as well
as printing its own detailed output). A measure is a figure, optionally beside a peer figure
measured in the same run (the ratio is figure / peer), and a target: either a limit on the
figure itself or a limit on the ratio. Targets are checked here, once, not in each script.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Comparison = Literal["<=", ">="]


@dataclass(frozen=True)
class Measure:
    """One line of the table.

    `target_on` says what the target limits: "figure" (e.g. seconds < 0.35) or "ratio" (e.g.
    plan / raw rrule <= 1.5). A measure with no target is information only (INFO)."""

    bench: str
    name: str
    figure: float
    unit: str
    peer: float | None = None
    peer_name: str = ""
    target: float | None = None
    comparison: Comparison = "<="
    target_on: Literal["figure", "ratio"] = "figure"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """figure / peer, when there is a peer."""
        if self.peer is None or self.peer == 0:
            return None
        return self.figure / self.peer

    @property
    def verdict(self) -> str:
        """PASS, FAIL or INFO (no target)."""
        if self.target is None:
            return "INFO"
        value = self.ratio if self.target_on == "ratio" else self.figure
        if value is None:
            return "FAIL"
        ok = value <= self.target if self.comparison == "<=" else value >= self.target
        return "PASS" if ok else "FAIL"


def write_measures(path: str | Path | None, measures: Sequence[Measure]) -> None:
    """Write the measures as JSON for `bench/run.py`; nothing when no path was given."""
    if path is None:
        return
    Path(path).write_text(json.dumps([asdict(m) for m in measures], indent=1), encoding="utf-8")


def read_measures(path: str | Path) -> list[Measure]:
    """The measures a benchmark wrote with `write_measures`."""
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Measure(**row) for row in rows]


def format_table(measures: Sequence[Measure]) -> str:
    """One aligned text table: bench, measure, figure, peer, ratio, target, verdict."""
    header = ("bench", "measure", "figure", "peer (same run)", "ratio", "target", "result")
    lines = [header]
    for m in measures:
        peer = f"{_number(m.peer)} {m.unit} {m.peer_name}".strip() if m.peer is not None else ""
        ratio = f"{m.ratio:.2f}x" if m.ratio is not None else ""
        target = ""
        if m.target is not None:
            unit = "x" if m.target_on == "ratio" else f" {m.unit}"
            target = f"{'<' if m.comparison == '<=' else '>='} {_number(m.target)}{unit}"
        lines.append(
            (m.bench, m.name, f"{_number(m.figure)} {m.unit}", peer, ratio, target, m.verdict)
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    rendered = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in lines
    ]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in rendered)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if value == int(value) and abs(value) >= 100:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
