"""How long to wait before trying a temporarily failed message again.

Exponential, so that a mail server that is down for hours is not hammered, and spread by a
random factor the caller draws, so that the messages of one failed batch (or of several
nodes) do not all come back at the same instant. Pure: the caller owns the randomness and the
clock, so tests and simulations are repeatable.
"""

from __future__ import annotations

import datetime as dt

LONGEST_WAIT = dt.timedelta(hours=6)


def retry_delay(attempt: int, base_seconds: float, spread: float) -> dt.timedelta:
    """The wait after failed attempt number `attempt` (1 for the first): `base_seconds`
    doubled for each attempt before it, times a factor from 0.5 to 1.5 chosen by `spread`
    (a number from 0 to 1, such as `random.random()`), and never more than `LONGEST_WAIT`."""
    if attempt < 1:
        raise ValueError(f"attempts are counted from 1 (got {attempt})")
    if not 0 <= spread <= 1:
        raise ValueError(f"spread must be from 0 to 1 (got {spread})")
    exponent = min(attempt - 1, 32)  # past this the cap applies anyway
    seconds = base_seconds * 2**exponent * (0.5 + spread)
    return min(dt.timedelta(seconds=seconds), LONGEST_WAIT)
