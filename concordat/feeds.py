"""STUB (web branch only): the feeds helper's module replaces this file at merge. It has the
shared contract's types and the three functions the dashboard reads, answering "no feeds"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from concordat.app import App

FeedKind = Literal["contact", "agreement", "meeting"]


@dataclass(frozen=True)
class FeedScope:
    """Whose feed: a contact id, an agreement id, or "agreement:meeting"."""

    kind: FeedKind
    target: str


@dataclass(frozen=True)
class FeedRecord:
    """One issued feed."""

    id: int
    scope: FeedScope
    label: str
    generation: int
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class FeedLinks:
    """A feed's token and its two URLs."""

    token: str
    url: str
    webcal: str


def links_of(app: App, record: FeedRecord) -> FeedLinks:
    """The stub's links: built like the real ones, from the feed's id and generation."""
    token = app.secret.sign("feed", f"{record.id}:{record.generation}")
    url = f"{app.configuration().web.public_url}/feeds/{token}.ics"
    return FeedLinks(token, url, "webcal://" + url.split("://", 1)[1])


def find_feed(app: App, token: str) -> FeedRecord | None:  # noqa: ARG001 - a stub
    """The stub knows no feed."""
    return None


def feeds_for(app: App, scope: FeedScope) -> list[FeedRecord]:  # noqa: ARG001 - a stub
    """The stub knows no feed."""
    return []
