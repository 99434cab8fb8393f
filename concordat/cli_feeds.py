"""`concordat feeds`: hand out, list, revoke and rotate calendar feeds (docs/feeds.md).

A feed is one contact's (a board member: every agreement they are party to), one
agreement's, or one meeting series'. Its URL is printed twice: https (or http) to paste into
a calendar's "subscribe from the web", and webcal:// to click.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from concordat.basics import InvalidInput
from concordat.bootstrap import application
from concordat.options import DEFAULT_CONFIG, ConfigOption, DbOption, app

if TYPE_CHECKING:
    from concordat.feeds import FeedLinks, FeedRecord

# The feeds' code (and icalendar with it) is imported by the commands that use it.

feeds_app = typer.Typer(help="Calendar feeds for board members.", no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")

FeedId = Annotated[int, typer.Argument(help="The feed's id (see `concordat feeds list`).")]


@feeds_app.command("issue")
def issue(
    contact: Annotated[
        str | None, typer.Option("--contact", help="A contact id: their feed.")
    ] = None,
    agreement: Annotated[
        str | None, typer.Option("--agreement", help="An agreement id: all of it.")
    ] = None,
    meeting: Annotated[
        str | None, typer.Option("--meeting", help="AGREEMENT:MEETING: one meeting series.")
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="A note for you: whose phone, which board.")
    ] = None,
    config: ConfigOption = Path(DEFAULT_CONFIG),
    db: DbOption = None,
) -> None:
    """Hand out a new feed; prints its id and URLs."""
    from concordat.feeds import checked_label, issue_feed, scope_of

    given = [(k, v) for k, v in (("contact", contact), ("agreement", agreement),
                                 ("meeting", meeting)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise InvalidInput("give exactly one of --contact, --agreement or --meeting")
    note = ""
    if label is not None:
        # Checked once normalised: a label of only zero-width marks shows nothing.
        note = checked_label(label)
        if not note:
            raise InvalidInput("the label must not be empty (leave --label out for none)")
    kind, target = given[0]
    record, links = issue_feed(application(config, db), scope_of(kind, target), note)
    typer.echo(f"issued feed {record.id} ({record.scope})")
    _print_links(links)


@feeds_app.command("list")
def list_command(config: ConfigOption = Path(DEFAULT_CONFIG), db: DbOption = None) -> None:
    """Every feed handed out, with the URL of each live one; the database is only read."""
    from rich.console import Console
    from rich.table import Table

    from concordat.feeds import links_of, list_feeds

    concordat = application(config, db)
    records = list_feeds(concordat)
    table = Table("id", "scope", "label", "created (UTC)", "revoked (UTC)", "url",
                  box=None, header_style="bold")  # fmt: skip
    for record in records:
        url = "" if record.revoked_at else links_of(concordat, record).url
        table.add_row(
            str(record.id),
            escape(str(record.scope)),
            escape(record.label),
            f"{record.created_at:%Y-%m-%d %H:%M}",
            f"{record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "",
            escape(url),
        )
    Console(width=250).print(table)
    typer.echo(f"{len(records)} feed(s), {sum(r.revoked_at is None for r in records)} live")


@feeds_app.command("revoke")
def revoke(feed_id: FeedId, config: ConfigOption = Path(DEFAULT_CONFIG),
           db: DbOption = None) -> None:  # fmt: skip
    """Revoke a feed: its URL answers 404 from now on."""
    from concordat.feeds import revoke_feed

    record = revoke_feed(application(config, db), feed_id)
    typer.echo(f"feed {record.id} ({record.scope}) {_revoked(record)}")


@feeds_app.command("rotate")
def rotate(feed_id: FeedId, config: ConfigOption = Path(DEFAULT_CONFIG),
           db: DbOption = None) -> None:  # fmt: skip
    """Give a feed a new URL (the old one answers 404 from now on); prints the new URLs."""
    from concordat.feeds import rotate_feed

    record, links = rotate_feed(application(config, db), feed_id)
    typer.echo(f"rotated feed {record.id} ({record.scope}) to generation {record.generation}")
    _print_links(links)


def _revoked(record: FeedRecord) -> str:
    assert record.revoked_at is not None
    return f"revoked at {record.revoked_at:%Y-%m-%d %H:%M} UTC"


def _print_links(links: FeedLinks) -> None:
    typer.echo(f"url: {links.url}")
    typer.echo(f"webcal: {links.webcal}")
