"""Bank holidays in England from the maintained `holidays` package.

The package computes the days (fixed rules plus the one-off days such as 19 Sep 2022 and
8 May 2023, and substitute days); it does no I/O. Days announced after the installed package
was released come from the GOV.UK file, read by the configuration adapter and merged here.
"""

from __future__ import annotations

import datetime as dt

import holidays


def england_bank_holidays(
    first_year: int, last_year: int, subdivision: str = "ENG"
) -> set[dt.date]:
    """Every bank holiday of the subdivision (England by default) in the given years."""
    calendar = holidays.country_holidays(
        "GB", subdiv=subdivision, years=range(first_year, last_year + 1)
    )
    return set(calendar.keys())
