"""The site secret: from the environment or a 0600 file made once; one key per purpose."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from concordat.secret import SecretUnusable, SiteSecret


def test_the_file_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret"
    first = SiteSecret(None, path).key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SiteSecret(None, path).key() == first
    assert len(first) == 64


def test_the_environment_wins_and_must_be_long(tmp_path: Path) -> None:
    assert SiteSecret("x" * 32, tmp_path / "secret").key() == b"x" * 32
    assert not (tmp_path / "secret").exists()
    with pytest.raises(SecretUnusable, match="at least 32"):
        SiteSecret("short", tmp_path / "secret").key()


def test_signatures_differ_by_purpose_and_by_key(tmp_path: Path) -> None:
    one = SiteSecret("a" * 32, tmp_path / "s")
    other = SiteSecret("b" * 32, tmp_path / "s")
    assert one.sign("feed", "1:0") == one.sign("feed", "1:0")
    assert one.sign("feed", "1:0") != one.sign("link", "1:0")
    assert one.sign("feed", "1:0") != other.sign("feed", "1:0")


def test_an_unreadable_place_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SecretUnusable, match="cannot read or create"):
        SiteSecret(None, blocker / "secret").key()
