"""The invites' series memo: planning day after day (as the service does, the series
remembered) gives the same invites as planning each day afresh, across meetings passing,
a year's turn and days planned out of order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from config.loader import Configuration
from lifecycle.messages import Message, forget_series, invite_messages
from lifecycle.state import AgreementState

DAYS = [dt.date(2024, 10, 1) + dt.timedelta(days=n) for n in range(0, 500, 6)]


def invites(examples: Configuration, day: dt.date) -> list[tuple[Message, dict[str, Any]]]:
    found = []
    for agreement in examples.agreements:
        calendar = examples.calendar_for(agreement)
        messages = invite_messages(agreement, calendar, examples.settings, AgreementState(), day)
        found += [(m, m.payload) for m in messages]
    return found


def test_remembered_series_give_the_invites_of_a_fresh_plan(examples: Configuration) -> None:
    fresh: dict[dt.date, list[tuple[Message, dict[str, Any]]]] = {}
    for day in DAYS:
        forget_series()
        fresh[day] = invites(examples, day)
    forget_series()
    for day in [*DAYS, *reversed(DAYS)]:
        assert invites(examples, day) == fresh[day], day
    assert any(fresh[day] != fresh[DAYS[0]] for day in DAYS)
