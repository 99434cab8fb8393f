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
        transport answers it."""
        now = self.clock.now()
        answers: list[Delivery | None] = []
        emails: list[EmailMessage] = []
        positions: list[int] = []  # each email's index among `messages`
        for index, message in enumerate(messages):
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


def _delivery(outcome: Sent | PermanentFailure | object) -> Delivery:
    if isinstance(outcome, Sent):
        return Delivery(Outcome.SENT, outcome.reply)
    if isinstance(outcome, PermanentFailure):
        return Delivery(Outcome.PERMANENT, outcome.reason)
    return Delivery(Outcome.TEMPORARY, str(getattr(outcome, "reason", outcome)))
