"""What the everyday commands load: `--help`, `calc`, `validate` and `plan` without `--db`
import no database layer, scheduler, mail, web or template library (issue 10: commands start
fast). Each command runs in a fresh interpreter that reports the modules it holds when the
command has finished."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperGroup

from concordat.exits import DATABASE, EXIT_CODES, INVALID
from concordat.options import COMMAND_MODULES, app
from concordat.sources import ConfigSource
from jobs.ports import OutboxConflict
from notifications.transport import SmtpPasswordMissing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "examples"

# The command line as `python -m concordat` runs it; then its exit code and the names in
# sys.modules, as JSON, into the file named by the first argument.
PROBE = """
import json, runpy, sys
report, sys.argv = sys.argv[1], ["concordat", *sys.argv[2:]]
try:
    runpy.run_module("concordat", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    code = exit.code
else:
    code = 0
with open(report, "w", encoding="utf-8") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""
# Used by the service, the database commands, the web server or the mail: never by these.
NEVER = {
    "sqlalchemy", "sqlmodel", "alembic", "psycopg", "apscheduler", "tzlocal", "aiosmtplib",
    "watchfiles", "anyio", "starlette", "uvicorn", "jinja2", "markupsafe", "icalendar",
    "web", "storage.engine", "storage.store", "jobs.alarm", "jobs.watch", "jobs.mailer",
    "notifications.templating", "notifications.transport", "concordat.feeds",
}  # fmt: skip
# Used by the configuration's schema (e-mail checks) and by the bank holidays when the cache
# misses: never by `--help` or `calc` on the default calendar with a warm cache.
NO_CONFIGURATION = {"email_validator", "tomllib", "holidays", "idna"}
PLAN = ["plan", "--from", "2024-01-01", "--to", "2024-12-31"]


def loaded(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """Run `concordat ARGS` (from the repository, the examples as default configuration, a
    cache directory of its own); its exit code and the modules it imported (each package's
    name among them: `sqlalchemy` for `sqlalchemy.engine`)."""
    report = tmp_path / "report.json"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("CONCORDAT_DB", None)
    env.pop("CONCORDAT_CONFIG", None)
    subprocess.run(
        [sys.executable, "-c", PROBE, str(report), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    found = json.loads(report.read_text(encoding="utf-8"))
    modules = set(found["modules"])
    return found["code"], modules | {name.split(".")[0] for name in modules}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "forbidden"),
    [
        (["--help"], NEVER | NO_CONFIGURATION),
        (["calc", "opdays", "2022-09-12", "20"], NEVER | NO_CONFIGURATION),
        (["calc", "notice", "--served", "2024-01-15", "--period", "6 months"], NEVER),
        (["validate"], NEVER),
        (PLAN, NEVER),
        ([*PLAN, "--format", "json", "--reminders"], NEVER),
    ],
    ids=["help", "calc-opdays", "calc-notice", "validate", "plan", "plan-json"],
)
def test_an_everyday_command_imports_only_what_it_uses(
    tmp_path: Path, args: list[str], forbidden: set[str]
) -> None:
    loaded(tmp_path, "calc", "opdays", "2022-09-12", "1")  # fills the bank-holiday cache
    code, modules = loaded(tmp_path, *args)
    assert code == 0
    assert "concordat" in modules  # the probe did run the command line
    assert sorted(modules & forbidden) == []


@pytest.mark.slow
def test_the_database_and_the_mail_are_loaded_when_a_command_uses_them(tmp_path: Path) -> None:
    """The other side of the test above: the probe sees a command that does open a
    database, so an empty report cannot pass for a light one."""
    code, modules = loaded(tmp_path, *PLAN, "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 3  # no such database: refused, after loading the database layer to say so
    assert {"sqlalchemy", "alembic"} <= modules


def test_every_top_level_command_is_in_the_table_of_command_modules() -> None:
    for module in dict.fromkeys(COMMAND_MODULES.values()):
        __import__(module)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    assert set(group.commands) == set(COMMAND_MODULES)


def test_the_exit_codes_of_errors_from_heavy_modules_are_in_the_table() -> None:
    assert EXIT_CODES[SmtpPasswordMissing] == INVALID
    assert EXIT_CODES[OutboxConflict] == DATABASE
    assert SmtpPasswordMissing in set(EXIT_CODES)


def test_the_shipped_templates_are_made_once_when_first_asked_for() -> None:
    """Without overrides the templates wait for a command that renders (validate and plan
    never load jinja2), then stay the same object across reloads that do not touch them."""
    source = ConfigSource(EXAMPLES)
    source.configuration()
    templates = source.templates()
    assert templates.overrides is None
    assert source.templates() is templates
    assert not source.reload()
    assert source.templates() is templates


def test_help_texts_keep_their_square_brackets() -> None:
    """Typer renders help as rich markup, where `[web]` is a style tag and vanishes unless
    escaped: `concordat run --help` once read "the calendar feeds ( in site.toml)"."""
    from typer.testing import CliRunner

    runner = CliRunner()
    run_help = runner.invoke(app, ["run", "--help"], terminal_width=200).output
    assert "[web] table of site.toml" in run_help
    assert "(default: [web] host)" in run_help
    assert "(default: [web] port)" in run_help
