"""Virtual time: the same planner, outbox, dispatcher and mailer, driven by a simulated clock
from one day to the next, so a year of messages goes out in minutes. Administrators preview a
year with it; tests run whole years. Run again on the same database it resumes: what was sent
stays sent, and only what was not is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from config.loader import Configuration
from jobs.clock import FixedClock
from jobs.dispatcher import Dispatcher, DispatchReport
from jobs.planner import replan
from jobs.ports import Store


class SimulatedClock(FixedClock):
    """The fixed clock, moved forward by the simulation; never backwards."""

    def move_to(self, moment: dt.datetime) -> None:
        """Advance to `moment` (a moment already past is ignored)."""
        self.moment = max(self.moment, moment)


@dataclass
class SimulationReport:
    """What a simulated window did, summed over its days."""

    days: int = 0
    planned_rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, report: DispatchReport) -> None:
        """Add one dispatch round's counts."""
        for action, count in report.counts.items():
            self.counts[action] = self.counts.get(action, 0) + count


async def simulate(
    configuration: Configuration,
    store: Store,
    dispatcher: Dispatcher,
    clock: SimulatedClock,
    first: dt.date,
    last: dt.date,
    progress: Callable[[dt.date], None] | None = None,
) -> SimulationReport:
    """Each day from `first` to `last`: plan at local midnight, as the service's daily re-plan
    does, then move the clock to each instant a message comes due and dispatch. Leases are
    not simulated (the dispatcher leases in real time): rows another simulation holds are
    its to send, and come back to whoever runs after its lease ends in real time."""
    report = SimulationReport()
    zone = configuration.settings.timezone
    day = first
    while day <= last:
        clock.move_to(_midnight(day, zone))
        planned = replan(configuration, store, day, clock.now(), actor="simulator")
        report.planned_rows += planned.inserted
        report.add(await dispatcher.dispatch_due())
        end = _midnight(day + dt.timedelta(days=1), zone)
        while (due := store.next_due(leases=False)) is not None and due < end:
            clock.move_to(due)
            report.add(await dispatcher.dispatch_due())
        report.days += 1
        if progress is not None:
            progress(day)
        day += dt.timedelta(days=1)
    return report


def _midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
