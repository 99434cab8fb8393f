"""The send horizon: the outbox holds the rows due within `send_horizon_days` of the planning
day; the daily re-plan queues the rest as they come within it, and rows already queued
beyond it (by a plan made before) are left alone until it reaches them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config.issues import ConfigurationError
from config.loader import Configuration, load_configuration
from jobs.dry_run import dry_run
from jobs.memory import MemoryStore
from jobs.planner import replan, send_horizon_end, with_send_horizon
from lifecycle import commands as c
from lifecycle.messages import MessageKind
from lifecycle.outbox import Entry, State
from lifecycle.timeline import send_instant
from tests.conftest import run_command

NOTTS = "nottinghamshire-healthy-families"
TODAY = dt.date(2024, 11, 1)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)


def planned(configuration: Configuration, today: dt.date) -> dict[str, Entry]:
    """The outbox a first plan on `today` writes."""
    store = MemoryStore()
    replan(configuration, store, today, at(today))
    return store.rows


def local_day(moment: dt.datetime, configuration: Configuration) -> dt.date:
    return moment.astimezone(configuration.settings.timezone).date()


@pytest.mark.parametrize("days", [1, 14, 42, 120])
def test_a_first_plan_queues_exactly_what_is_due_within_the_horizon(
    examples: Configuration, days: int
) -> None:
    everything = planned(with_send_horizon(examples, None), TODAY)
    end = send_instant(TODAY + dt.timedelta(days=days), examples.settings)
    expected = {key: entry for key, entry in everything.items() if entry.message.due_at <= end}
    assert planned(with_send_horizon(examples, days), TODAY) == expected
    assert len(expected) < len(everything)


def test_a_row_due_on_the_horizons_last_day_is_queued_and_one_a_day_later_is_not(
    examples: Configuration,
) -> None:
    everything = planned(with_send_horizon(examples, None), TODAY)
    reminder = min(
        (e for e in everything.values() if local_day(e.message.due_at, examples) > TODAY),
        key=lambda e: (e.message.due_at, e.message.key),
    )
    days = (local_day(reminder.message.due_at, examples) - TODAY).days
    assert reminder.message.key in planned(with_send_horizon(examples, days), TODAY)
    assert reminder.message.key not in planned(with_send_horizon(examples, days - 1), TODAY)


def test_the_next_days_replan_queues_the_rows_that_came_within(examples: Configuration) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    fresh = planned(with_send_horizon(examples, None), tomorrow)
    due_days = {local_day(entry.message.due_at, examples) for entry in fresh.values()}
    days = min(n for n in range(30, 60) if tomorrow + dt.timedelta(days=n) in due_days)
    configuration, store = with_send_horizon(examples, days), MemoryStore()
    replan(configuration, store, TODAY, at(TODAY))
    before = dict(store.rows)
    replan(configuration, store, tomorrow, at(tomorrow))
    came_within = {
        key: entry
        for key, entry in fresh.items()
        if local_day(entry.message.due_at, examples) == tomorrow + dt.timedelta(days=days)
    }
    assert set(came_within).isdisjoint(before)
    assert {key: store.rows[key] for key in came_within} == came_within


def test_a_reminder_a_year_before_the_term_ends_is_queued_when_its_day_enters_the_horizon(
    examples: Configuration,
) -> None:
    days = 42
    configuration = with_send_horizon(examples, days)
    agreement = examples.agreement(NOTTS)
    assert agreement is not None
    assert agreement.term.last_day == dt.date(2033, 9, 30)
    prefix = f"reminder:{NOTTS}:term:end:2033-09-30:12 months:"
    sent_on = dt.date(2032, 9, 30)  # a Thursday, an operational day
    store = MemoryStore()
    day_before = sent_on - dt.timedelta(days=days + 1)
    replan(configuration, store, day_before, at(day_before))
    assert not [key for key in store.rows if key.startswith(prefix)]
    entering = sent_on - dt.timedelta(days=days)
    replan(configuration, store, entering, at(entering))
    queued = [entry for key, entry in store.rows.items() if key.startswith(prefix)]
    assert queued
    assert {local_day(e.message.due_at, examples) for e in queued} == {sent_on}
    assert (dt.date(2033, 9, 30) - entering).days > 400  # beyond what the plan looks at


def test_rows_queued_beyond_the_horizon_by_an_earlier_plan_are_left_alone(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    replan(with_send_horizon(examples, None), store, TODAY, at(TODAY))
    before = dict(store.rows)
    tomorrow, configuration = TODAY + dt.timedelta(days=1), with_send_horizon(examples, 42)
    replan(configuration, store, tomorrow, at(tomorrow))
    end = send_horizon_end(configuration, tomorrow)
    assert end is not None
    beyond = {key for key, entry in before.items() if entry.message.due_at > end}
    assert len(beyond) > 500
    assert {key: store.rows[key] for key in beyond} == {key: before[key] for key in beyond}
    fresh = planned(with_send_horizon(examples, None), tomorrow)
    wanted = {key: e.message for key, e in fresh.items() if e.message.due_at <= end}
    assert {key: store.rows[key].message for key in wanted} == wanted


def test_a_delivered_invite_whose_next_one_is_due_beyond_the_horizon_is_not_followed_up(
    examples: Configuration,
) -> None:
    store = MemoryStore()
    replan(with_send_horizon(examples, None), store, TODAY, at(TODAY))
    for key, entry in list(store.rows.items()):
        if entry.message.kind is MessageKind.INVITE and entry.message.due_at <= at(TODAY):
            store.mark(key, State.SENT)
    later = TODAY + dt.timedelta(days=30)
    replan(with_send_horizon(examples, 1), store, later, at(later))
    follow_ups = [key for key in store.rows if "#" in key]
    assert follow_ups == []
    assert [e for e in store.rows.values() if e.state is State.SENT]


@pytest.mark.parametrize("value", ["0", "401", '"42"', "1.5"])
def test_send_horizon_days_outside_1_to_400_is_refused_naming_the_file_and_key(
    tmp_path: Path, value: str
) -> None:
    examples = Path(__file__).resolve().parents[2] / "config" / "examples"
    for source in examples.glob("*.toml"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    site = tmp_path / "site.toml"
    site.write_text(site.read_text() + f"\n[plan]\nsend_horizon_days = {value}\n")
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(tmp_path)
    assert "site.toml" in str(caught.value)
    assert "plan.send_horizon_days" in str(caught.value)


def test_send_horizon_days_is_read_from_the_plan_table(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "config" / "examples"
    for source in examples.glob("*.toml"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    site = tmp_path / "site.toml"
    site.write_text(site.read_text() + "\n[plan]\nsend_horizon_days = 7\n")
    assert load_configuration(tmp_path).site.plan.send_horizon_days == 7


SEFTON = "sefton-partnership"


def test_a_recorded_variation_queues_its_chasers_within_the_horizon_and_its_dry_run_shows_all(
    examples: Configuration,
) -> None:
    configuration, store = with_send_horizon(examples, 42), MemoryStore()
    command = c.ProposeVariation(SEFTON, TODAY, "Add a partner")
    shown = dry_run(command, configuration, store, TODAY)
    chasers = [m for m in shown.messages_added if ":variation:" in m.key]
    end = send_horizon_end(configuration, TODAY)
    assert end is not None
    assert [m for m in chasers if m.due_at > end]  # the dry run shows every chaser
    run_command(configuration, store, command, TODAY)
    queued = {key for key in store.rows if key.startswith(f"notice:{SEFTON}:")}
    assert queued
    assert queued == {m.key for m in chasers if m.due_at <= end}
