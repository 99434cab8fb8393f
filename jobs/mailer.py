"""The Mailer port over a transport: each message rendered by `notifications.render` and
handed, a batch at a time, to SMTP or the Maildir, with the transport's answers turned into
the dispatcher's outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path

from config.mail import MailSettings
from jobs.clock import Clock
from jobs.ports import Delivery, OnDelivery, Outcome
from lifecycle.agreement import is_placeholder
from lifecycle.messages import Message
from notifications.render import render
from notifications.templating import Templates
from notifications.transport import Outcome as TransportOutcome
from notifications.transport import PermanentFailure, Sent, Transport, transport_for


class TransportMailer:
    """Renders with the clock's time (a simulated year carries simulated dates) and sends."""

    def __init__(
        self, transport: Transport, sender: str, clock: Clock, templates: Templates | None = None
    ) -> None:
        self.transport, self.sender, self.clock = transport, sender, clock
        self.templates = templates

    async def deliver(
        self, messages: Sequence[Message], settle: OnDelivery | None = None
    ) -> list[Delivery]:
        """A message that cannot be rendered fails alone (permanently: rendering it again
        gives the same error); the others of its batch are sent, each settled as the
        transport answers it. A message to a placeholder address fails alone too
        (`_placeholder_refusal`)."""
        now = self.clock.now()
        answers: list[Delivery | None] = []
        emails: list[EmailMessage] = []
        positions: list[int] = []  # each email's index among `messages`
        for index, message in enumerate(messages):
            refused = _placeholder_refusal(message)
            if refused is not None:
                answers.append(refused)
                if settle is not None:
                    await settle(index, refused)
                continue
            try:
                emails.append(render(message, self.sender, now=now, templates=self.templates))
                positions.append(index)
                answers.append(None)
            except Exception as error:
                answers.append(Delivery(Outcome.PERMANENT, f"cannot be rendered: {error!r}"))
                if settle is not None:
                    await settle(index, answers[-1])  # type: ignore[arg-type]

        async def settled(email_index: int, outcome: TransportOutcome) -> None:
            if settle is not None:
                await settle(positions[email_index], _delivery(outcome))

        sent = iter([_delivery(o) for o in await self.transport.send(emails, settled)])
        return [answer if answer is not None else next(sent) for answer in answers]

    def describe(self) -> str:
        return self.transport.describe()


def mailer_for(
    settings: MailSettings,
    environ: Mapping[str, str],
    data_dir: Path,
    clock: Clock,
    templates: Templates | None = None,
) -> TransportMailer:
    """SMTP when the site names a host (the password from the environment), else the
    Maildir in the data folder; messages written with `templates` (the site's, checked)."""
    transport = transport_for(settings, environ, data_dir)
    return TransportMailer(transport, settings.sender, clock, templates)


def _placeholder_refusal(message: Message) -> Delivery | None:
    """The last guard before a transport: a message to a `.invalid` placeholder address
    (`lifecycle.agreement.is_placeholder`) fails for good, never handed to SMTP or the
    Maildir. The planner never addresses one (`Agreement.recipients` leaves placeholders
    out), so this firing means a bug; failing permanently has it logged and reported to
    the administrator like any refused message. None: the address may be sent to."""
    if not is_placeholder(message.recipient):
        return None
    return Delivery(
        Outcome.PERMANENT,
        f"not sent: {message.recipient} is a placeholder address (.invalid); "
        "put the contact's real address in the agreement's TOML file",
    )


def _delivery(outcome: Sent | PermanentFailure | object) -> Delivery:
    if isinstance(outcome, Sent):
        return Delivery(Outcome.SENT, outcome.reply)
    if isinstance(outcome, PermanentFailure):
        return Delivery(Outcome.PERMANENT, outcome.reason)
    return Delivery(Outcome.TEMPORARY, str(getattr(outcome, "reason", outcome)))
