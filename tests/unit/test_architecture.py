"""The import rule: the core imports nothing of ours and reads no clock; adapters never import
the entry point."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"lifecycle", "config", "jobs", "notifications", "concordat", "storage", "web", "extract"}
ALLOWED = {
    "lifecycle": {"lifecycle"},
    "config": {"lifecycle", "config"},
    "jobs": {"lifecycle", "config", "jobs", "notifications"},
    "storage": {"lifecycle", "storage", "jobs"},
    "notifications": {"lifecycle", "notifications"},
    "web": {"lifecycle", "config", "jobs", "notifications", "concordat", "web"},
    "extract": {"lifecycle", "config", "extract"},
}
WALL_CLOCK = {"now", "today", "utcnow", "fromtimestamp"}
CLOCK_MODULE_CALLS = {"time", "monotonic", "perf_counter"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        forbidden = imported_packages(path) - ALLOWED[package]
        assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_core_reads_no_wall_clock() -> None:
    for path in sorted((ROOT / "lifecycle").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            from_time_module = isinstance(owner, ast.Name) and owner.id == "time"
            reads_clock = node.func.attr in WALL_CLOCK or (
                from_time_module and node.func.attr in CLOCK_MODULE_CALLS
            )
            assert not reads_clock, f"{path.relative_to(ROOT)}:{node.lineno} reads the clock"
