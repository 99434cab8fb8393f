"""The alarm clock: APScheduler 3's `AsyncIOScheduler` behind one small class, the only module
that imports APScheduler, so a later move to another scheduler touches only this file.

APScheduler only wakes the service: one date job re-armed to the next due instant after each
dispatch, an interval job as a safety poll, and a daily job. Jobs coalesce and have a grace
time, so a suspended laptop or a long pause does not queue a burst of wake-ups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[None]]
GRACE_SECONDS = 300


class Alarm:
    """Wakes coroutines at instants, at intervals and daily."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self.scheduler = AsyncIOScheduler(
            timezone=timezone,
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": GRACE_SECONDS},
        )  # fmt: skip

    def at(self, name: str, when: dt.datetime, job: Job) -> None:
        """Run `job` once at `when`, replacing the previous alarm of that name."""
        self.scheduler.add_job(job, DateTrigger(run_date=when), id=name, replace_existing=True)

    def every(self, name: str, interval: dt.timedelta, job: Job) -> None:
        """Run `job` every `interval`."""
        trigger = IntervalTrigger(seconds=interval.total_seconds())
        self.scheduler.add_job(job, trigger, id=name, replace_existing=True)

    def daily(self, name: str, at: dt.time, job: Job) -> None:
        """Run `job` every day at the local time `at`."""
        trigger = CronTrigger(hour=at.hour, minute=at.minute)
        self.scheduler.add_job(job, trigger, id=name, replace_existing=True)

    def start(self) -> None:
        """Start ticking; call from inside the running event loop."""
        self.scheduler.start()

    def stop(self) -> None:
        """Stop ticking; jobs already running finish on their own."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
