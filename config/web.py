"""Web settings: where the dashboard and the calendar feeds are served, from site.toml's
`[web]` table.

`base_url` is the address partners and board members use (behind a reverse proxy it is the
proxy's https address); it is what feed URLs, subscribe buttons and signed links are built
from. Absent, it is `http://<host>:<port>`, right for one machine and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class WebSettings:
    """Where the HTTP server listens and the public address it is reached at."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    base_url: str | None = None

    @property
    def public_url(self) -> str:
        """The base of every URL handed out: `base_url`, else the listening address."""
        if self.base_url is not None:
            return self.base_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
