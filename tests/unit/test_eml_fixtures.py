"""Every kind of message, rendered from its sample, compared byte for byte (after the MIME
boundaries, which are random, are normalised) with the saved `.eml` fixture, and parsed back
with the email package's strict policy. A change to a template or a header shows here as a
diff to review; regenerate with
`CONCORDAT_UPDATE_FIXTURES=1 pytest tests/unit/test_eml_fixtures.py`."""

from __future__ import annotations

import datetime as dt
import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from lifecycle.kinds import KINDS
from notifications.render import render
from notifications.samples import samples

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eml"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SENDER = "concordat@council.example.org"
_BOUNDARY = re.compile(rb"=+\d{10,}==")


def normalised(wire: bytes) -> bytes:
    """The wire bytes with each random MIME boundary replaced by its order of appearance."""
    found: dict[bytes, bytes] = {}
    for boundary in _BOUNDARY.findall(wire):
        found.setdefault(boundary, f"==boundary-{len(found)}==".encode())
    for boundary, name in found.items():
        wire = wire.replace(boundary, name)
    return wire


@pytest.mark.parametrize("kind", [kind.name for kind in KINDS])
def test_each_kind_matches_its_fixture_and_parses_strictly(kind: str) -> None:
    wire = normalised(render(samples()[kind], SENDER, now=NOW).as_bytes())
    parsed = message_from_bytes(wire, policy=policy.strict)
    assert parsed["X-Concordat-Template"] == kind
    assert parsed.defects == []
    for part in parsed.walk():
        assert part.defects == [], (kind, part.get_content_type())
    path = FIXTURES / f"{kind}.eml"
    if os.environ.get("CONCORDAT_UPDATE_FIXTURES"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(wire)
    assert path.is_file(), f"no fixture for {kind}: run with CONCORDAT_UPDATE_FIXTURES=1"
    assert wire == path.read_bytes()
