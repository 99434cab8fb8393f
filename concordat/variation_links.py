"""Signed links that let one party sign one variation: `/sign/<token>`.

The token carries the variation, the party and an expiry, and the site secret's signature of
them (`SiteSecret.sign("variation-sign", ...)`), so whoever holds the link can sign for that
party and nothing else, until it expires; nothing about it is stored. It is used once in
effect: the domain refuses a party's second signature. The variation chaser carries a link
for its recipient's party, made when the mail is rendered (`chaser_links`), so the secret
never reaches the outbox and the rows' keys and fingerprints do not depend on it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from concordat.secret import SecretUnusable, SiteSecret
from config.loader import Configuration
from lifecycle.errors import ConcordatError, MalformedId
from lifecycle.ids import VariationId
from lifecycle.messages import Message
from lifecycle.occurrence import OccurrenceKind

PURPOSE = "variation-sign"
VALID_FOR = dt.timedelta(days=28)  # a chaser goes weekly: each brings a fresh link
MAX_TOKEN = 512
SEPARATOR = "\n"  # no id, party or number can hold a line break


class LinkInvalid(ConcordatError, LookupError):
    """Raised when a signing link is malformed, tampered with or signed with another key."""

    def __init__(self) -> None:
        super().__init__("this signing link is not valid; ask for a new one")


class LinkExpired(ConcordatError, LookupError):
    """Raised when a signing link's expiry has passed."""

    def __init__(self, expired: dt.datetime) -> None:
        self.expired = expired
        super().__init__(
            f"this signing link expired on {expired:%d %b %Y %H:%M} UTC; the next reminder "
            "brings a new one"
        )


@dataclass(frozen=True)
class SignGrant:
    """What a link allows: `party` may sign `variation` until `expires` (aware UTC)."""

    variation: VariationId
    party: str
    expires: dt.datetime

    def message(self) -> str:
        return SEPARATOR.join((str(self.variation), self.party, str(_seconds(self.expires))))


def make_token(secret: SiteSecret, grant: SignGrant) -> str:
    """`<base64url of the grant>.<hex signature>`: URL-safe, no padding."""
    message = grant.message()
    body = base64.urlsafe_b64encode(message.encode()).decode().rstrip("=")
    return f"{body}.{secret.sign(PURPOSE, message)}"


def read_token(secret: SiteSecret, token: str, now: dt.datetime) -> SignGrant:
    """The grant a token carries; `LinkInvalid` for anything malformed or not signed by this
    site, `LinkExpired` once its expiry is past. The signature is checked (in constant time)
    before the grant's parts are believed."""
    body, dot, signature = token.partition(".")
    if not dot or len(token) > MAX_TOKEN or not body.isascii() or not signature.isascii():
        raise LinkInvalid()
    try:
        message = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise LinkInvalid() from error
    expected = secret.sign(PURPOSE, message)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise LinkInvalid()
    grant = _grant(message)
    if now >= grant.expires:
        raise LinkExpired(grant.expires)
    return grant


def _grant(message: str) -> SignGrant:
    parts = message.split(SEPARATOR)
    if len(parts) != 3 or not parts[2].isdigit():
        raise LinkInvalid()
    try:
        variation = VariationId.parse(parts[0])
        expires = dt.datetime.fromtimestamp(int(parts[2]), dt.UTC)
    except (MalformedId, ValueError, OverflowError, OSError) as error:
        raise LinkInvalid() from error
    return SignGrant(variation, parts[1], expires)


def sign_url(public_url: str, token: str) -> str:
    """The link's full address under the site's public address."""
    return f"{public_url.rstrip('/')}/sign/{token}"


def chaser_links(
    configuration: Callable[[], Configuration], secret: SiteSecret
) -> Callable[[Message, dt.datetime], Mapping[str, str]]:
    """The link maker the mail templates are given: a variation chaser gets `sign_url`, a
    link for its recipient's party valid for `VALID_FOR` from the instant it is rendered;
    every other message, and a recipient who is no one party's contact, none."""

    def links(message: Message, now: dt.datetime) -> Mapping[str, str]:
        if message.payload.get("kind") != OccurrenceKind.VARIATION_CHASER.value:
            return {}
        base_url = configuration().web.base_url
        if base_url is None:  # a partner elsewhere cannot open http://127.0.0.1: no link
            return {}
        grant = _chaser_grant(configuration(), message, now)
        if grant is None:
            return {}
        try:
            token = make_token(secret, grant)
        except SecretUnusable:  # the chaser still goes, with the command to type instead
            return {}
        return {"sign_url": sign_url(base_url, token)}

    return links


def _chaser_grant(
    configuration: Configuration, message: Message, now: dt.datetime
) -> SignGrant | None:
    """The grant for the chaser's recipient: their one party, the chaser's variation."""
    rule = str(message.payload.get("rule", ""))
    agreement = configuration.agreement(message.agreement)
    if agreement is None or not rule.startswith("variation:"):
        return None
    try:
        variation = VariationId.parse(rule.split(":")[1])
    except MalformedId:
        return None
    parties = {c.party for c in agreement.contacts if c.email == message.recipient}
    if len(parties) != 1:
        return None
    expires = now.astimezone(dt.UTC).replace(microsecond=0) + VALID_FOR
    return SignGrant(variation, parties.pop(), expires)


def _seconds(moment: dt.datetime) -> int:
    return int(moment.timestamp())
