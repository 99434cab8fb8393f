"""One-line text: summaries, outcomes, titles and names end up in mail subject and header
lines, where a line break would start a new header and other control characters garble it."""

from __future__ import annotations

import unicodedata

from lifecycle.errors import NotOneLine, TextTooLong

MAX_FREE_TEXT = 2000
LINE_SEPARATORS = frozenset("\u2028\u2029")
REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp"})  # format marks and spaces


def control_character(text: str) -> str | None:
    """The first character of `text` that cannot stand in a one-line field, or None.

    Refused: every Unicode control character (category Cc: CR, LF, tab, NUL, DEL, the C1
    set), the line and paragraph separators U+2028 and U+2029, and lone surrogates (Cs),
    which no mail header or database can store.
    """
    return next(
        (
            ch
            for ch in text
            if ch in LINE_SEPARATORS or unicodedata.category(ch) in REFUSED_CATEGORIES
        ),
        None,
    )


def one_line(field: str, text: str, limit: int = MAX_FREE_TEXT) -> str:
    """Free text as stored (surrounding spaces dropped; nothing at all when it shows nothing,
    such as only zero-width spaces), refused when it would break the mail header lines it
    ends up in or is longer than a reader can take in."""
    stripped = text.strip()
    if all(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in stripped):
        return ""
    character = control_character(stripped)
    if character is not None:
        raise NotOneLine(field, character)
    if len(stripped) > limit:
        raise TextTooLong(field, len(stripped), limit)
    return stripped
