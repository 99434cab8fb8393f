"""Many people and nodes acting at once on one agreement: 20 `concordat` processes started
together (disputes raised, escalated, notice served), on SQLite and on PostgreSQL.

Every process exits 0 (recorded) or 1 (refused) without a traceback; case ids are distinct;
at most one notice is in force; and the outbox agrees with the fact log afterwards (a re-plan
finds nothing to change, and every recorded case has its first step in the outbox).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage.engine import make_engine
from storage.store import SqlStore
from tests.conftest import EXAMPLES, new_pg_database

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = "race-test"
RAISERS, SERVERS, ESCALATORS = 10, 5, 5

RACE_TOML = """
id = "race-test"
title = "Race test agreement"
kind = "section-75"
binding = true

[term]
start = 2020-04-01
length = "20 years"

[notice]
period = "6 months"
fy_end = true

[[parties]]
id = "council"
name = "Council"
roles = ["commissioner"]

[[parties.contacts]]
id = "council-lead"
name = "Council Lead"
email = "lead@council.example.org"
role = "lead"

[[parties]]
id = "trust"
name = "Trust"
roles = ["provider"]

[[parties.contacts]]
id = "trust-lead"
name = "Trust Lead"
email = "lead@trust.example.org"
role = "lead"

[[procedures]]
id = "dispute"
title = "Dispute"

[[procedures.steps]]
id = "discuss"
title = "Resolve by discussion"
window = "20 operational days"

[[procedures.steps]]
id = "chiefs"
title = "Refer to the chief executives"
window = "10 operational days"

[[procedures.steps]]
id = "arbitrator"
title = "Refer to an arbitrator"
"""


@pytest.fixture
def race_config(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    shutil.copy(EXAMPLES / "site.toml", directory / "site.toml")
    (directory / "race-test.toml").write_text(RACE_TOML, encoding="utf-8")
    return directory


def run(args: list[str], config: Path | None, db: str, actor: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CONCORDAT_ACTOR": actor}
    where = ["--config", str(config)] if config else []
    return subprocess.Popen(
        [sys.executable, "-m", "concordat", *args, *where, "--db", db],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_twenty_processes_on_one_agreement(
    kind: str, race_config: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = (
        f"sqlite:///{tmp_path / 'race.db'}"
        if kind == "sqlite"
        else new_pg_database(request.getfixturevalue("pg_admin_url"))
    )
    setup = run(["db", "upgrade"], None, db, "setup")
    _, setup_err = setup.communicate(timeout=120)
    assert setup.returncode == 0, setup_err
    day = (dt.datetime.now(ZoneInfo("Europe/London")).date() - dt.timedelta(days=2)).isoformat()
    commands = (
        [["dispute", "raise", "--agreement", AGREEMENT, "--by", "council", "--on", day,
          "--summary", f"matter {n}"] for n in range(RAISERS)]
        + [["notice", "serve", "--agreement", AGREEMENT, "--by", "trust", "--on", day]
           for _ in range(SERVERS)]
        + [["dispute", "escalate", f"{AGREEMENT}.dispute.1", "--on", day]
           for _ in range(ESCALATORS)]
    )  # fmt: skip
    processes = [run(args, race_config, db, f"p{i}") for i, args in enumerate(commands)]
    outputs = [p.communicate(timeout=300) for p in processes]
    results = [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]

    for code, out, err in results:
        assert code in (0, 1), (code, out, err)
        assert "Traceback" not in err, err
    codes = [code for code, _, _ in results]
    assert codes[:RAISERS] == [0] * RAISERS, results[:RAISERS]
    assert sorted(codes[RAISERS : RAISERS + SERVERS]) == [0, 1, 1, 1, 1]
    case_ids = [re.search(r"case id: (\S+)", out).group(1) for _, out, _ in results[:RAISERS]]  # type: ignore[union-attr]
    assert set(case_ids) == {f"{AGREEMENT}.dispute.{n}" for n in range(1, RAISERS + 1)}

    engine = make_engine(db)
    store = SqlStore(engine)
    facts = [item.fact.type_name for item in store.history(AGREEMENT)]
    recorded = sum(code == 0 for code in codes)
    assert len(facts) == recorded
    assert facts.count("notice_served") == 1
    assert facts.count("procedure_started") == RAISERS
    steps = {
        e.message.key.split(":")[3] for e in store.outbox(AGREEMENT) if ":case:" in e.message.key
    }
    assert steps == set(case_ids)
    engine.dispose()

    replan = run(["replan"], race_config, db, "check")
    out, err = replan.communicate(timeout=120)
    assert replan.returncode == 0, err
    assert "outbox: 0 added, 0 updated, 0 withdrawn" in out, out
    history = run(["history", "--agreement", AGREEMENT, "--format", "json"], race_config, db, "x")
    out, _ = history.communicate(timeout=120)
    assert len(json.loads(out)) == recorded
