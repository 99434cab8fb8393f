"""The harness itself: Chromium starts, and `check_accessibility` passes a sound page and
fails, naming each problem, a page with serious and critical violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Shots, accessibility_violations, check_accessibility

pytestmark = pytest.mark.browser

SOUND = """<!doctype html><html lang="en"><head><title>Sound</title></head>
<body><main><h1>Agreements</h1><p>Nothing is due.</p>
<form><label for="why">Reason</label><input id="why" name="why"></form></main></body></html>"""

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head>
<body><main><h1>Agreements</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input name="why"><p style="color:#eee;background:#fff">Faint text</p></main></body></html>"""


def test_a_sound_page_passes(public_page: Page, shot: Shots) -> None:
    public_page.set_content(SOUND)
    shot(public_page, "sound")
    check_accessibility(public_page)


def test_serious_and_critical_violations_fail_and_are_each_named(public_page: Page) -> None:
    public_page.set_content(BROKEN)
    found = {v["id"]: v["impact"] for v in accessibility_violations(public_page)}
    assert found.get("image-alt") == "critical"
    assert found.get("label") == "critical"
    assert found.get("color-contrast") == "serious"
    with pytest.raises(pytest.fail.Exception) as failure:
        check_accessibility(public_page)
    message = str(failure.value)
    assert "image-alt" in message
    assert "label" in message
    assert "color-contrast" in message
    assert "img" in message  # the offending element's selector is listed
