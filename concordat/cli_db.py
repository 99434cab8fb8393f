"""`concordat db`: the database schema."""

from __future__ import annotations

from pathlib import Path

import typer

from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, DbOption, app

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the database to the newest revision, under a lock so concurrent
    starts do not race."""
    before, after = application(Path(DEFAULT_CONFIG), db).upgrade_database()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to revision {after}")
