"""What the running service does when its configuration changes (`cli_run.Follower`), on the
in-memory store: a valid change is re-planned, an invalid one keeps the last good
configuration, new mail settings are used from the next batch, and the daily re-plan picks up
a change the watcher missed."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from concordat.app import App
from concordat.cli_run import ClaimOptions, Follower, dispatch_policy
from concordat.sources import ConfigSource, GivenStore
from jobs.clock import FixedClock
from jobs.dispatcher import Dispatcher
from jobs.mailer import mailer_for
from jobs.memory import MemoryStore
from tests.conftest import EXAMPLES

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def follower(tmp_path: Path) -> tuple[Follower, list[tuple[str, str]], Path]:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    clock = FixedClock(NOW)
    concordat = App(ConfigSource(directory), GivenStore(MemoryStore()), clock, "tester")
    mail = concordat.configuration().mail
    claiming = ClaimOptions(dt.timedelta(minutes=5), 50)
    mailer = mailer_for(mail, {}, tmp_path, clock)
    policy = dispatch_policy(mail, claiming)
    zone = ZoneInfo("Europe/London")
    dispatcher = Dispatcher(concordat.stores.writer(), mailer, clock, "node", zone, policy)
    said: list[tuple[str, str]] = []
    concordat.replan()
    follow = Follower(concordat, dispatcher, claiming, lambda a, d: said.append((a, d)))
    return follow, said, directory


def test_a_valid_change_is_replanned_and_an_invalid_one_kept_out(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    assert not asyncio.run(follow.apply())  # nothing changed
    assert said == []
    (directory / "broken.toml").write_text("id = [\n", encoding="utf-8")
    assert not asyncio.run(follow.apply())
    assert said[-1][0] == "invalid-configuration"
    assert "broken.toml" in said[-1][1]
    assert follow.concordat.configuration().agreement("sefton-partnership") is not None
    (directory / "broken.toml").unlink()
    (directory / "sefton-partnership.toml").unlink()
    assert asyncio.run(follow.apply())
    assert said[-1][0] == "reloaded"
    assert "1 removed (sefton-partnership)" in said[-1][1]
    assert "withdrawn outbox row(s)" in said[-1][1]


def test_a_refused_change_is_reported_to_the_administrator_once(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write('\n[mail]\nadmin = "it@council.example.org"\n')
    assert asyncio.run(follow.apply())
    assert said[-1][0] == "reloaded"
    store = follow.concordat.stores.writer()
    (directory / "broken.toml").write_text("id = [\n", encoding="utf-8")
    assert asyncio.run(follow.apply())  # a report queued: the service wakes to send it
    assert not asyncio.run(follow.apply())  # the same errors: reported already
    reports = [e.message for e in store.all_outbox() if e.message.recipient.startswith("it@")]
    assert len(reports) == 1
    assert any("broken.toml" in error for error in reports[0].payload["errors"])


def test_the_daily_replan_plans_the_day_even_when_a_change_is_refused(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write('\n[mail]\nadmin = "it@council.example.org"\n')
    follow.daily_replan()
    (directory / "broken.toml").write_text("id = [\n", encoding="utf-8")
    follow.daily_replan()
    assert [action for action, _ in said[-2:]] == ["invalid-configuration", "planned"]


def test_new_mail_settings_are_used_from_the_next_batch(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    before = follow.dispatcher.mailer
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write('\n[mail]\nmaildir = "elsewhere"\nadmin = "it@council.example.org"\n')
    assert asyncio.run(follow.apply())
    assert follow.dispatcher.mailer is not before
    assert "elsewhere" in follow.dispatcher.mailer.describe()
    assert follow.dispatcher.policy.report_to == "it@council.example.org"
    assert ("mail", f"mail now goes to {follow.dispatcher.mailer.describe()}") in said


def test_mail_settings_that_cannot_be_used_keep_the_old_ones(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    before = follow.dispatcher.mailer
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write('\n[mail]\nsmtp_host = "smtp.example.org"\nuser = "concordat"\n')
    assert asyncio.run(follow.apply())  # the plan follows; only the mail settings are refused
    assert follow.dispatcher.mailer is before
    assert any(a == "invalid-configuration" and "still sending as before" in d for a, d in said)


def test_the_daily_replan_picks_up_a_change_the_watcher_missed(tmp_path: Path) -> None:
    follow, said, directory = follower(tmp_path)
    follow.daily_replan()
    assert said[-1][0] == "planned"
    (directory / "stockport-0-19.toml").unlink()
    follow.daily_replan()
    assert said[-1][0] == "reloaded"
    assert "stockport-0-19" in said[-1][1]
