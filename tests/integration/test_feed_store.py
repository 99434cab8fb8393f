"""The feed store contract: the in-memory fake, SQLite and PostgreSQL keep feed tokens alike,
and rotations or revocations at once lose nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable

import pytest

from jobs.ports import FeedRecord, FeedStore, Store
from lifecycle.facts import MeetingCancelled, NoticeServed
from lifecycle.feeds import FeedScope

AT = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(hours=1)
CONTACT = FeedScope("contact", "council-chair")


SALT = "0123456789abcdef0123456789abcdef"


def token_hash(record: FeedRecord) -> str:
    return hash_of(record.id, record.generation, record.salt)


def hash_of(feed_id: int, generation: int, salt: str = SALT) -> str:
    return hashlib.sha256(f"token {salt}:{feed_id}:{generation}".encode()).hexdigest()


def feeds_of(store: Store) -> FeedStore:
    assert isinstance(store, FeedStore)
    return store


def test_added_feeds_come_back_by_id_and_by_hash(any_store: Store) -> None:
    store = feeds_of(any_store)
    first = store.add_feed(CONTACT, "Jane's phone £ ✓", AT, SALT, token_hash)
    second = store.add_feed(FeedScope("meeting", "a:board"), "", LATER, SALT, token_hash)
    assert first == FeedRecord(first.id, CONTACT, "Jane's phone £ ✓", 0, AT, None, SALT)
    assert second.id > first.id
    assert store.feeds() == [first, second]
    assert store.feed(first.id) == first
    assert store.feed(second.id + 100) is None
    assert store.feed_by_hash(hash_of(first.id, 0)) == first
    assert store.feed_by_hash(hash_of(first.id, 1)) is None
    assert store.feed_by_hash("") is None


def test_rotation_replaces_the_hash_and_revocation_stays(any_store: Store) -> None:
    store = feeds_of(any_store)
    record = store.add_feed(CONTACT, "", AT, SALT, token_hash)
    rotated = store.rotate_feed(record.id, token_hash)
    assert rotated is not None
    assert rotated.generation == 1
    assert rotated.salt == SALT  # kept across rotations
    assert store.feed_by_hash(hash_of(record.id, 0)) is None
    assert store.feed_by_hash(hash_of(record.id, 1)) == rotated
    revoked = store.revoke_feed(record.id, LATER)
    assert revoked is not None
    assert revoked.revoked_at == LATER
    again = store.revoke_feed(record.id, LATER + dt.timedelta(days=1))
    assert again == revoked  # the first revocation stands
    assert store.rotate_feed(record.id, token_hash) == revoked  # a revoked feed stays put
    assert store.revoke_feed(record.id + 1, AT) is None
    assert store.rotate_feed(record.id + 1, token_hash) is None


def test_fact_marks_are_the_last_number_and_time_per_agreement(any_store: Store) -> None:
    store = feeds_of(any_store)
    assert store.fact_marks(["a"]) == {}
    assert store.fact_marks([]) == {}
    facts = [
        (NoticeServed("a", dt.date(2025, 1, 2), "council", dt.date(2026, 3, 31)), AT),
        (MeetingCancelled("a", dt.date(2025, 1, 3), "m", dt.date(2025, 2, 1)), LATER),
        (MeetingCancelled("b", dt.date(2025, 1, 3), "m", dt.date(2025, 2, 1)), AT),
    ]
    for fact, at in facts:
        with any_store.unit(fact.agreement) as unit:
            unit.append_fact(fact, "tester", at)
    assert store.fact_marks(["a", "c"]) == {"a": (2, LATER)}
    assert store.fact_marks(["a", "b"]) == {"a": (2, LATER), "b": (1, AT)}


def at_once(count: int, work: Callable[[], object]) -> list[BaseException]:
    """Run `work` in `count` threads started together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as error:  # collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.parametrize("rotations", [8])
def test_rotations_at_once_each_bump_the_generation(any_store: Store, rotations: int) -> None:
    store = feeds_of(any_store)
    record = store.add_feed(CONTACT, "", AT, SALT, token_hash)
    assert at_once(rotations, lambda: store.rotate_feed(record.id, token_hash)) == []
    final = store.feed(record.id)
    assert final is not None
    assert final.generation == rotations  # none lost
    assert store.feed_by_hash(hash_of(record.id, rotations)) == final
    assert all(store.feed_by_hash(hash_of(record.id, g)) is None for g in range(rotations))


def test_revoke_racing_rotations_leaves_it_revoked(any_store: Store) -> None:
    store = feeds_of(any_store)
    record = store.add_feed(CONTACT, "", AT, SALT, token_hash)

    def one() -> None:
        store.rotate_feed(record.id, token_hash)
        store.revoke_feed(record.id, LATER)

    assert at_once(4, one) == []
    final = store.feed(record.id)
    assert final is not None
    assert final.revoked_at == LATER
    assert 1 <= final.generation <= 4
