"""`concordat extract`: draft an agreement's TOML from its own text (.txt, .pdf or .docx)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from concordat.basics import InvalidInput
from concordat.options import app, err
from lifecycle.errors import Refused

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="The agreement: a .txt, .pdf or .docx file.")],
    id_: Annotated[
        str | None,
        typer.Option("--id", help="The draft's agreement id (default: made from its title)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the draft TOML here (default: standard output)."),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the Markdown report here (what was read, how)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out and --report if they exist.")
    ] = False,
) -> None:
    """Read an agreement's own words and draft its TOML: every clock with its clause.

    Each value in the draft cites its clause and the words it came from; "# assumed" marks
    what the drafter chose and "check" what is ambiguous. Parties get placeholder contacts
    on .invalid addresses, which receive nothing. The draft is checked with the same loader
    as `concordat validate` before it is written. Rule-based and offline: the same text
    always gives the same draft.
    """
    from extract.draft import draft_from_text
    from extract.reading import read_document

    if id_ is not None and not _ID.match(id_):
        raise InvalidInput(
            f"--id must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter "
            f"or digit (got {id_!r})"
        )
    for target in (out, report):
        if target is not None and target.exists() and not force:
            raise Refused(f"{target} exists: choose another path or add --force")
    if out is not None and report is not None and out.resolve() == report.resolve():
        raise InvalidInput("--out and --report must be different files")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair notes are not ours to show
    text = read_document(file)
    if not text.strip():
        raise InvalidInput(f"{file}: the document has no text to read")
    draft = draft_from_text(text, source=file.name, agreement_id=id_)
    _check_draft(draft.toml, file)
    if report is not None:
        _write(report, draft.report, replace=force)
    if out is not None:
        _write(out, draft.toml, replace=force)
    else:
        typer.echo(draft.toml, nl=False)
    where = f" -> {out}" if out else ""
    also = f", report {report}" if report else ""
    err.print(
        f"{file}: drafted {draft.clocks} clock(s); {draft.checks} to check, "
        f"{draft.assumed} assumed, {draft.unread} unread sentence(s){where}{also}",
        highlight=False,
        soft_wrap=True,
    )


def _check_draft(toml: str, file: Path) -> None:
    """Load the draft as `concordat validate` would; a draft that does not load is a defect
    of the drafter, reported with the loader's errors and nothing written."""
    from config.issues import ConfigurationError
    from config.loader import load_configuration

    with tempfile.TemporaryDirectory(prefix="concordat-extract-") as directory:
        Path(directory, "draft.toml").write_text(toml, encoding="utf-8")
        try:
            load_configuration(Path(directory))
        except ConfigurationError as error:
            raise Refused(
                f"{file}: the draft does not validate, so nothing was written (please report "
                f"this with the document): {error}"
            ) from error


def _write(path: Path, text: str, *, replace: bool) -> None:
    """Write `text` whole or not at all: to a temporary file beside `path`, then renamed
    over it (`replace`) or linked to it, which fails if another command created it first,
    so two runs at the same moment never both think they wrote the file."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInput(f"{path}: the directory {directory} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600; a file gets the umask's
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError as error:
                raise Refused(f"{path} exists: choose another path or add --force") from error
    finally:
        Path(temporary).unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (read by setting it, then setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
