"""The background service: dispatches what is due now, sleeps until the next due instant (or
the safety poll), re-plans daily and whenever the configuration changes, until told to stop.

Several services may run on one PostgreSQL: dispatchers claim under leases, and the daily
re-plan is safe to run on every node at once (each agreement is planned in its own unit of
work; the second node finds it planned and skips it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from jobs.clock import Clock
from jobs.dispatcher import Dispatcher
from jobs.ports import Store

if TYPE_CHECKING:  # apscheduler: loaded by whoever makes the Alarm, not by `concordat --help`
    from jobs.alarm import Alarm

SAFETY_POLL = dt.timedelta(seconds=60)
REARM = dt.timedelta(milliseconds=200)  # the soonest the next-due alarm is set for
ROUNDS = 5  # dispatch rounds in one wake while rows keep falling due
# Where configuration changes come from (given the stop event) and what applies one (True
# when something changed and was re-planned).
Reconfigure = tuple[Callable[[asyncio.Event], AsyncIterator[int]], Callable[[], Awaitable[bool]]]
log = logging.getLogger("concordat.service")


class Service:
    """One node: a dispatcher woken by the alarm clock, and the daily re-plan."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        store: Store,
        clock: Clock,
        replan: Callable[[], object],
        alarm: Alarm,
        plan_at: dt.time,
        poll: dt.timedelta = SAFETY_POLL,
        reconfigure: Reconfigure | None = None,
    ) -> None:
        self.dispatcher, self.store, self.clock = dispatcher, store, clock
        self.replan, self.alarm = replan, alarm
        self.plan_at, self.poll = plan_at, poll
        self.reconfigure = reconfigure
        self.stop = asyncio.Event()
        self._busy = asyncio.Lock()

    async def run(self) -> None:
        """Serve until `stop` is set; returns once no batch is in flight."""
        self.alarm.every("safety-poll", self.poll, self.wake)
        self.alarm.daily("daily-replan", self.plan_at, self.daily_replan)
        self.alarm.start()
        following = None
        if self.reconfigure is not None:
            changes, apply = self.reconfigure
            following = asyncio.create_task(self._follow(changes(self.stop), apply))
        try:
            await self.wake()
            await self.stop.wait()
        finally:
            self.alarm.stop()
            if following is not None:
                following.cancel()
            async with self._busy:  # a batch in flight is finished and recorded
                pass

    async def _follow(
        self, changes: AsyncIterator[int], apply: Callable[[], Awaitable[bool]]
    ) -> None:
        """Apply each configuration change as it comes (reload, re-plan), then send what it
        made due. A change that fails (an invalid file, the database away) is the applier's
        to report; the service keeps serving the last good configuration."""
        async for _ in changes:
            try:
                changed = await apply()
            except Exception:
                log.exception("applying a configuration change failed; still serving the last")
                continue
            if changed:
                await self.wake()

    async def wake(self) -> None:
        """Send what is due, again while something fell due meanwhile, then set the alarm for
        the next due instant (always in the future: an alarm set for "now" from inside the
        alarm's own job would be skipped as a second instance, leaving the row to the safety
        poll). A failure (the database unreachable, say) is logged and the safety poll tries
        again: the service outlives a bad minute."""
        if self.stop.is_set():
            return
        try:
            async with self._busy:
                following = await self._dispatch_until_nothing_is_due()
        except Exception:
            log.exception("dispatching failed; trying again at the next poll")
            return
        if following is not None and not self.stop.is_set():
            soonest = self.clock.now() + REARM
            self.alarm.at("next-due", max(following, soonest), self.wake)

    async def _dispatch_until_nothing_is_due(self) -> dt.datetime | None:
        """Dispatch rounds until the next due instant is ahead (a few rounds at most: a row
        another sender holds counts by its lease's end); that instant, or None."""
        following = None
        for _ in range(ROUNDS):
            await self.dispatcher.dispatch_due(self.stop)
            following = await asyncio.to_thread(self.store.next_due)
            if following is None or following > self.clock.now() or self.stop.is_set():
                break
        return following

    async def daily_replan(self) -> None:
        """Plan the new day (what came into the horizon), then send what that made due."""
        await asyncio.to_thread(self.replan)
        await self.wake()
