"""Bank holidays in England from the maintained `holidays` package.

The package computes the days (fixed rules plus the one-off days such as 19 Sep 2022 and
8 May 2023, and substitute days); it does no I/O. Days announced after the installed package
was released come from the GOV.UK file, read by the configuration adapter and merged here.

The package is imported when the days are first computed, and each span is computed once per
process: a command that finds them in the configuration adapter's cache never loads it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache


def england_bank_holidays(
    first_year: int, last_year: int, subdivision: str = "ENG"
) -> set[dt.date]:
    """Every bank holiday of the subdivision (England by default) in the given years (a new
    set each call: callers add their own closure days to it)."""
    return set(_computed(first_year, last_year, subdivision))


@lru_cache(maxsize=8)
def _computed(first_year: int, last_year: int, subdivision: str) -> frozenset[dt.date]:
    import holidays  # ~0.05 s to import; only when the days are not cached

    calendar = holidays.country_holidays(
        "GB", subdiv=subdivision, years=range(first_year, last_year + 1)
    )
    return frozenset(calendar.keys())
