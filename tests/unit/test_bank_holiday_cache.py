"""The bank-holiday cache: the same days as the `holidays` package computes, and a cache that
cannot be used is never an error, only slower."""

from __future__ import annotations

import datetime as dt
import os
from importlib.metadata import version
from pathlib import Path

import pytest

from config.bank_holidays_file import (
    CACHE_FORMAT,
    CALENDAR_YEARS,
    package_bank_holidays,
    user_cache_dir,
)
from config.schema import FIRST_YEAR, LAST_YEAR
from lifecycle.bank_holidays import england_bank_holidays

FIRST, LAST = CALENDAR_YEARS


def cache_file(directory: Path, region: str = "ENG") -> Path:
    return directory / f"bank-holidays-{region}.txt"


def test_the_calendar_years_are_the_schema_years() -> None:
    assert CALENDAR_YEARS == (FIRST_YEAR, LAST_YEAR) == (1990, 2100)


@pytest.mark.parametrize("region", ["ENG", "WLS", "SCT", "NIR"])
def test_cached_days_are_the_computed_days(tmp_path: Path, region: str) -> None:
    computed = england_bank_holidays(FIRST, LAST, region)
    written = package_bank_holidays(FIRST, LAST, region, tmp_path)
    assert cache_file(tmp_path, region).is_file()
    read = package_bank_holidays(FIRST, LAST, region, tmp_path)
    assert written == read == computed
    assert dt.date(2022, 9, 19) in read  # a one-off day (the state funeral)


def test_a_cache_is_read_not_recomputed(tmp_path: Path) -> None:
    package_bank_holidays(FIRST, LAST, "ENG", tmp_path)
    path = cache_file(tmp_path)
    lines = path.read_text(encoding="ascii").split("\n")
    path.write_text("\n".join([lines[0], "2001-02-03", "end", ""]), encoding="ascii")
    assert package_bank_holidays(FIRST, LAST, "ENG", tmp_path) == {dt.date(2001, 2, 3)}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "{header}\n1990-01-01\n",  # cut short: no closing line
        "{header}\n1990-13-01\nend\n",
        "{header}\nend\n",  # no days at all
        "concordat bank holidays 1 holidays=0.0 ENG 1990-2100\n1990-01-01\nend\n",
        "{other_region}\n1990-01-01\nend\n",
    ],
    ids=["empty", "garbage", "truncated", "bad-date", "no-days", "old-version", "other-region"],
)
def test_a_damaged_or_stale_cache_is_recomputed_and_replaced(tmp_path: Path, text: str) -> None:
    header = f"{CACHE_FORMAT} holidays={version('holidays')} ENG {FIRST}-{LAST}"
    path = cache_file(tmp_path)
    other_region = header.replace(" ENG ", " SCT ")
    path.write_bytes(text.format(header=header, other_region=other_region).encode("ascii"))
    assert package_bank_holidays(FIRST, LAST, "ENG", tmp_path) == england_bank_holidays(FIRST, LAST)
    assert path.read_text(encoding="ascii").startswith(header + "\n1990-01-01\n")


def test_a_cache_for_other_years_is_not_used(tmp_path: Path) -> None:
    package_bank_holidays(2000, 2001, "ENG", tmp_path)
    assert package_bank_holidays(FIRST, LAST, "ENG", tmp_path) == england_bank_holidays(FIRST, LAST)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_read_only_directory_falls_back_to_computing(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        days = package_bank_holidays(FIRST, LAST, "ENG", tmp_path / "cache")
    finally:
        tmp_path.chmod(0o700)
    assert days == england_bank_holidays(FIRST, LAST)
    assert not (tmp_path / "cache").exists()


def test_a_directory_that_cannot_be_made_falls_back_to_computing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    days = package_bank_holidays(FIRST, LAST, "ENG", blocker / "cache")
    assert days == england_bank_holidays(FIRST, LAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_an_unreadable_cache_file_falls_back_to_computing(tmp_path: Path) -> None:
    cache_file(tmp_path).mkdir()  # a directory where the file should be
    days = package_bank_holidays(FIRST, LAST, "ENG", tmp_path)
    assert days == england_bank_holidays(FIRST, LAST)
    assert [p.name for p in tmp_path.iterdir()] == ["bank-holidays-ENG.txt"]  # no leftovers


def test_each_call_returns_a_set_of_its_own(tmp_path: Path) -> None:
    first = package_bank_holidays(FIRST, LAST, "ENG", tmp_path)
    first.add(dt.date(2024, 7, 1))  # the loader adds the site's closure days to it
    assert dt.date(2024, 7, 1) not in package_bank_holidays(FIRST, LAST, "ENG", tmp_path)
    computed = england_bank_holidays(FIRST, LAST)
    computed.add(dt.date(2024, 7, 1))
    assert dt.date(2024, 7, 1) not in england_bank_holidays(FIRST, LAST)


def test_the_user_cache_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/cache/someone")
    assert user_cache_dir() == Path("/var/cache/someone/concordat")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as XDG says
    monkeypatch.setenv("HOME", "/home/someone")
    assert user_cache_dir() == Path("/home/someone/.cache/concordat")
