"""Retry waits: doubling, spread between half and one and a half times, capped."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.backoff import LONGEST_WAIT, retry_delay


def test_each_wait_doubles_the_one_before() -> None:
    waits = [retry_delay(n, 60, 0.5).total_seconds() for n in range(1, 6)]
    assert waits == [60, 120, 240, 480, 960]


def test_the_spread_is_half_to_one_and_a_half_times() -> None:
    assert retry_delay(3, 60, 0) == dt.timedelta(seconds=120)
    assert retry_delay(3, 60, 1) == dt.timedelta(seconds=360)


def test_waits_are_capped_even_for_absurd_attempt_counts() -> None:
    assert retry_delay(10, 60, 1) == LONGEST_WAIT
    assert retry_delay(10_000, 60, 0) == LONGEST_WAIT


@pytest.mark.parametrize(("attempt", "spread"), [(0, 0.5), (1, -0.1), (1, 1.5)])
def test_nonsense_is_refused(attempt: int, spread: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(attempt, 60, spread)
