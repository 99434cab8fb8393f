"""Signed variation links: tokens round-trip, are refused when tampered or expired, and the
variation chaser's templates (shipped or overridden) may show them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from concordat.secret import SiteSecret
from concordat.variation_links import (
    LinkExpired,
    LinkInvalid,
    SignGrant,
    make_token,
    read_token,
)
from lifecycle.ids import VariationId
from notifications.samples import samples
from notifications.templating import Templates

NOW = dt.datetime(2025, 1, 13, 9, 0, tzinfo=dt.UTC)
GRANT = SignGrant(VariationId("notts", 1), "ncc", NOW + dt.timedelta(days=28))


def secret(value: str = "k" * 40) -> SiteSecret:
    return SiteSecret(value, Path("/nonexistent/secret"))


def test_a_token_round_trips_and_is_url_safe() -> None:
    token = make_token(secret(), GRANT)
    assert read_token(secret(), token, NOW) == GRANT
    assert all(ch.isalnum() or ch in "-_." for ch in token)


def test_a_token_expires_at_its_instant() -> None:
    token = make_token(secret(), GRANT)
    read_token(secret(), token, GRANT.expires - dt.timedelta(seconds=1))
    with pytest.raises(LinkExpired):
        read_token(secret(), token, GRANT.expires)


@pytest.mark.parametrize("token", ["", ".", "a.b", "x" * 600, "\r\n.ab", "é.é"])
def test_malformed_tokens_are_invalid(token: str) -> None:
    with pytest.raises(LinkInvalid):
        read_token(secret(), token, NOW)


def test_another_sites_token_is_invalid_and_a_purpose_cannot_be_borrowed() -> None:
    token = make_token(secret("o" * 40), GRANT)
    with pytest.raises(LinkInvalid):
        read_token(secret(), token, NOW)
    body = token.split(".")[0]
    feed_signature = secret().sign("feed", GRANT.message())
    with pytest.raises(LinkInvalid):
        read_token(secret(), f"{body}.{feed_signature}", NOW)


def test_the_chaser_templates_show_the_link_or_else_the_command(tmp_path: Path) -> None:
    chaser = samples()["variation_chaser"]
    shipped = Templates()
    assert "concordat variation sign" in shipped.render(chaser, NOW).text

    def links(_message: object, _now: dt.datetime) -> dict[str, str]:
        return {"sign_url": "https://example.org/sign/abc"}

    with_links = shipped.with_links(links).render(chaser, NOW)
    assert "https://example.org/sign/abc" in with_links.text
    assert 'href="https://example.org/sign/abc"' in with_links.html
    assert "concordat variation sign" not in with_links.text


def test_an_override_may_use_the_link_and_a_misspelt_one_is_caught(tmp_path: Path) -> None:
    (tmp_path / "variation_chaser.txt.j2").write_text("Sign here: {{ sign_url }}\n")
    assert Templates(tmp_path).check(samples()) == []
    (tmp_path / "variation_chaser.txt.j2").write_text("Sign here: {{ sign_link }}\n")
    problems = Templates(tmp_path).check(samples())
    assert [p.kind for p in problems] == ["variation_chaser"]
