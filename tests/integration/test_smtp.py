"""The transports against real parts: an aiosmtpd server on 127.0.0.1 and a Maildir on disk."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import mailbox
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from config.mail import MailSettings
from lifecycle.messages import Message, MessageKind
from notifications.render import render
from notifications.smtp import Security
from notifications.transport import (
    MaildirTransport,
    PermanentFailure,
    Sent,
    SmtpPasswordMissing,
    SmtpTransport,
    TemporaryFailure,
    transport_for,
)

HOST = "127.0.0.1"
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def plain_text(email: EmailMessage) -> list[str]:
    """The lines of the plain-text alternative."""
    body = email.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text.splitlines()


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what arrives and answers as told, per recipient."""

    rcpt_answers: dict[str, str] = field(default_factory=dict)
    data_answers: dict[str, str] = field(default_factory=dict)
    hang_up_on: set[str] = field(default_factory=set)
    ehlos: int = 0
    logins: list[bytes] = field(default_factory=list)
    received: list[tuple[Any, str, bytes]] = field(default_factory=list)  # peer, to, content

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.rcpt_answers:
            return self.rcpt_answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        (to,) = envelope.rcpt_tos
        if to in self.hang_up_on:
            server.transport.close()
            return "421 closing"
        if to in self.data_answers:
            return self.data_answers[to]
        assert isinstance(envelope.content, bytes)
        self.received.append((session.peer, to, envelope.content))
        if isinstance(session.auth_data, LoginPassword):
            self.logins.append(session.auth_data.login)
        return f"250 queued as q{len(self.received)}"

    def messages(self) -> list[EmailMessage]:
        parsed = [
            message_from_bytes(content, policy=policy.default) for _, _, content in self.received
        ]
        assert all(isinstance(m, EmailMessage) for m in parsed)
        return parsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname=HOST, port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def email_to(recipient: str, n: int) -> EmailMessage:
    message = Message(
        key=f"reminder:demo:board:2026-04-14:{n} days:{recipient}",
        agreement="demo",
        kind=MessageKind.REMINDER,
        recipient=recipient,
        due_at=NOW,
        subject=f"Board, reminder {n} — café (Tue 14 Apr 2026)",
        payload={"agreement": "demo", "title": "Board", "date": "2026-04-14", "lead": f"{n} days"},
    )
    return render(message, "concordat@council.example.org", now=NOW)


def plain(port: int, **options: Any) -> SmtpTransport:
    return SmtpTransport(HOST, port, "none", timeout=5, local_hostname="concordat.test", **options)


async def test_a_batch_goes_over_one_connection_unchanged(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    batch = [email_to(f"p{n}@example.org", n) for n in range(3)]
    outcomes = await plain(port).send(batch)
    assert outcomes == [Sent(f"queued as q{n}") for n in (1, 2, 3)]
    assert recorder.ehlos == 1
    assert len({peer for peer, _, _ in recorder.received}) == 1
    for sent, arrived in zip(batch, recorder.messages(), strict=True):
        assert arrived["Message-ID"] == sent["Message-ID"]
        assert arrived["Subject"] == sent["Subject"]
        assert arrived["X-Concordat-Key"] == sent["X-Concordat-Key"]
        assert plain_text(arrived) == plain_text(sent)


async def test_4xx_is_temporary_5xx_permanent_and_the_rest_go(
    server: tuple[Recorder, int],
) -> None:
    recorder, port = server
    recorder.rcpt_answers = {"busy@example.org": "451 try later", "gone@example.org": "550 no"}
    recorder.data_answers = {"late@example.org": "452 full", "spam@example.org": "554 spam"}
    names = ["a", "busy", "b", "gone", "late", "spam", "c"]
    outcomes = await plain(port).send(
        [email_to(f"{n}@example.org", i) for i, n in enumerate(names)]
    )
    assert [type(o) for o in outcomes] == [
        Sent, TemporaryFailure, Sent, PermanentFailure, TemporaryFailure, PermanentFailure, Sent
    ]  # fmt: skip
    assert outcomes[1] == TemporaryFailure("451 busy@example.org: try later")
    assert outcomes[3] == PermanentFailure("550 gone@example.org: no")
    assert outcomes[5] == PermanentFailure("554 spam")
    assert [to for _, to, _ in recorder.received] == [f"{n}@example.org" for n in "abc"]
    assert recorder.ehlos == 1


async def test_a_hang_up_leaves_the_rest_temporary(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.hang_up_on = {"b@example.org"}
    outcomes = await plain(port).send([email_to(f"{n}@example.org", 1) for n in "abc"])
    assert isinstance(outcomes[0], Sent)
    assert all(isinstance(o, TemporaryFailure) for o in outcomes[1:]), outcomes


async def test_nobody_listening_is_temporary_for_all() -> None:
    outcomes = await plain(free_port()).send([email_to(f"{n}@example.org", 1) for n in "ab"])
    assert len(outcomes) == 2
    assert all(isinstance(o, TemporaryFailure) for o in outcomes)
    assert "cannot reach SMTP 127.0.0.1" in outcomes[0].reason  # type: ignore[union-attr]


async def test_a_server_that_never_answers_times_out_temporarily() -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen()
        transport = SmtpTransport(HOST, silent.getsockname()[1], "none", timeout=0.3)
        outcomes = await transport.send([email_to("a@example.org", 1)])
    assert isinstance(outcomes[0], TemporaryFailure)


async def test_an_empty_batch_connects_to_nothing() -> None:
    assert await plain(free_port()).send([]) == []


def authenticator(
    server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"concordat",
        b"s3cret",
    )
    return AuthResult(success=good, handled=False, auth_data=data)


@pytest.fixture
def auth_server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder,
        hostname=HOST,
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,  # for the test only: AUTH over plain text on 127.0.0.1
    )
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


async def test_login_with_the_password_from_the_environment(
    auth_server: tuple[Recorder, int],
) -> None:
    recorder, port = auth_server
    settings = MailSettings(smtp_host=HOST, smtp_port=port, security="none", user="concordat")
    transport = transport_for(settings, {"CONCORDAT_SMTP_PASSWORD": "s3cret"}, Path("unused"))
    assert isinstance(transport, SmtpTransport)
    transport.local_hostname = "concordat.test"
    assert transport.describe() == f"SMTP {HOST}:{port} (no TLS, user concordat)"
    assert [type(o) for o in await transport.send([email_to("a@example.org", 1)])] == [Sent]
    assert recorder.logins == [b"concordat"]


async def test_a_refused_login_is_temporary(auth_server: tuple[Recorder, int]) -> None:
    recorder, port = auth_server
    transport = plain(port, user="concordat", password="wrong")
    (outcome,) = await transport.send([email_to("a@example.org", 1)])
    assert isinstance(outcome, TemporaryFailure)
    assert "535" in outcome.reason
    assert recorder.received == []


def test_a_user_without_a_password_refuses_to_start() -> None:
    settings = MailSettings(smtp_host="mail.example.org", user="concordat", password_env="PW")
    with pytest.raises(SmtpPasswordMissing, match="PW"):
        transport_for(settings, {"PW": ""}, Path("data"))


def test_without_a_host_mail_goes_to_the_maildir_in_the_data_directory() -> None:
    transport = transport_for(MailSettings(), {}, Path("data"))
    assert isinstance(transport, MaildirTransport)
    assert transport.describe() == f"Maildir {Path('data') / 'maildir'}"
    chosen = transport_for(MailSettings(maildir=Path("/var/mail/c")), {}, Path("data"))
    assert chosen.describe() == "Maildir /var/mail/c"
    smtp = transport_for(MailSettings(smtp_host="mail.example.org"), {}, Path("data"))
    assert smtp.describe() == "SMTP mail.example.org:587 (STARTTLS)"


async def test_maildir_delivery_parses_back(tmp_path: Path) -> None:
    path = tmp_path / "data" / "maildir"
    batch = [email_to(f"{n}@example.org", 1) for n in "ab"]
    outcomes = await MaildirTransport(path).send(batch)
    assert all(
        isinstance(o, Sent) and o.reply.startswith(f"maildir: {path}/new/") for o in outcomes
    )
    box = mailbox.Maildir(path, create=False)
    by_id = {m["Message-ID"]: m for m in box}
    assert set(by_id) == {m["Message-ID"] for m in batch}
    for sent in batch:
        arrived = message_from_bytes(by_id[sent["Message-ID"]].as_bytes(), policy=policy.default)
        assert arrived["Subject"] == sent["Subject"]
        assert plain_text(arrived) == plain_text(sent)
    assert b"\r\n" not in Path(outcomes[0].reply.removeprefix("maildir: ")).read_bytes()  # type: ignore[union-attr]


async def test_an_unwritable_maildir_is_temporary(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    outcomes = await MaildirTransport(blocker / "maildir").send([email_to("a@example.org", 1)])
    assert isinstance(outcomes[0], TemporaryFailure)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=IP:{HOST}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(params=["starttls", "tls"])
def tls_server(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[Recorder, int, Security, ssl.SSLContext]]:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    recorder, port = Recorder(), free_port()
    security: Security = request.param
    options: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_context}
    )
    controller = Controller(recorder, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield recorder, port, security, ssl.create_default_context(cafile=str(cert))
    finally:
        controller.stop()


async def test_starttls_and_implicit_tls(
    tls_server: tuple[Recorder, int, Security, ssl.SSLContext],
) -> None:
    recorder, port, security, client_context = tls_server
    transport = SmtpTransport(
        HOST, port, security, timeout=5, tls_context=client_context, local_hostname="c.test"
    )
    outcomes = await transport.send([email_to(f"{n}@example.org", 1) for n in "ab"])
    # Closing TLS takes a few more turns of the loop (close_notify, then the socket): let them
    # run before this test's loop is closed, or the socket is reported unclosed.
    await asyncio.sleep(0.2)
    assert [type(o) for o in outcomes] == [Sent, Sent]
    assert len(recorder.received) == 2


# asyncio (3.11) closes the socket of a failed TLS handshake a few loop turns later, and now
# and then leaves it to the garbage collector: both happen here, inside this test, where the
# warning is expected, rather than in whichever test runs next.
@pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning")
async def test_an_untrusted_certificate_is_temporary(
    tls_server: tuple[Recorder, int, Security, ssl.SSLContext],
) -> None:
    recorder, port, security, _ = tls_server
    transport = SmtpTransport(HOST, port, security, timeout=5, local_hostname="c.test")
    (outcome,) = await transport.send([email_to("a@example.org", 1)])
    await asyncio.sleep(0.1)
    gc.collect()
    assert isinstance(outcome, TemporaryFailure)
    assert "certificate" in outcome.reason.lower()
    assert recorder.received == []
