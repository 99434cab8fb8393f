"""Weekly digests: a contact who opts in gets, on the first operational day of each week,
the coming 14 days of what concerns them; with "instead" their optional reminders are
folded in, never their notices, invites or notice and term reminders."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest

from config.loader import Configuration, load_configuration
from jobs.memory import MemoryStore
from jobs.planner import replan
from lifecycle.messages import kind_of
from notifications.render import render
from tests.conftest import EXAMPLES

NOTTS = "nottinghamshire-healthy-families"
PERSON = 'name = "Daniel Morrow"'
TODAY = dt.date(2024, 12, 20)  # a Friday; Mon 23 Dec, Mon 30 Dec, Thu 2 Jan (after holidays)
NOW = dt.datetime(2024, 12, 20, 8, 0, tzinfo=dt.UTC)


def configured(tmp_path: Path, digest: str) -> Configuration:
    directory = tmp_path / digest
    shutil.copytree(EXAMPLES, directory)
    path = directory / f"{NOTTS}.toml"
    text = path.read_text(encoding="utf-8")
    assert PERSON in text
    path.write_text(text.replace(PERSON, f'{PERSON}\ndigest = "{digest}"', 1), encoding="utf-8")
    return load_configuration(directory)


def planned(configuration: Configuration) -> list[tuple[str, str]]:
    store = MemoryStore()
    replan(configuration, store, TODAY, NOW, only={NOTTS})
    return sorted((e.message.recipient, kind_of(e.message).name) for e in store.rows.values())


def person(configuration: Configuration) -> str:
    agreement = configuration.agreement(NOTTS)
    assert agreement is not None
    return next(c.email for c in agreement.contacts if c.digest != "none")


@pytest.mark.parametrize("digest", ["also", "instead"])
def test_digests_come_on_the_first_operational_day_of_each_week(
    tmp_path: Path, digest: str
) -> None:
    configuration = configured(tmp_path, digest)
    store = MemoryStore()
    replan(configuration, store, TODAY, NOW, only={NOTTS})
    email = person(configuration)
    digests = sorted(
        (e.message for e in store.rows.values() if kind_of(e.message).name == "weekly_digest"),
        key=lambda m: m.due_at,
    )
    assert {m.recipient for m in digests} == {email}
    days = [m.due_at.date() for m in digests]
    assert days == [dt.date(2024, 12, 23), dt.date(2024, 12, 30)]  # both within two weeks
    items = digests[0].payload["items"]
    assert items
    assert all(item["when"] for item in items)
    text = render(digests[0], "c@example.org").get_body(("plain",))
    assert text is not None
    assert items[0]["title"] in text.get_content()


def test_instead_folds_optional_reminders_only(tmp_path: Path) -> None:
    also, instead = configured(tmp_path, "also"), configured(tmp_path, "instead")
    email = person(also)
    with_reminders = Counter(kind for who, kind in planned(also) if who == email)
    folded = Counter(kind for who, kind in planned(instead) if who == email)
    assert with_reminders["meeting_reminder"] > 0
    assert folded["meeting_reminder"] == folded["review_due"] == 0
    assert folded["deadline_approaching"] == 0
    for kept in ("meeting_invite", "term_ending", "notice_last_day"):
        assert folded[kept] == with_reminders[kept], kept
    assert folded["weekly_digest"] == with_reminders["weekly_digest"] > 0
