"""Find the line of a key path such as `meetings[2].frequency` in a TOML text.

`tomllib` keeps no positions, so we scan the text once, following table and array-of-tables
headers, and note the line of each key. Paths inside inline tables or multi-line arrays fall
back to the nearest enclosing key that has a line.
"""

from __future__ import annotations

import re

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*(?P<name>[^\[\]]+?)\s*\]")
_KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-\.\"' ]+?)\s*=")


def key_lines(text: str) -> dict[str, int]:
    """Map each key path (`parties[0].contacts[1].email`) to its 1-based line number."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_HEADER.match(line):
            *parents, name = _split(match["name"])
            array = ".".join(filter(None, [_resolve(parents, counts), name]))
            counts[array] = counts.get(array, -1) + 1
            prefix = f"{array}[{counts[array]}]"
            lines.setdefault(prefix, number)
        elif match := _TABLE_HEADER.match(line):
            prefix = _resolve(_split(match["name"]), counts)
            lines.setdefault(prefix, number)
        elif match := _KEY.match(line):
            path = ".".join(filter(None, [prefix, *_split(match["key"])]))
            lines.setdefault(path, number)
    return lines


def line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = re.sub(r"(\[\d+\]|\.[^.\[\]]+|^[^.\[\]]+)$", "", path)
    return None


def _split(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def _resolve(parts: list[str], counts: dict[str, int]) -> str:
    """Attach the current index to every enclosing array of tables: parties.contacts ->
    parties[3].contacts."""
    resolved = ""
    for part in parts:
        resolved = f"{resolved}.{part}" if resolved else part
        if resolved in counts:
            resolved = f"{resolved}[{counts[resolved]}]"
    return resolved
