"""Signed variation links: `/sign/{token}` signs once for the link's party, without the admin
login; a second use, a tampered, malformed or expired link is refused and records nothing.
The variation chaser e-mail carries the link for its recipient's party."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from concordat.app import App
from concordat.variation_links import SignGrant, make_token, read_token, sign_url
from jobs.clock import FixedClock
from lifecycle import commands as c
from lifecycle.facts import VariationSigned
from lifecycle.ids import VariationId
from lifecycle.messages import Message, MessageKind
from lifecycle.outbox import State
from notifications.render import render
from tests.conftest import EXAMPLES
from tests.web.conftest import Served
from tests.web.forms_support import app_at, facts_of
from tests.web.html_check import parse

NOTTS = "nottinghamshire-healthy-families"
VARIATION = VariationId(NOTTS, 1)
TODAY = dt.date(2025, 1, 9)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def signing(tmp_path: Path, serve: Callable[..., Served]) -> tuple[App, Served]:
    app = app_at(tmp_path, TODAY)
    app.record(c.ProposeVariation(NOTTS, dt.date(2025, 1, 6), "New KPI schedule"))
    return app, serve(app)


def link(app: App, party: str = "ncc", days: int = 28) -> str:
    expires = app.clock.now() + dt.timedelta(days=days)
    return make_token(app.secret, SignGrant(VARIATION, party, expires))


def press(client: httpx.Client, path: str) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return client.post(path, data={"csrf": found.group(1)})


def test_a_link_signs_once_for_its_party_without_the_admin_login(
    signing: tuple[App, Served],
) -> None:
    app, served = signing
    with httpx.Client(base_url=served.url, timeout=60) as partner:  # no admin credential
        path = f"/sign/{link(app)}"
        page = partner.get(path)
        assert page.status_code == 200, page.text
        assert "Sign on behalf of Nottinghamshire County Council" in page.text
        assert "New KPI schedule" in page.text
        assert parse(page.text).problems() == []
        signed = press(partner, path)
        assert signed.status_code == 303, signed.text
        assert partner.get(path).text.count("This link has been used") == 1
        (_proposed, signature) = facts_of(app, NOTTS)
        assert signature == VariationSigned(NOTTS, TODAY, str(VARIATION), "ncc")
        assert app.history(NOTTS)[-1].recorded_by == "web:link:ncc"
        # A second use: the page offers no button; a replayed POST is refused by the domain.
        replay = partner.post(path, data={"csrf": CSRF.findall(page.text)[0]})
        assert replay.status_code == 409, replay.text
        assert "already signed" in replay.text
    assert len(facts_of(app, NOTTS)) == 2


def test_the_sign_button_needs_the_csrf_token(signing: tuple[App, Served]) -> None:
    app, served = signing
    with httpx.Client(base_url=served.url, timeout=60) as partner:
        path = f"/sign/{link(app)}"
        partner.get(path)
        assert partner.post(path, data={}).status_code == 403
        assert partner.post(path, data={"csrf": "f" * 64}).status_code == 403
    assert len(facts_of(app, NOTTS)) == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # signature changed
        lambda t: "bmNj" + t,  # body changed
        lambda t: t.replace(".", ""),  # no separator
        lambda t: "x" * 5000,  # huge
        lambda t: "%0d%0a." + t.split(".")[1],  # CR/LF
        lambda t: "....",
        lambda t: "!!!." + t.split(".")[1],  # not base64
    ],
)
def test_a_tampered_or_malformed_link_is_404_and_records_nothing(
    signing: tuple[App, Served], mangle: Callable[[str], str]
) -> None:
    app, served = signing
    with httpx.Client(base_url=served.url, timeout=60) as partner:
        path = f"/sign/{mangle(link(app))}"
        assert partner.get(path).status_code == 404
        assert partner.post(path, data={"csrf": "x"}).status_code in (403, 404)
    assert len(facts_of(app, NOTTS)) == 1


def test_a_link_for_another_party_cannot_be_made_from_one_for_this_party(
    signing: tuple[App, Served],
) -> None:
    app = signing[0]
    token = link(app, "ncc")
    body, signature = token.split(".")
    other = make_token(app.secret, SignGrant(VARIATION, "nhs-notts", app.clock.now()))
    forged = other.split(".")[0] + "." + signature
    with pytest.raises(LookupError):
        read_token(app.secret, forged, app.clock.now())
    assert read_token(app.secret, token, app.clock.now()).party == "ncc"
    assert body != other.split(".")[0]


def test_an_expired_link_is_410_and_records_nothing(signing: tuple[App, Served]) -> None:
    app, served = signing
    with httpx.Client(base_url=served.url, timeout=60) as partner:
        path = f"/sign/{link(app, days=-1)}"
        page = partner.get(path)
        assert page.status_code == 410
        assert "expired" in page.text
        assert partner.post(path, data={"csrf": "x"}).status_code in (403, 410)
    assert len(facts_of(app, NOTTS)) == 1


BASE_URL = "https://concordat.example.org"


def app_with_base_url(tmp_path: Path) -> App:
    """An App on a copy of the examples whose site.toml names a public base URL."""
    config = tmp_path / "config"
    shutil.copytree(EXAMPLES, config)
    site = config / "site.toml"
    text = site.read_text(encoding="utf-8")
    site.write_text(text.replace("[web]\n", f'[web]\nbase_url = "{BASE_URL}"\n'), "utf-8")
    folder = tmp_path / "data"
    folder.mkdir()
    environ = {"CONCORDAT_DATA": str(folder), "CONCORDAT_SECRET": "s" * 40}
    clock = FixedClock(dt.datetime(2025, 1, 6, 10, 0, tzinfo=dt.UTC))
    return App.from_environment(config, f"sqlite:///{folder}/c.db", clock=clock, environ=environ)


def chasers_of(app: App) -> list[Message]:
    app.record(c.ProposeVariation(NOTTS, dt.date(2025, 1, 6), "New KPI schedule"))
    return [
        e.message
        for e in app.stores.writer().outbox(NOTTS)
        if e.message.payload.get("kind") == "variation_chaser" and e.state is State.PENDING
    ]


@pytest.mark.parametrize("with_base_url", [False, True])
def test_previews_and_sites_without_a_base_url_hand_out_no_signing_link(
    tmp_path: Path, with_base_url: bool
) -> None:
    app = app_with_base_url(tmp_path) if with_base_url else app_at(tmp_path, dt.date(2025, 1, 6))
    (message, *_) = chasers_of(app)
    now = dt.datetime(2025, 1, 13, 9, 0, tzinfo=dt.UTC)
    previewed = _text(render(message, "c@example.org", now=now, templates=app.templates()))
    assert "/sign/" not in previewed
    assert "concordat variation sign" in previewed
    sent = _text(render(message, "c@example.org", now=now, templates=app.sending_templates()))
    assert ("/sign/" in sent) is with_base_url


def test_the_variation_chaser_carries_a_working_link_for_its_recipients_party(
    tmp_path: Path,
) -> None:
    app = app_with_base_url(tmp_path)
    app.record(c.ProposeVariation(NOTTS, dt.date(2025, 1, 6), "New KPI schedule"))
    chasers = [
        e.message
        for e in app.stores.writer().outbox(NOTTS)
        if e.message.payload.get("kind") == "variation_chaser" and e.state is State.PENDING
    ]
    assert chasers
    fingerprints = {m.key: m.fingerprint for m in chasers}
    configuration = app.configuration()
    agreement = configuration.agreement(NOTTS)
    assert agreement is not None
    now = dt.datetime(2025, 1, 13, 9, 0, tzinfo=dt.UTC)
    for message in chasers:
        email = render(message, "concordat@example.org", now=now, templates=app.sending_templates())
        text = _text(email)
        found = re.search(r"(https://\S+/sign/(\S+))", text)
        assert found is not None, text
        url, token = found.groups()
        party = next(c.party for c in agreement.contacts if c.email == message.recipient)
        grant = read_token(app.secret, token, now)
        assert grant == SignGrant(VARIATION, party, now + dt.timedelta(days=28))
        assert url == sign_url(BASE_URL, token)
        assert "concordat variation sign" not in text
    # The link is made when the mail is rendered: the outbox rows do not change.
    again = {e.message.key: e.message.fingerprint for e in app.stores.writer().outbox(NOTTS)}
    assert all(again[key] == fingerprint for key, fingerprint in fingerprints.items())
    assert all("sign" not in str(m.payload) for m in chasers)
    assert chasers[0].kind is MessageKind.NOTICE


def _text(email: EmailMessage) -> str:
    part = email.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_signed_link_naming_no_party_of_the_agreement_is_404(
    signing: tuple[App, Served],
) -> None:
    app, served = signing
    with httpx.Client(base_url=served.url, timeout=60) as partner:
        answer = partner.get(f"/sign/{link(app, 'nobody')}")
    assert answer.status_code == 404
    assert "Sign on behalf" not in answer.text
