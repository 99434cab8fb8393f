"""Recording commands and a sender at the same moment on one real database (SQLite and
PostgreSQL): the sender claims and sends rows while disputes are resolved and meetings
cancelled, which withdraws or follows up those very rows. Every row the sender was told it
sent stays sent, no command fails for the race, and an invite sent before its meeting was
cancelled gets its cancellation."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from config.loader import Configuration
from lifecycle import commands as c
from lifecycle.ids import CaseId
from lifecycle.outbox import State
from storage.store import SqlStore
from tests.conftest import run_command

SEFTON, NOTTS = "sefton-partnership", "nottinghamshire-healthy-families"
TODAY = dt.date(2024, 11, 4)
FAR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the sender takes anything that is pending


def test_commands_and_a_sender_at_once(examples: Configuration, sql_store: SqlStore) -> None:
    cases = [
        run_command(
            examples, sql_store, c.StartProcedure(SEFTON, "dispute", "council", TODAY, f"m{n}"),
            TODAY,
        ).recorded.fact.case  # type: ignore[attr-defined]
        for n in range(6)
    ]  # fmt: skip
    run_command(examples, sql_store, c.ProposeVariation(NOTTS, TODAY, "KPI change"), TODAY)
    sent: list[str] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            while not stop.is_set():
                for claim in sql_store.claim("sender", FAR, dt.timedelta(minutes=5), limit=3):
                    time.sleep(0.002)  # the mail server's answer takes a moment
                    if sql_store.mark_sent(claim, FAR, "250 ok"):
                        sent.append(claim.message.key)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        for case in cases:
            run_command(
                examples, sql_store, c.CloseCase(CaseId.parse(case), TODAY, "agreed"), TODAY
            )
        for day in (dt.date(2024, 11, 12), dt.date(2024, 12, 10), dt.date(2025, 1, 14)):
            meeting = c.CancelMeeting(NOTTS, "service-review", day)
            run_command(examples, sql_store, meeting, TODAY)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert errors == []
    assert sent, "the sender sent nothing: the race was not run"
    rows = {entry.message.key: entry for entry in sql_store.all_outbox()}
    assert [key for key in sent if rows[key].state is not State.SENT] == []
    cancelled_invites = [
        key
        for key in sent
        if key.startswith(f"invite:{NOTTS}:meeting:service-review:2024-12-10:") and "#" not in key
    ]
    for key in cancelled_invites:
        assert f"{key}#1:cancel" in rows, key


def test_a_sender_that_sends_inside_an_open_unit_makes_its_write_conflict(
    pg_admin_url: str,
) -> None:
    """PostgreSQL only (on SQLite the unit holds the database's write lock, so a sender
    waits for it): the planner's unit has read the outbox; a sender in another connection
    claims and sends a row meanwhile; the planner's withdrawal of that row then conflicts,
    its unit rolls back, and the row stays sent."""
    from sqlalchemy.engine import Engine

    from jobs.ports import OutboxConflict
    from lifecycle.outbox import reconcile
    from storage.engine import make_engine
    from tests.conftest import new_pg_database
    from tests.integration.test_store_contract import AT, DUE, message, plan

    engine: Engine = make_engine(new_pg_database(pg_admin_url))
    store = SqlStore(engine)
    plan(store, "a", [message("k1"), message("k2")])
    outcome: list[bool] = []

    def plan_while_a_sender_sends() -> None:
        with store.unit("a") as unit:
            changes = reconcile([], unit.outbox(), AT)  # withdraw both
            sender = threading.Thread(
                target=lambda: outcome.extend(
                    store.mark_sent(claim, DUE, "250 ok")
                    for claim in store.claim("n1", DUE, dt.timedelta(minutes=5), limit=1)
                )
            )
            sender.start()
            sender.join(timeout=30)
            unit.apply_plan(changes, "d2", "planner", AT)

    with pytest.raises(OutboxConflict) as conflict:
        plan_while_a_sender_sends()
    assert conflict.value.keys == ["k1"]
    assert outcome == [True]
    states = {entry.message.key: entry.state for entry in store.all_outbox()}
    assert states == {"k1": State.SENT, "k2": State.PENDING}  # the unit wrote nothing
    engine.dispose()
