"""Watching the configuration directory: watchfiles behind one small function, the only
module that imports it.

The watcher only says "something in the directory changed"; what changed, and whether the
new configuration is valid, is the configuration source's business (it re-reads the files and
parses only those whose bytes differ). Editors' swap and backup files are ignored, and bursts
of writes (an editor saving, `git pull` touching many files) arrive as one change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import DefaultFilter, awatch

DEBOUNCE_MS = 500


async def directory_changes(directory: Path, stop: asyncio.Event) -> AsyncIterator[int]:
    """Yields once per burst of changes in `directory` and its folders (template overrides),
    with the number of paths touched, until `stop` is set."""
    async for changes in awatch(
        directory,
        watch_filter=DefaultFilter(),
        debounce=DEBOUNCE_MS,
        stop_event=stop,
        recursive=True,  # the template overrides may live in a folder inside it
    ):
        yield len(changes)
