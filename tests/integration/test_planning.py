"""Recorded facts and the planner on real SQLite and PostgreSQL, with the example agreements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from config.loader import Configuration
from jobs.clock import FixedClock
from jobs.handlers import Services, handle
from jobs.planner import replan
from lifecycle import commands as c
from lifecycle.errors import Refused
from lifecycle.ids import CaseId, VariationId
from lifecycle.outbox import Changes, State
from storage.store import SqlStore
from storage.tables import AuditRecord, FactRecord, OutboxRecord, PlanStamp

SEFTON, HALTON = "sefton-partnership", "halton-st-helens-s31"


def services(configuration: Configuration, store: SqlStore, today: dt.date) -> Services:
    moment = dt.datetime.combine(today, dt.time(10, 0), tzinfo=dt.UTC)
    return Services(configuration, store, FixedClock(moment), "tester", today=today)


def row_counts(store: SqlStore) -> dict[str, int]:
    with Session(store.engine) as session:
        return {
            table.__tablename__: session.exec(select(func.count()).select_from(table)).one()
            for table in (FactRecord, OutboxRecord, AuditRecord, PlanStamp)
        }


def latest_update(store: SqlStore) -> dt.datetime | None:
    with Session(store.engine) as session:
        return session.exec(select(func.max(OutboxRecord.updated_at))).one()


def test_replanning_the_same_input_writes_nothing(
    examples: Configuration, sql_store: SqlStore
) -> None:
    today, now = dt.date(2024, 11, 1), dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    first = replan(examples, sql_store, today, now)
    assert first.inserted > 100
    counts, stamp_time = row_counts(sql_store), latest_update(sql_store)
    second = replan(examples, sql_store, today, now + dt.timedelta(minutes=5))
    assert (second.written, second.skipped, second.planned) == (0, len(examples.agreements), 0)
    assert row_counts(sql_store) == counts
    assert latest_update(sql_store) == stamp_time


def test_replanning_without_the_stamp_still_writes_no_outbox_row(
    examples: Configuration, sql_store: SqlStore
) -> None:
    today, now = dt.date(2024, 11, 1), dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    replan(examples, sql_store, today, now)
    counts, stamp_time = row_counts(sql_store), latest_update(sql_store)
    with Session(sql_store.engine) as session:  # forget the stamps: a full reconcile runs
        for stamp in session.exec(select(PlanStamp)).all():
            session.delete(stamp)
        session.commit()
    again = replan(examples, sql_store, today, now)
    assert again.planned == len(examples.agreements)
    assert again.written == 0
    assert row_counts(sql_store)["outbox"] == counts["outbox"]
    assert row_counts(sql_store)["audit"] == counts["audit"]
    assert latest_update(sql_store) == stamp_time


def test_sefton_dispute_skips_the_state_funeral(
    examples: Configuration, sql_store: SqlStore
) -> None:
    raised = dt.date(2022, 9, 12)
    outcome = handle(
        c.StartProcedure(SEFTON, "dispute", "council", raised, "Data sharing"),
        services(examples, sql_store, raised),
    )
    case = outcome.state.cases[f"{SEFTON}.dispute.1"]
    assert case.started_on == raised
    keys = [e.message for e in sql_store.outbox(SEFTON) if e.message.key.startswith("notice:")]
    discuss = [m for m in keys if ":dispute:discuss:" in m.key]
    board = [m for m in keys if ":dispute-escalation:board:" in m.key]
    assert discuss
    assert board
    assert {m.payload["for_date"] for m in discuss} == {"2022-10-11"}  # window closes
    assert {m.payload["date"] for m in board} == {"2022-10-12"}  # next step due


def test_resolving_a_dispute_withdraws_its_pending_steps(
    examples: Configuration, sql_store: SqlStore
) -> None:
    raised = dt.date(2022, 9, 12)
    handle(
        c.StartProcedure(SEFTON, "dispute", "council", raised, "Data sharing"),
        services(examples, sql_store, raised),
    )
    later = dt.date(2022, 9, 20)
    handle(
        c.CloseCase(CaseId.parse(f"{SEFTON}.dispute.1"), later, "Agreed at the board"),
        services(examples, sql_store, later),
    )
    steps = {e.message.key: e.state for e in sql_store.outbox(SEFTON) if ":case:" in e.message.key}
    escalation = {k: s for k, s in steps.items() if "dispute-escalation" in k}
    assert escalation
    assert set(escalation.values()) == {State.WITHDRAWN}
    closed = [k for k in steps if k.split(":")[-3] == "closed" or ":closed:" in k]
    assert closed


def test_notice_on_the_last_valid_day_and_the_day_after(
    examples: Configuration, sql_store: SqlStore
) -> None:
    with pytest.raises(Refused, match="earliest valid end is 2011-03-31"):
        handle(
            c.ServeNotice(HALTON, "halton", dt.date(2009, 10, 1), dt.date(2010, 3, 31)),
            services(examples, sql_store, dt.date(2009, 10, 1)),
        )
    assert row_counts(sql_store)["fact"] == 0
    outcome = handle(
        c.ServeNotice(HALTON, "halton", dt.date(2009, 9, 30), dt.date(2010, 3, 31)),
        services(examples, sql_store, dt.date(2009, 9, 30)),
    )
    assert outcome.state.notice is not None
    assert outcome.state.notice.ending == dt.date(2010, 3, 31)
    with pytest.raises(Refused, match="already ending"):
        handle(
            c.ServeNotice(HALTON, "st-helens", dt.date(2009, 10, 2), None),
            services(examples, sql_store, dt.date(2009, 10, 2)),
        )


def test_notice_ends_the_plan_early(examples: Configuration, sql_store: SqlStore) -> None:
    day = dt.date(2009, 9, 30)
    handle(c.ServeNotice(HALTON, "halton", day, None), services(examples, sql_store, day))
    dates = [
        e.message.payload["date"]
        for e in sql_store.outbox(HALTON)
        if e.state is State.PENDING and e.message.kind.value == "invite"
    ]
    assert dates
    assert max(dates) <= "2010-03-31"


def test_same_fact_log_gives_identical_outboxes_on_sqlite_and_postgres(
    examples: Configuration, pg_admin_url: str, tmp_path: Path
) -> None:
    from storage.engine import make_engine
    from storage.migrate import upgrade
    from tests.conftest import new_pg_database

    outboxes = []
    for url in (f"sqlite:///{tmp_path}/a.db", new_pg_database(pg_admin_url)):
        engine = make_engine(url)
        upgrade(engine)
        store = SqlStore(engine)
        for command, day in _story():
            handle(command, services(examples, store, day))
        outboxes.append(
            [
                (e.message, e.state, e.message.fingerprint, e.message.payload)
                for e in store.all_outbox()
            ]
        )
        engine.dispose()
    assert outboxes[0]
    assert outboxes[0] == outboxes[1]


def _story() -> list[tuple[c.Command, dt.date]]:
    d = dt.date
    return [
        (c.StartProcedure(SEFTON, "dispute", "council", d(2022, 9, 12), "Data"), d(2022, 9, 12)),
        (c.EscalateCase(CaseId.parse(f"{SEFTON}.dispute.1"), d(2022, 9, 20)), d(2022, 9, 20)),
        (c.ProposeVariation(SEFTON, d(2022, 9, 21), "Add a partner"), d(2022, 9, 21)),
        (
            c.SignVariation(VariationId.parse(f"{SEFTON}.variation.1"), "icb", d(2022, 9, 22)),
            d(2022, 9, 22),
        ),
        (c.CancelMeeting(HALTON, "team-meeting", d(2009, 1, 7)), d(2009, 1, 5)),
        (
            c.MoveMeeting(
                HALTON, "team-meeting", d(2009, 2, 4), dt.datetime(2009, 2, 5, 14, 0, tzinfo=dt.UTC)
            ),
            d(2009, 1, 5),
        ),
    ]


def test_a_changed_or_removed_agreement_file_is_planned_the_same_way(
    sql_store: SqlStore, tmp_path: Path
) -> None:
    import shutil

    from config.loader import load_configuration
    from tests.conftest import EXAMPLES

    config = tmp_path / "config"
    shutil.copytree(EXAMPLES, config)
    today, now = dt.date(2024, 11, 1), dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
    replan(load_configuration(config), sql_store, today, now)
    notts = config / "nottinghamshire-healthy-families.toml"
    text = notts.read_text(encoding="utf-8")
    assert 'time = "10:00"' in text
    notts.write_text(text.replace('time = "10:00"', 'time = "11:30"', 1), encoding="utf-8")
    changed = replan(load_configuration(config), sql_store, today, now)
    assert (changed.planned, changed.skipped) == (1, 4)
    assert changed.updated > 0
    assert set(changed.by_agreement) == {"nottinghamshire-healthy-families"}
    (config / "stockport-0-19.toml").unlink()
    removed = replan(load_configuration(config), sql_store, today, now)
    assert set(removed.by_agreement) == {"stockport-0-19"}
    states = {e.state for e in sql_store.outbox("stockport-0-19")}
    assert states == {State.WITHDRAWN}
    assert replan(load_configuration(config), sql_store, today, now).written == 0


def test_batches_in_opposite_orders_never_deadlock(pg_admin_url: str) -> None:
    """Two planners batch the same agreements, listed in opposite orders, at once on
    PostgreSQL: the locks are taken in one order, so both finish, one after the other."""
    import threading

    from storage.engine import make_engine
    from tests.conftest import new_pg_database
    from tests.integration.test_store_contract import AT, message

    engine = make_engine(new_pg_database(pg_admin_url))
    store = SqlStore(engine)
    names = [f"ag-{n}" for n in range(20)]
    errors: list[BaseException] = []
    start = threading.Event()

    def plan(order: list[str], tag: str) -> None:
        start.wait(timeout=30)
        try:
            for round_ in range(5):
                with store.batch(order) as units:
                    for name in order:
                        key = f"{name}:{tag}:{round_}"
                        units[name].apply_plan(
                            Changes(inserts=[message(key, agreement=name)]), tag, "p", AT
                        )
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=plan, args=(names, "up")),
        threading.Thread(target=plan, args=(names[::-1], "down")),
    ]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []  # PostgreSQL would have broken a deadlock by failing one of them
    assert len(store.all_outbox()) == 2 * 5 * len(names)
    engine.dispose()


def test_a_large_plan_refreshes_the_outbox_statistics_on_postgresql(
    examples: Configuration, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without fresh statistics PostgreSQL reads each batch's outboxes by a sequential scan
    after a first plan's bulk load; the store analyses the table once enough rows went in."""
    from sqlalchemy import text

    from storage import store as store_module
    from storage.engine import make_engine
    from tests.conftest import new_pg_database

    monkeypatch.setattr(store_module, "ANALYZE_AFTER_ROWS", 100)
    engine = make_engine(new_pg_database(pg_admin_url))
    try:
        analysed = (
            "SELECT analyze_count + autoanalyze_count FROM pg_stat_user_tables"
            " WHERE relname = 'outbox'"
        )
        with engine.connect() as connection:
            before = connection.exec_driver_sql(analysed).scalar_one()
        today = dt.date(2024, 11, 1)
        report = replan(
            examples, SqlStore(engine), today, dt.datetime(2024, 11, 1, 10, tzinfo=dt.UTC)
        )
        assert report.inserted > 100
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_stat_clear_snapshot()"))
            after = connection.exec_driver_sql(analysed).scalar_one()
        assert after > before
    finally:
        engine.dispose()
