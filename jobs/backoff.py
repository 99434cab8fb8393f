"""How long to wait before trying a message again: exponential, capped, with jitter so that
many messages failing together (a mail server down) do not all come back at once."""

from __future__ import annotations

import datetime as dt
import random


def backoff(
    attempts: int, base: dt.timedelta, cap: dt.timedelta, rng: random.Random
) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: base, 2 base, 4 base... up to `cap`, each
    drawn between half and all of that ("equal jitter")."""
    ceiling: dt.timedelta = min(cap, base * (2 ** min(max(0, attempts - 1), 30)))
    half = ceiling / 2
    return half + half * rng.random()
