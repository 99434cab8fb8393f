"""The App: one object every door uses, built without typer or rich, reading the environment
when built (never at import), computing "today" in one place, and mapping errors in one table."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concordat.app import App, InvalidInput
from concordat.exits import EXIT_CODES, exit_code, lookup
from concordat.sources import ConfigChange, ConfigSource, GivenStore, SqlStores
from config.issues import ConfigurationError
from config.loader import load_configuration
from jobs.clock import FixedClock
from jobs.memory import MemoryStore
from lifecycle import commands as c
from lifecycle import errors
from lifecycle.outbox import State
from storage.engine import DatabaseError, DatabaseUnavailable, DatabaseUrlError
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


def make_app(moment: dt.datetime, directory: Path = EXAMPLES) -> App:
    clock = FixedClock(moment)
    return App(ConfigSource(directory), GivenStore(MemoryStore()), clock, "tester")


def test_importing_the_app_pulls_in_neither_typer_nor_rich() -> None:
    code = "import sys, concordat.app; print(sorted({'typer', 'rich'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_today_is_the_site_day_not_the_utc_day() -> None:
    late_evening_utc = dt.datetime(2024, 6, 30, 23, 30, tzinfo=dt.UTC)  # 00:30 in London
    assert make_app(late_evening_utc).today() == dt.date(2024, 7, 1)


def test_record_uses_the_injected_clock_store_and_actor() -> None:
    app = make_app(dt.datetime(2022, 9, 12, 10, tzinfo=dt.UTC))
    command = c.StartProcedure(
        "sefton-partnership", "dispute", "council", dt.date(2022, 9, 12), "x"
    )
    outcome = app.record(command)
    assert outcome.recorded.recorded_by == "tester"
    assert outcome.recorded.recorded_at == dt.datetime(2022, 9, 12, 10, tzinfo=dt.UTC)
    assert [item.fact for item in app.history("sefton-partnership")] == [outcome.recorded.fact]
    assert outcome.report.inserted > 0


def test_an_unknown_agreement_is_the_same_error_everywhere() -> None:
    app = make_app(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    day = dt.date(2024, 1, 1)
    calls: list[Callable[[], object]] = [
        lambda: app.history("nope"),
        lambda: app.outbox("nope", None, 10),
        lambda: app.occurrences(day, day, "nope"),
        lambda: app.record(c.WithdrawNotice("nope", day)),
    ]
    for call in calls:
        with pytest.raises(errors.UnknownName, match="unknown agreement 'nope'"):
            call()


def test_outbox_pages_every_agreement_soonest_first() -> None:
    app = make_app(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))
    app.replan()
    first = app.outbox(None, State.PENDING, 5)
    second = app.outbox(None, State.PENDING, 5, offset=5)
    assert len(first.entries) == len(second.entries) == 5
    assert first.total == second.total > 10
    dues = [e.message.due_at for e in first.entries + second.entries]
    assert dues == sorted(dues)
    assert len({e.message.agreement for e in app.outbox(None, None, 10_000).entries}) > 1


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (-1, 0), (5, -1)])
def test_outbox_refuses_a_bad_page(limit: int, offset: int) -> None:
    app = make_app(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput):
        app.outbox(None, None, limit, offset)


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 1, 1)])
def test_days_outside_the_calendar_are_refused_before_planning(day: dt.date) -> None:
    app = make_app(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(errors.CalendarRangeError):
        app.occurrences(min(day, dt.date(2024, 1, 1)), max(day, dt.date(2024, 1, 1)))
    with pytest.raises(errors.CalendarRangeError):
        app.replan(day)


def test_from_environment_reads_the_variables_when_built(tmp_path: Path) -> None:
    env = {
        "CONCORDAT_CONFIG": str(tmp_path / "conf"),
        "CONCORDAT_DATA": str(tmp_path / "data"),
        "CONCORDAT_ACTOR": "alice",
    }
    app = App.from_environment(environ=env)
    assert app.config.directory == tmp_path / "conf"
    assert app.actor == "alice"
    assert isinstance(app.stores, SqlStores)
    assert app.stores.url == f"sqlite:///{tmp_path / 'data' / 'concordat.db'}"
    assert app.stores.data_dir == tmp_path / "data"
    named = App.from_environment(db="sqlite:///x.db", environ={"CONCORDAT_DB": "sqlite:///y.db"})
    assert isinstance(named.stores, SqlStores)
    assert named.stores.url == "sqlite:///x.db"
    assert named.stores.data_dir is None


def test_an_empty_db_is_an_error_not_the_default() -> None:
    with pytest.raises(DatabaseUrlError, match="empty"):
        App.from_environment(db="", environ={})


def test_the_cli_reads_the_config_variable_when_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concordat.cli import app  # imported before the variable is set

    monkeypatch.setenv("CONCORDAT_CONFIG", str(tmp_path / "missing"))
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "missing" in result.output


def test_reload_only_when_a_file_changed(tmp_path: Path) -> None:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    source = ConfigSource(directory)
    loaded = source.configuration()
    assert source.files_parsed == len(loaded.agreements)
    assert not source.reload()
    assert source.files_parsed == 0
    assert source.configuration() is loaded
    sefton = directory / "sefton-partnership.toml"
    sefton.write_text(sefton.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    change = source.reload()
    assert change == ConfigChange(changed=("sefton-partnership",))
    assert source.files_parsed == 1  # only the edited file was parsed again
    reloaded = source.configuration()
    assert reloaded is not loaded
    assert reloaded.digests["sefton-partnership"] != loaded.digests["sefton-partnership"]
    assert reloaded.calendar is loaded.calendar  # the site did not change
    (directory / "stockport-0-19.toml").unlink()
    assert source.reload() == ConfigChange(removed=("stockport-0-19",))
    assert source.configuration().agreement("stockport-0-19") is None


def test_a_cached_agreement_is_what_a_fresh_load_builds(tmp_path: Path) -> None:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    source = ConfigSource(directory)
    source.configuration()
    sefton = directory / "sefton-partnership.toml"
    sefton.write_text(sefton.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    source.reload()
    fresh = load_configuration(directory)
    assert source.configuration().agreements == fresh.agreements
    assert source.configuration().digests == fresh.digests


def test_a_site_change_rebuilds_the_calendar_and_touches_every_agreement(tmp_path: Path) -> None:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    source = ConfigSource(directory)
    loaded = source.configuration()
    site = directory / "site.toml"
    site.write_text(site.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    change = source.reload()
    assert set(change.changed) == {a.id for a in loaded.agreements}
    assert source.files_parsed == 0  # the agreements' own files did not change
    assert source.configuration().calendar is not loaded.calendar


def test_an_invalid_reload_keeps_the_last_good_configuration(tmp_path: Path) -> None:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    source = ConfigSource(directory)
    loaded = source.configuration()
    (directory / "broken.toml").write_text("id = [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        source.reload()
    assert source.configuration() is loaded


def test_exit_codes_walk_the_class_hierarchy() -> None:
    class LateRefusal(errors.Refused):
        """Raised when a test needs a refusal of its own."""

    assert exit_code(LateRefusal("late")) == 1
    assert exit_code(errors.UnknownName("agreement", "x", [])) == 1
    assert exit_code(InvalidInput("bad")) == 2
    assert exit_code(DatabaseUrlError("foo://", "unsupported")) == 2
    assert exit_code(DatabaseUnavailable("db", "down")) == 3
    assert exit_code(KeyError("a bug")) is None
    assert lookup({DatabaseError: 503}, DatabaseUnavailable("db", "down")) == 503


def test_every_domain_error_has_an_exit_code() -> None:
    for name in dir(errors):
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, errors.ConcordatError):
            assert lookup(EXIT_CODES, value.__new__(value)) is not None, name


@pytest.mark.parametrize("horizon", [0, 10_000_000])
def test_a_horizon_past_the_calendar_is_refused(horizon: int) -> None:
    app = make_app(dt.datetime(2024, 10, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput, match="horizon"):
        app.replan(horizon_days=horizon)
