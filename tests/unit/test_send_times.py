"""A 09:00 reminder stays 09:00 Europe/London across both clock changes of 2026 (29 March,
25 October): outbox instants are UTC, 08:00 in summer and 09:00 in winter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from config.loader import Configuration
from jobs.memory import MemoryStore
from jobs.planner import replan, with_send_horizon
from lifecycle.messages import MessageKind

LONDON = ZoneInfo("Europe/London")


def test_send_times_keep_to_nine_in_london_across_the_2026_clock_changes(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    everything = with_send_horizon(examples, None)  # every reminder of the year queued
    replan(everything, store, dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    reminders = [e.message.due_at for e in store.rows.values()
                 if e.message.kind is MessageKind.REMINDER
                 and dt.datetime(2026, 3, 1, tzinfo=dt.UTC) <= e.message.due_at
                 < dt.datetime(2026, 12, 1, tzinfo=dt.UTC)]  # fmt: skip
    local = {moment.astimezone(LONDON).time() for moment in reminders}
    assert local == {dt.time(9, 0)}
    utc_hours = {(m.month, m.hour) for m in reminders}
    assert (3, 9) in utc_hours  # before 29 March: GMT
    assert (4, 8) in utc_hours  # summer: BST, so 08:00 UTC
    assert (11, 9) in utc_hours  # after 25 October: GMT again
    around = [m for m in reminders if dt.date(2026, 3, 27) <= m.date() <= dt.date(2026, 3, 31)]
    around += [m for m in reminders if dt.date(2026, 10, 23) <= m.date() <= dt.date(2026, 10, 27)]
    assert around, "reminders fall on the days around both changes"
