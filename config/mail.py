"""Mail settings: where the service's messages go, read from the `[mail]` table of site.toml.

They are kept apart from `PlanSettings` because they change nothing in what is planned, only
in how it leaves: a site may move from the embedded Maildir to its SMTP relay without a single
outbox row changing. The password is never here: only the name of the environment variable
that holds it, so a configuration directory can be shared or committed without a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_SENDER = "concordat@localhost"
DEFAULT_PASSWORD_ENV = "CONCORDAT_SMTP_PASSWORD"


@dataclass(frozen=True)
class MailSettings:
    """How messages leave Concordat and how hard the service tries.

    `smtp_host` None means no SMTP: messages go to the Maildir at `maildir`, or at
    `<data dir>/maildir` when that is None too (the data directory is known only to the
    application, so it is resolved there, not here). A relative `maildir` is relative to the
    directory the service runs in, as the data directory is.
    """

    sender: str = DEFAULT_SENDER
    admin: str | None = None
    smtp_host: str | None = None
    smtp_port: int = DEFAULT_PORTS["starttls"]
    security: Security = "starttls"
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout_seconds: float = 30.0
    maildir: Path | None = None
    max_attempts: int = 8
    retry_base_seconds: float = 60.0
    templates: Path | None = None  # overrides of the shipped templates, file by file
