"""The embedded default: messages are delivered into a local Maildir, so a newcomer sees mail
arrive with no mail server at all (any mail client, `mutt -f`, or `mailbox.Maildir` reads it).
"""

from __future__ import annotations

import asyncio
import mailbox
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from notifications.outcomes import Outcome, Sent, Settle, TemporaryFailure


class MaildirTransport:
    """Delivers into the Maildir at `path`, creating it (and its parents) when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        """Where the Maildir is."""
        return f"Maildir {self.path}"

    async def send(
        self, batch: Sequence[EmailMessage], settle: Settle | None = None
    ) -> list[Outcome]:
        """File each message under `new/`; disk writes run in a thread, off the event loop."""
        outcomes = await asyncio.to_thread(self._deliver, batch) if batch else []
        if settle is not None:
            for index, outcome in enumerate(outcomes):
                await settle(index, outcome)
        return outcomes

    def _deliver(self, batch: Sequence[EmailMessage]) -> list[Outcome]:
        try:
            box = self._open()
        except OSError as error:
            failure = TemporaryFailure(f"cannot open the Maildir {self.path}: {error}")
            return [failure] * len(batch)
        return [self._add(box, email) for email in batch]

    def _open(self) -> mailbox.Maildir:
        for folder in ("tmp", "new", "cur"):
            (self.path / folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        return mailbox.Maildir(self.path, create=False)

    def _add(self, box: mailbox.Maildir, email: EmailMessage) -> Outcome:
        # Files in a Maildir end their lines with LF, not SMTP's CRLF.
        data = email.as_bytes(policy=email.policy.clone(linesep="\n"))
        try:
            key = box.add(data)
        except OSError as error:
            return TemporaryFailure(f"cannot write into the Maildir {self.path}: {error}")
        return Sent(f"maildir: {self.path / 'new' / key}")
