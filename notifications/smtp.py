"""Delivery by SMTP with aiosmtplib: one connection carries a whole batch.

Each answer is sorted by what retrying could change. A 5xx answer to a message is permanent.
A 4xx answer, a timeout, a lost or refused connection is temporary. So is a failure before
any message was offered (connecting, TLS, login), even a 5xx one: it is a fault of the route,
which an operator can mend, not of the messages, and the dispatcher's attempt limit still
stops them in the end.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from typing import Literal

from aiosmtplib import (
    SMTP,
    SMTPException,
    SMTPNotSupported,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from notifications.outcomes import Outcome, PermanentFailure, Sent, Settle, TemporaryFailure

Security = Literal["starttls", "tls", "none"]
_SHOWN = {"starttls": "STARTTLS", "tls": "TLS", "none": "no TLS"}
_CONNECTION_LOST = (SMTPServerDisconnected, SMTPTimeoutError, OSError, TimeoutError)


class SmtpTransport:
    """Sends over one SMTP connection per batch: connect, STARTTLS or implicit TLS, login when
    a user is set, one transaction per message, then QUIT."""

    def __init__(
        self,
        host: str,
        port: int,
        security: Security = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in _SHOWN:
            raise ValueError(f"security must be starttls, tls or none (got {security!r})")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.tls_context = tls_context
        self.local_hostname = local_hostname

    def describe(self) -> str:
        """Host, port, security and user; never the password."""
        user = f", user {self.user}" if self.user else ""
        return f"SMTP {self.host}:{self.port} ({_SHOWN[self.security]}{user})"

    async def send(
        self, batch: Sequence[EmailMessage], settle: Settle | None = None
    ) -> list[Outcome]:
        """One outcome per message, each settled as soon as the server answers it; once the
        connection is gone, the rest are temporary."""
        outcomes: list[Outcome] = []
        if not batch:
            return outcomes
        client = self._client()
        try:
            await client.connect()
        except (SMTPException, OSError, TimeoutError) as error:
            failure = TemporaryFailure(f"cannot reach {self.describe()}: {_said(error)}")
            return await _settle_all(outcomes, [failure] * len(batch), settle)
        try:
            for email in batch:
                if not client.is_connected:
                    break
                await _settle_all(outcomes, [await _send_one(client, email)], settle)
        except BaseException:  # cancelled (a service aborting): hang up, do not wait to QUIT
            client.close()
            raise
        await _quit(client)
        lost = TemporaryFailure(f"connection to {self.describe()} lost before this message")
        return await _settle_all(outcomes, [lost] * (len(batch) - len(outcomes)), settle)

    def _client(self) -> SMTP:
        return SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.user if self.user else None,
            password=self.password if self.user else None,
            timeout=self.timeout,
            tls_context=self.tls_context,
            local_hostname=self.local_hostname,
        )


async def _send_one(client: SMTP, email: EmailMessage) -> Outcome:
    try:
        refused, reply = await _transmit(client, email)
    except SMTPRecipientsRefused as error:
        first = error.recipients[0]
        return _answer(first.code, f"{first.recipient}: {first.message}")
    except SMTPResponseException as error:
        return _answer(error.code, error.message)
    except _CONNECTION_LOST as error:
        client.close()  # after a timeout the dialogue is out of step: start afresh next batch
        return TemporaryFailure(f"connection lost: {_said(error)}")
    except (SMTPNotSupported, ValueError) as error:
        return PermanentFailure(f"cannot be sent as it is: {_said(error)}")
    except SMTPException as error:  # anything else aiosmtplib reports: not this message's fault
        client.close()
        return TemporaryFailure(f"SMTP error: {_said(error)}")
    if refused:  # accepted for some recipients only; sending again would repeat it to them
        return Sent(f"{reply} (refused: {', '.join(sorted(refused))})")
    return Sent(reply)


async def _transmit(client: SMTP, email: EmailMessage) -> tuple[dict[str, object], str]:
    """Send `email` flattened with its own line length: aiosmtplib's `send_message` would
    re-fold every header at 78 columns, and a long subject would read back with a leading
    space. The envelope and the SMTPUTF8 and 8BITMIME options are chosen as `send_message`
    chooses them (one sender, one recipient per message here)."""
    sender, recipient = str(email["From"]), str(email["To"])
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    options: list[str] = []
    utf8 = not (sender + recipient).isascii()
    if utf8:
        if not client.supports_extension("smtputf8"):
            raise SMTPNotSupported("a non-ASCII address, and the server lacks SMTPUTF8")
        options.append("SMTPUTF8")
    eight_bit = client.supports_extension("8BITMIME")
    if eight_bit:
        options.append("BODY=8BITMIME")
    style = (policy.SMTPUTF8 if utf8 else policy.SMTP).clone(
        max_line_length=email.policy.max_line_length, cte_type="8bit" if eight_bit else "7bit"
    )
    flat = email.as_bytes(policy=style)
    refused, reply = await client.sendmail(sender, [recipient], flat, mail_options=options)
    return dict(refused), reply


def _answer(code: int, message: str) -> Outcome:
    said = f"{code} {message}"
    return PermanentFailure(said) if 500 <= code < 600 else TemporaryFailure(said)


async def _settle_all(
    outcomes: list[Outcome], more: list[Outcome], settle: Settle | None
) -> list[Outcome]:
    """Append `more` to `outcomes`, telling `settle` of each in turn."""
    for outcome in more:
        outcomes.append(outcome)
        if settle is not None:
            await settle(len(outcomes) - 1, outcome)
    return outcomes


async def _quit(client: SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (SMTPException, OSError, TimeoutError):
        client.close()


def _said(error: BaseException) -> str:
    return str(error) or type(error).__name__
