"""`concordat db`: the database schema."""

from __future__ import annotations

import typer

from concordat.options import DbOption, app
from storage.engine import default_url, make_engine
from storage.migrate import upgrade

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every pending migration, under a lock so concurrent starts do not race."""
    url = db or default_url()
    before, after = upgrade(make_engine(url))
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to revision {after}")
