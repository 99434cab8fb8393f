"""Configuration errors: each names the file, the key path, the line where known, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.locate import key_lines, line_of
from lifecycle.errors import ConcordatError


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with one key of one file."""

    file: str
    line: int | None
    path: str
    message: str

    def sort_key(self) -> tuple[str, int, str]:
        """By file, then line (issues without a line first), then key path."""
        return (self.file, self.line or 0, self.path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class ConfigurationError(ConcordatError, ValueError):
    """Raised when one or more configuration files are invalid; carries every issue found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=ConfigIssue.sort_key)
        count = len(self.issues)
        header = f"{count} configuration error{'s' if count != 1 else ''}"
        super().__init__("\n".join([header, *(f"  {issue}" for issue in self.issues)]))


@dataclass
class IssueLog:
    """Collects the issues of one file, finding each key's line in the file's text."""

    file: Path
    text: str = ""
    issues: list[ConfigIssue] = field(default_factory=list)
    _lines: dict[str, int] | None = None

    def add(self, path: str, message: str, line: int | None = None) -> None:
        """Record an issue at `path`; the line is looked up when not given."""
        if line is None and path:
            if self._lines is None:
                self._lines = key_lines(self.text)
            line = line_of(path, self._lines)
        self.issues.append(ConfigIssue(str(self.file), line, path, message))

    @property
    def ok(self) -> bool:
        """True while no issue has been recorded."""
        return not self.issues


def key_path(location: tuple[str | int, ...]) -> str:
    """pydantic's ("meetings", 2, "frequency") as "meetings[2].frequency"."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path
