"""Choosing how mail leaves: SMTP when the site names a host, else the embedded Maildir.

The settings arrive as `config.mail.MailSettings`; `notifications` may import only the core,
so they are described here by the attributes read (`MailRoute`), which that dataclass has.
The password is read here, from the environment variable the settings name, never from TOML.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from lifecycle.errors import ConcordatError
from notifications.maildir import MaildirTransport
from notifications.outcomes import Outcome, PermanentFailure, Sent, TemporaryFailure, Transport
from notifications.smtp import Security, SmtpTransport

__all__ = [
    "MailRoute",
    "MaildirTransport",
    "Outcome",
    "PermanentFailure",
    "Sent",
    "SmtpPasswordMissing",
    "SmtpTransport",
    "TemporaryFailure",
    "Transport",
    "transport_for",
]


class MailRoute(Protocol):
    """The mail settings a transport needs (see `config.mail.MailSettings`)."""

    @property
    def smtp_host(self) -> str | None: ...
    @property
    def smtp_port(self) -> int: ...
    @property
    def security(self) -> Security: ...
    @property
    def user(self) -> str | None: ...
    @property
    def password_env(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def maildir(self) -> Path | None: ...


class SmtpPasswordMissing(ConcordatError, LookupError):
    """Raised when an SMTP user is configured but the environment variable that should hold
    its password is unset or empty: better refuse to start than fail every login."""

    def __init__(self, variable: str, user: str) -> None:
        self.variable, self.user = variable, user
        super().__init__(
            f"the SMTP user {user!r} needs a password: set the environment variable "
            f"{variable} (named by password_env in site.toml's [mail] table)"
        )


def transport_for(settings: MailRoute, environ: Mapping[str, str], data_dir: Path) -> Transport:
    """SMTP when `settings.smtp_host` is set, else the Maildir (by default `data_dir/maildir`)."""
    if settings.smtp_host is None:
        return MaildirTransport(settings.maildir or data_dir / "maildir")
    password = environ.get(settings.password_env) or None
    if settings.user and password is None:
        raise SmtpPasswordMissing(settings.password_env, settings.user)
    return SmtpTransport(
        settings.smtp_host,
        settings.smtp_port,
        settings.security,
        settings.user,
        password,
        settings.timeout_seconds,
    )
