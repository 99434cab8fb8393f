"""Templates: every kind renders its sample in both forms; a site's override is used, and a
broken one is a configuration error before anything is sent (and a reload keeps the last
good templates)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from concordat.sources import ConfigSource
from config.issues import ConfigurationError
from lifecycle.kinds import KINDS
from notifications.render import render
from notifications.samples import samples
from notifications.templating import Templates
from tests.conftest import EXAMPLES


def test_every_kind_renders_its_sample_in_text_and_html() -> None:
    shipped = Templates()
    assert shipped.check(samples()) == []
    for kind in KINDS:
        email = render(samples()[kind.name], "c@example.org", templates=shipped)
        assert email["X-Concordat-Template"] == kind.name
        text, html = email.get_body(("plain",)), email.get_body(("html",))
        assert text is not None
        assert html is not None
        assert "Reference:" in text.get_content()
        assert html.get_content().lstrip().startswith("<!DOCTYPE html>")


def test_every_kind_has_both_templates_shipped() -> None:
    folder = Path(__file__).resolve().parents[2] / "notifications" / "templates"
    shipped = {path.name for path in folder.glob("*.j2")}
    expected = {f"{k.name}.{form}.j2" for k in KINDS for form in ("txt", "html")}
    assert expected | {"layout.txt.j2", "layout.html.j2"} == shipped


def site_with_templates(tmp_path: Path) -> Path:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    (directory / "templates").mkdir()
    with (directory / "site.toml").open("a", encoding="utf-8") as site:
        site.write('\n[mail]\ntemplates = "templates"\n')
    return directory


def test_an_override_is_used_for_its_kind_only(tmp_path: Path) -> None:
    directory = site_with_templates(tmp_path)
    (directory / "templates" / "review_due.txt.j2").write_text(
        "Our own words about {{ title }} for {{ agreement_title }}\n", encoding="utf-8"
    )
    templates = ConfigSource(directory).templates()
    review = render(samples()["review_due"], "c@example.org", templates=templates)
    text = review.get_body(("plain",))
    assert text is not None
    assert text.get_content().startswith("Our own words about Sample a review is due")
    other = render(samples()["meeting_reminder"], "c@example.org", templates=templates)
    body = other.get_body(("plain",))
    assert body is not None
    assert body.get_content().startswith("Dear Alex Lead,")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{{ titel }}", "'titel' is undefined"),
        ("{% if %}", "TemplateSyntaxError"),
        ("{{ p.no_such_field }}", "no_such_field"),
    ],
)
def test_a_broken_override_is_a_configuration_error(tmp_path: Path, text: str, reason: str) -> None:
    directory = site_with_templates(tmp_path)
    (directory / "templates" / "deadline_approaching.html.j2").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        ConfigSource(directory).configuration()
    message = str(raised.value)
    assert "deadline_approaching.html.j2" in message
    assert reason in message


def test_a_broken_override_on_reload_keeps_the_last_good_templates(tmp_path: Path) -> None:
    directory = site_with_templates(tmp_path)
    source = ConfigSource(directory)
    good = source.templates()
    override = directory / "templates" / "review_due.txt.j2"
    override.write_text("{{ nope }}", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"review_due\.txt\.j2"):
        source.reload()
    assert source.templates() is good
    override.write_text("Fine: {{ title }}\n", encoding="utf-8")
    change = source.reload()
    assert change.templates
    assert source.templates() is not good


def test_a_missing_templates_directory_is_named(tmp_path: Path) -> None:
    directory = site_with_templates(tmp_path)
    (directory / "templates").rmdir()
    with pytest.raises(ConfigurationError, match=r"mail\.templates: not a directory"):
        ConfigSource(directory).configuration()
