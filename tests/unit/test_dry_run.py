"""The dry run behind the confirmation step: what a command would set off, decided as recording
decides it, with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from config.loader import Configuration
from jobs.dry_run import dry_run
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle.errors import AlreadySigned, FactInFuture
from lifecycle.facts import NoticeServed
from lifecycle.occurrence import OccurrenceKind
from tests.conftest import run_command as run

HALTON, NOTTS = "halton-st-helens-s31", "nottinghamshire-healthy-families"
d = dt.date


def snapshot(store: MemoryStore, agreement: str) -> tuple[object, object]:
    return (
        [item.fact for item in store.history(agreement)],
        sorted((e.message.key, e.state, e.version) for e in store.outbox(agreement)),
    )


def test_notice_served_adds_its_end_and_removes_what_lay_beyond(examples: Configuration) -> None:
    store = MemoryStore()
    today = d(2009, 10, 2)
    before = snapshot(store, HALTON)
    every = ("halton", "st-helens", "pct")
    command = c.ServeNotice(HALTON, "halton", d(2009, 10, 1), d(2010, 6, 30), every)
    result = dry_run(command, examples, store, today)
    assert isinstance(result.fact, NoticeServed)
    kinds = {o.kind for o in result.plan.added}
    assert OccurrenceKind.NOTICE_SERVED in kinds
    ends = [o.date for o in result.plan.added if o.kind is OccurrenceKind.TERM_END]
    assert ends == [result.fact.ending]
    meetings = [o.date for o in result.plan.removed if o.kind is OccurrenceKind.MEETING]
    assert meetings
    assert min(meetings) > result.fact.ending
    assert snapshot(store, HALTON) == before


def test_a_moved_meeting_shows_its_new_time_and_the_old_one_removed(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    to = dt.datetime(2024, 11, 14, 15, 0, tzinfo=dt.UTC)
    result = dry_run(c.MoveMeeting(NOTTS, "service-review", d(2024, 11, 12), to), examples,
                     store, d(2024, 11, 1))  # fmt: skip
    (added,) = [o for o in result.plan.added if o.kind is OccurrenceKind.MEETING]
    (removed,) = [o for o in result.plan.removed if o.kind is OccurrenceKind.MEETING]
    assert added.start == to
    assert added.date == d(2024, 11, 14)
    assert removed.date == d(2024, 11, 12)
    assert store.history(NOTTS) == []


def test_signing_withdraws_the_pending_chasers_of_that_party(examples: Configuration) -> None:
    store = MemoryStore()
    run(examples, store, c.ProposeVariation(NOTTS, d(2025, 1, 6), "S"), d(2025, 1, 6))
    result = dry_run(c.SignVariation(f"{NOTTS}.variation.1", "ncc", d(2025, 1, 7)),  # type: ignore[arg-type]
                     examples, store, d(2025, 1, 7))  # fmt: skip
    assert result.messages_withdrawn
    assert all("variation" in m.key for m in result.messages_withdrawn)
    assert len(store.history(NOTTS)) == 1


def test_a_refusal_and_a_future_day_are_raised_as_recording_raises_them(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    run(examples, store, c.ProposeVariation(NOTTS, d(2025, 1, 6), "S"), d(2025, 1, 6))
    run(examples, store, c.SignVariation(f"{NOTTS}.variation.1", "ncc", d(2025, 1, 7)),  # type: ignore[arg-type]
        d(2025, 1, 7))  # fmt: skip
    with pytest.raises(AlreadySigned):
        dry_run(c.SignVariation(f"{NOTTS}.variation.1", "ncc", d(2025, 1, 8)), examples,  # type: ignore[arg-type]
                store, d(2025, 1, 8))  # fmt: skip
    with pytest.raises(FactInFuture):
        dry_run(c.ProposeVariation(NOTTS, d(2025, 2, 1), "T"), examples, store, d(2025, 1, 8))
