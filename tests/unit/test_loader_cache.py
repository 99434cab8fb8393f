"""Loading from the caches gives exactly what parsing gives: the on-disk cache of a new
process, the in-memory one of a reload, and whatever goes wrong with either falls back to
parsing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Collection
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import config.cache
import config.loader
from concordat.app import App
from concordat.cli_run import ClaimOptions, Follower, dispatch_policy
from concordat.sources import ConfigSource, GivenStore
from config.cache import DiskCache
from config.issues import ConfigurationError, IssueLog
from config.loader import Configuration, LoadCache, load_configuration
from jobs.clock import FixedClock
from jobs.dispatcher import Dispatcher
from jobs.mailer import mailer_for
from jobs.memory import MemoryStore
from jobs.ports import Store
from lifecycle.agreement import Agreement
from lifecycle.facts import Fact, MeetingCancelled
from tests.conftest import EXAMPLES

SEFTON = "sefton-partnership.toml"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    copied = tmp_path / "conf"
    shutil.copytree(EXAMPLES, copied)
    return copied


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data" / "cache"


def load(directory: Path, cache_dir: Path) -> tuple[Configuration, LoadCache]:
    """A load as a new process makes it: a fresh in-memory cache over the disk cache."""
    cache = LoadCache(disk=cache_dir)
    return load_configuration(directory, cache), cache


def edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def test_a_warm_load_equals_a_cold_one_and_an_uncached_one(
    directory: Path, cache_dir: Path
) -> None:
    files = len(list(directory.glob("*.toml"))) - 1  # less site.toml
    cold, cold_cache = load(directory, cache_dir)
    assert cold_cache.parsed == files
    assert len(list(cache_dir.glob("config-*.pickle"))) == 1
    warm, warm_cache = load(directory, cache_dir)
    assert warm_cache.parsed == 0  # every agreement came from the disk cache
    uncached = load_configuration(directory)
    for loaded in (cold, warm):
        assert loaded == uncached
        assert loaded.agreements == uncached.agreements
        assert loaded.digests == uncached.digests
        assert loaded.calendar == uncached.calendar
    assert [a.id for a in warm.agreements] == [a.id for a in uncached.agreements]


def test_errors_are_reported_alike_warm_and_cold(directory: Path, cache_dir: Path) -> None:
    load(directory, cache_dir)  # every valid file cached
    (directory / "broken.toml").write_text('id = "x"\ntitle = 3\n', encoding="utf-8")
    sefton = (directory / SEFTON).read_text(encoding="utf-8")
    (directory / "copy.toml").write_text(sefton, encoding="utf-8")  # a duplicate id
    reports = []
    for cache in (LoadCache(disk=cache_dir), LoadCache(), None):
        with pytest.raises(ConfigurationError) as raised:
            load_configuration(directory, cache)
        reports.append(str(raised.value))
    assert reports[0] == reports[1] == reports[2]
    assert "duplicate agreement id" in reports[0]
    assert "broken.toml" in reports[0]


def test_an_invalid_load_still_caches_its_valid_files(
    directory: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (directory / "broken.toml").write_text('id = "x"\ntitle = 3\n', encoding="utf-8")
    files = len(list(directory.glob("*.toml"))) - 1  # less site.toml
    parsed: list[Path] = []
    parse = config.loader._load_agreement

    def counting(log: IssueLog, content: bytes) -> Agreement | None:
        parsed.append(log.file)
        return parse(log, content)

    monkeypatch.setattr(config.loader, "_load_agreement", counting)
    for expected in (files, 1):  # the second load parses the broken file alone
        parsed.clear()
        cache = LoadCache(disk=cache_dir)
        with pytest.raises(ConfigurationError):
            load_configuration(directory, cache)
        assert len(parsed) == expected
        assert not cache.files  # an invalid load leaves the in-memory cache as it was
    assert len(DiskCache(cache_dir, directory).read()) == files - 1


def test_a_changed_file_alone_is_parsed_again(directory: Path, cache_dir: Path) -> None:
    load(directory, cache_dir)
    edit(directory / SEFTON)
    loaded, cache = load(directory, cache_dir)
    assert cache.parsed == 1
    assert loaded == load_configuration(directory)
    _, again = load(directory, cache_dir)
    assert again.parsed == 0  # the edited file's agreement was written back


def test_a_new_package_version_parses_everything_again(
    directory: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold, cache = load(directory, cache_dir)
    real = config.cache._version
    monkeypatch.setattr(config.cache, "_version", lambda name: real(name) + ".post1")
    config.cache.fingerprint.cache_clear()
    try:
        loaded, cache = load(directory, cache_dir)
        assert cache.parsed == len(cold.agreements)
        assert loaded == cold
    finally:
        config.cache.fingerprint.cache_clear()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-40] + bytes(40),  # the payload changed: the checksum fails
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"",
        lambda data: b"not a cache at all",
        lambda data: data.replace(config.cache.MAGIC, b"concordat agreement cache 0\n"),
    ],
)
def test_a_damaged_cache_is_parsed_around(directory: Path, cache_dir: Path, damage: object) -> None:
    cold, _ = load(directory, cache_dir)
    (path,) = cache_dir.glob("config-*.pickle")
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes()))
    loaded, cache = load(directory, cache_dir)
    assert cache.parsed == len(cold.agreements)
    assert loaded == cold
    _, again = load(directory, cache_dir)  # the damaged file was replaced
    assert again.parsed == 0


def test_a_cache_that_unpickles_to_the_wrong_shape_is_ignored(
    directory: Path, cache_dir: Path
) -> None:
    cold, _ = load(directory, cache_dir)
    disk = DiskCache(cache_dir, directory)
    assert len(disk.read()) == len(cold.agreements)
    disk.write({"0" * 64: "not an agreement"})  # type: ignore[dict-item]
    assert disk.read() == {}
    assert load(directory, cache_dir)[0] == cold


def test_without_a_data_directory_nothing_is_written(directory: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "missing" / "cache"
    loaded, cache = load(directory, cache_dir)
    assert cache.parsed == len(loaded.agreements)
    assert not (tmp_path / "missing").exists()  # a command never creates the data directory


def test_an_unwritable_cache_falls_back_to_parsing(directory: Path, cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / DiskCache(cache_dir, directory).path.name).mkdir()  # os.replace onto it fails
    loaded, _ = load(directory, cache_dir)
    _, cache = load(directory, cache_dir)
    assert cache.parsed == len(loaded.agreements)
    assert not list(cache_dir.glob(".config-*"))  # no temporary file left behind


def test_a_reload_reads_only_files_whose_stat_changed(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config.loader, "SETTLED_SECONDS", 0.0)
    cache = LoadCache()
    first = load_configuration(directory, cache)
    load_configuration(directory, cache)
    assert cache.read == 0
    assert cache.parsed == 0
    sefton = directory / SEFTON
    before = sefton.stat()
    text = sefton.read_text(encoding="utf-8")
    sefton.write_text(text.replace("Sefton", "Sefto_", 1), encoding="utf-8")  # same size
    os.utime(sefton, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    reloaded = load_configuration(directory, cache)
    assert cache.read == 1
    assert cache.parsed == 1
    assert reloaded != first
    assert reloaded == load_configuration(directory)


def test_a_file_read_as_it_changes_is_read_again(directory: Path) -> None:
    cache = LoadCache()
    load_configuration(directory, cache)  # the copies are new: their stat is not trusted yet
    load_configuration(directory, cache)
    assert cache.read == len(cache.files)
    assert cache.parsed == 0


class Recording(MemoryStore):
    """The fake store, noting which agreements each bulk read asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[frozenset[str] | None] = []

    def facts_by_agreement(
        self, agreements: Collection[str] | None = None
    ) -> dict[str, list[Fact]]:
        self.asked.append(None if agreements is None else frozenset(agreements))
        return super().facts_by_agreement(agreements)


def test_the_follower_replans_only_the_changed_agreement(directory: Path, tmp_path: Path) -> None:
    now = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    store = Recording()
    clock = FixedClock(now)
    concordat = App(ConfigSource(directory), GivenStore(store), clock, "tester")
    mail = concordat.configuration().mail
    claiming = ClaimOptions(dt.timedelta(minutes=5), 50)
    policy = dispatch_policy(mail, claiming)
    mailer = mailer_for(mail, {}, tmp_path, clock)
    zone = ZoneInfo("Europe/London")
    dispatcher = Dispatcher(store, mailer, clock, "node", zone, policy)
    concordat.replan()
    said: list[tuple[str, str]] = []
    follower = Follower(concordat, dispatcher, claiming, lambda a, d: said.append((a, d)))
    store.asked.clear()
    edit(directory / SEFTON)
    assert follower._apply() == (True, False)
    assert store.asked == [frozenset({"sefton-partnership"})]
    assert said[-1][0] == "reloaded"
    (directory / "stockport-0-19.toml").unlink()  # a removal needs the full plan
    assert follower._apply() == (True, False)
    assert store.asked[-1] is None
    assert "withdrawn" in said[-1][1]


def test_bulk_reads_can_be_limited_to_some_agreements(any_store: Store) -> None:
    on = dt.date(2025, 1, 6)
    for agreement in ("a", "b", "c"):
        with any_store.unit(agreement) as unit:
            unit.append_fact(
                MeetingCancelled(agreement, on, "m", on), "tester", dt.datetime.now(dt.UTC)
            )
    assert set(any_store.facts_by_agreement()) == {"a", "b", "c"}
    assert set(any_store.facts_by_agreement(["a", "c"])) == {"a", "c"}
    assert any_store.facts_by_agreement(set()) == {}
    assert any_store.stamps(["a"]) == {k: v for k, v in any_store.stamps().items() if k == "a"}
