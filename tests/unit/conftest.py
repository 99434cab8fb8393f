"""Shared fixtures for the pure core: one operational calendar for the whole session."""

from __future__ import annotations

import datetime as dt

import pytest

from lifecycle.bank_holidays import england_bank_holidays
from lifecycle.calendar import OperationalCalendar

FIRST_YEAR, LAST_YEAR = 1990, 2100


@pytest.fixture(scope="session")
def bank_holidays() -> frozenset[dt.date]:
    """Every bank holiday in England from 1990 to 2100, as the `holidays` package gives them."""
    return frozenset(england_bank_holidays(FIRST_YEAR, LAST_YEAR))


@pytest.fixture(scope="session")
def calendar(bank_holidays: frozenset[dt.date]) -> OperationalCalendar:
    """The operational calendar of England, built once: building it walks 111 years."""
    return OperationalCalendar.build(FIRST_YEAR, LAST_YEAR, bank_holidays)
