"""Findings to a draft agreement file and a report. (Stub: the real drafting lands next.)"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Draft:
    """What `concordat extract` writes: the agreement TOML and the Markdown report."""

    toml: str
    report: str


def draft_from_text(text: str, *, source: str, agreement_id: str | None = None) -> Draft:
    """The draft agreement for `text` (the document's words; `source` names the file)."""
    raise NotImplementedError(source, agreement_id, len(text))
