"""The site's secret key: what feed tokens, signed links and CSRF tokens are derived from.

It comes from `$CONCORDAT_SECRET` (at least 32 characters; every node of one site must have
the same), else from the file `secret` in the data directory, created on first use with 32
random bytes and mode 0600. It is never stored in the database, so a copy of the database
alone cannot reproduce a feed token or forge a link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from lifecycle.errors import ConcordatError

SECRET_FILE = "secret"
MINIMUM_LENGTH = 32


class SecretUnusable(ConcordatError, ValueError):
    """Raised when the configured secret is too short or its file cannot be read or made."""


@dataclass
class SiteSecret:
    """The secret, read once on first use: from `value` when given, else from `path`."""

    value: str | None
    path: Path
    _key: bytes | None = field(default=None, repr=False)

    def key(self) -> bytes:
        """The secret's bytes (reading or creating the file the first time)."""
        if self._key is None:
            self._key = self._read()
        return self._key

    def sign(self, purpose: str, message: str) -> str:
        """A hex HMAC-SHA256 of `message` under a key of its own per `purpose`, so a value
        signed for one use (a feed token) is never valid for another (a signed link)."""
        purpose_key = hmac.new(self.key(), purpose.encode(), hashlib.sha256).digest()
        return hmac.new(purpose_key, message.encode(), hashlib.sha256).hexdigest()

    def _read(self) -> bytes:
        if self.value is not None:
            if len(self.value) < MINIMUM_LENGTH:
                raise SecretUnusable(
                    f"$CONCORDAT_SECRET must be at least {MINIMUM_LENGTH} characters "
                    f"(got {len(self.value)})"
                )
            return self.value.encode()
        try:
            return self._read_file()
        except OSError as error:
            raise SecretUnusable(f"cannot read or create {self.path}: {error}") from error

    def _read_file(self) -> bytes:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        text = self.path.read_text(encoding="ascii").strip()
        if len(text) < MINIMUM_LENGTH:
            raise SecretUnusable(f"{self.path} holds fewer than {MINIMUM_LENGTH} characters")
        return text.encode()
