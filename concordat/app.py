"""The one application object: the command line, and later the service and the web server, are
doors into one `App`. It holds the configuration source, the store, the clock and who is
acting, and is the only place that computes "today in the site's time zone".

Nothing here imports typer or rich, and nothing reads the environment at import:
`App.from_environment` reads it once, when a door builds its App.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from concordat.basics import DEFAULT_CONFIG as DEFAULT_CONFIG
from concordat.basics import InvalidInput as InvalidInput
from concordat.secret import SECRET_FILE, SiteSecret
from concordat.sources import ConfigChange, ConfigSource, SqlStores, StoreSource, checked_url
from concordat.variation_links import chaser_links
from config.loader import Configuration
from jobs.clock import Clock, SystemClock
from jobs.dry_run import Consequences, dry_run
from jobs.handlers import Outcome, Services, handle
from jobs.memory import MemoryStore
from jobs.planner import DEFAULT_HORIZON_DAYS, PlanReport, replan
from jobs.ports import RecordedFact, Store
from lifecycle import commands as c
from lifecycle.agreement import Agreement
from lifecycle.errors import CalendarRangeError, UnknownName
from lifecycle.facts import Fact
from lifecycle.outbox import Entry, State
from lifecycle.state import fold
from lifecycle.timeline import Occurrence, plan
from storage.errors import DEFAULT_DATA_DIR, NoDatabase, default_url

if TYPE_CHECKING:  # jinja2 is loaded by the commands that render, not by every App
    from notifications.templating import Templates

Progress = Callable[[int], None]


@dataclass(frozen=True)
class OutboxPage:
    """One page of outbox rows, soonest first, and how many rows matched in all."""

    entries: list[Entry]
    total: int
    offset: int


@dataclass
class App:
    """Configuration, store, clock and actor, and the use cases every door calls."""

    config: ConfigSource
    stores: StoreSource
    clock: Clock = field(default_factory=SystemClock)
    actor: str = "concordat"
    secret: SiteSecret = field(
        default_factory=lambda: SiteSecret(None, Path(DEFAULT_DATA_DIR) / SECRET_FILE)
    )
    bound_url: str | None = None  # where this process's web server listens, once it does

    @classmethod
    def from_environment(
        cls,
        config: Path | None = None,
        db: str | None = None,
        *,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> App:
        """An App from explicit values, else `$CONCORDAT_CONFIG`, `$CONCORDAT_DB`,
        `$CONCORDAT_DATA`, `$CONCORDAT_ACTOR` and `$CONCORDAT_SECRET` (read here, once). An
        empty `db` is refused: it is a mistake, not a request for the default."""
        env = os.environ if environ is None else environ
        directory = config or Path(env.get("CONCORDAT_CONFIG") or DEFAULT_CONFIG)
        data_dir = Path(env.get("CONCORDAT_DATA") or DEFAULT_DATA_DIR)
        secret = SiteSecret(env.get("CONCORDAT_SECRET") or None, data_dir / SECRET_FILE)
        stores = _stores(db, env)
        source = ConfigSource(directory, data_dir / "cache")  # written only if data_dir exists
        return cls(source, stores, clock or SystemClock(), _actor(env), secret)

    def configuration(self) -> Configuration:
        """The configuration, loaded on first use."""
        return self.config.configuration()

    def reload(self) -> ConfigChange:
        """Reload the configuration, parsing only the files that changed; says what changed
        (raises `ConfigurationError`, keeping the last good one, when the new one is invalid)."""
        return self.config.reload()

    def today(self) -> dt.date:
        """Today in the site's time zone: the one place it is computed."""
        timezone = self.configuration().settings.timezone
        return self.clock.now().astimezone(timezone).date()

    def agreement(self, agreement_id: str) -> Agreement:
        """The configured agreement; `UnknownName` listing the known ones otherwise."""
        found = self.configuration().agreement(agreement_id)
        if found is None:
            known = [a.id for a in self.configuration().agreements]
            raise UnknownName("agreement", agreement_id, known)
        return found

    def services(
        self, today: dt.date | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS
    ) -> Services:
        """What the handlers need, with the store opened for writing."""
        return Services(
            self.configuration(),
            self.stores.writer(),
            self.clock,
            self.actor,
            today or self.today(),
            horizon_days=horizon_days,
        )

    def record(self, command: c.Command) -> Outcome:
        """Check, record and re-plan one command (raises `Refused` or `UnknownName`)."""
        return handle(command, self.services())

    def consequences(self, command: c.Command) -> Consequences:
        """What recording `command` would set off, decided and planned on the facts as they
        are now, recording nothing (raises `Refused` or `UnknownName` as `record` would)."""
        return dry_run(command, self.configuration(), self._read_only(), self.today())

    def _read_only(self) -> Store:
        """The store for a look that must write nothing, not even a migration: the database
        as it is, or an empty store when none exists yet (nothing has been recorded)."""
        try:
            return self.stores.reader()
        except NoDatabase:
            return MemoryStore()

    def templates(self) -> Templates:
        """The checked mail templates, making no link: what previews and simulations render
        with, so that they never hand out a working signing link."""
        return self.config.templates()

    def sending_templates(self) -> Templates:
        """The templates the service sends with: a variation chaser carries a signing link
        for its recipient's party, signed with the site secret, made as it is rendered."""
        links = chaser_links(self.configuration, self.secret)
        return self.config.templates().with_links(links)

    def public_url(self) -> str:
        """The base of every URL handed out (feeds, signed links): `[web] base_url`, else
        the address this process's web server is bound to (`serve --port 9000`), else
        `[web]` host and port."""
        web = self.configuration().web
        if web.base_url is None and self.bound_url is not None:
            return self.bound_url
        return web.public_url

    def replan(
        self,
        today: dt.date | None = None,
        horizon_days: int = DEFAULT_HORIZON_DAYS,
        progress: Progress | None = None,
        only: Collection[str] | None = None,
    ) -> PlanReport:
        """Plan every agreement (or those in `only`) into the outbox from `today` (default:
        today)."""
        day = today or self.today()
        self.check_in_calendar(day)
        self._check_horizon(day, horizon_days)
        return replan(
            self.configuration(),
            self.stores.writer(),
            day,
            self.clock.now(),
            horizon_days=horizon_days,
            actor=self.actor,
            progress=progress,
            only=only,
        )

    def close(self) -> None:
        """Release the store's connections."""
        self.stores.close()

    def upgrade_database(self) -> tuple[str | None, str]:
        """Migrate the database; (revision before, revision after)."""
        return self.stores.upgrade()

    def history(self, agreement_id: str) -> list[RecordedFact]:
        """The agreement's recorded facts; reads only, never creates the database."""
        self.agreement(agreement_id)
        return self.stores.reader().history(agreement_id)

    def facts(self) -> dict[str, list[Fact]]:
        """Every agreement's facts; reads only."""
        return self.stores.reader().facts_by_agreement()

    def outbox(
        self, agreement_id: str | None, state: State | None, limit: int, offset: int = 0
    ) -> OutboxPage:
        """A page of outbox rows (one agreement's or all), soonest first; reads only."""
        if limit < 1:
            raise InvalidInput(f"the limit must be at least 1 (got {limit})")
        if offset < 0:
            raise InvalidInput(f"the offset must be at least 0 (got {offset})")
        if agreement_id is not None:
            self.agreement(agreement_id)
        store = self.stores.reader()
        entries = store.all_outbox() if agreement_id is None else store.outbox(agreement_id)
        entries = [e for e in entries if state is None or e.state is state]
        entries.sort(key=lambda e: (e.message.due_at, e.message.key))
        return OutboxPage(entries[offset : offset + limit], len(entries), offset)

    def occurrences(
        self,
        first: dt.date,
        last: dt.date,
        agreement_id: str | None = None,
        *,
        reminders: bool = False,
        with_facts: bool = False,
        progress: Progress | None = None,
    ) -> list[Occurrence]:
        """Everything due in the window for one agreement or all, sorted; `with_facts` adds
        what the recorded facts set off (the database is only read, after the checks)."""
        if last < first:
            raise InvalidInput(f"the last day ({last}) is before the first ({first})")
        self.check_in_calendar(first)
        self.check_in_calendar(last)
        configuration = self.configuration()
        chosen = (self.agreement(agreement_id),) if agreement_id else configuration.agreements
        facts = self.facts() if with_facts else {}
        found: list[Occurrence] = []
        for agreement in chosen:
            state = fold(facts.get(agreement.id, []))
            calendar = configuration.calendar_for(agreement)
            settings = configuration.settings
            found += plan(
                agreement, calendar, settings, first, last, reminders=reminders, state=state
            )
            if progress is not None:
                progress(1)
        return sorted(found, key=Occurrence.sort_key)

    def _check_horizon(self, day: dt.date, horizon_days: int) -> None:
        """Refuse a horizon that is not positive or runs past the calendar's last day."""
        last = self.configuration().calendar.last
        if not 1 <= horizon_days <= (last - day).days:
            raise InvalidInput(
                f"the horizon must be from 1 day to the calendar's last day, {last} "
                f"(got {horizon_days} days from {day})"
            )

    def check_in_calendar(self, day: dt.date) -> None:
        """Refuse a day outside the operational calendar before planning reaches it."""
        calendar = self.configuration().calendar
        if not calendar.first <= day <= calendar.last:
            raise CalendarRangeError(day, calendar.first, calendar.last)


def _stores(db: str | None, env: Mapping[str, str]) -> StoreSource:
    """The database named by `db`, else `$CONCORDAT_DB`, else the default SQLite file in
    `$CONCORDAT_DATA` (whose folder alone may be created)."""
    named = db if db is not None else env.get("CONCORDAT_DB") or None
    if named is not None:
        return SqlStores(checked_url(named))
    data_dir = Path(env.get("CONCORDAT_DATA") or DEFAULT_DATA_DIR)
    return SqlStores(default_url(data_dir), data_dir)


def _actor(env: Mapping[str, str]) -> str:
    """Who is recording: `$CONCORDAT_ACTOR`, else the login name."""
    try:
        return env.get("CONCORDAT_ACTOR") or getpass.getuser()
    except OSError:  # no login name (a container without a passwd entry)
        return "concordat"
