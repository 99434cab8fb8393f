"""The templates every message is written with: a plain-text and an HTML template per kind
(`<kind>.txt.j2`, `<kind>.html.j2`, sharing `layout.txt.j2` and `layout.html.j2`), shipped
in `notifications/templates/` and overridable, file by file, from a directory the site names
(`[mail] templates`).

Templates render with `StrictUndefined`, so a misspelt variable is an error, and HTML is
autoescaped. `check()` renders every kind once against a sample, so `concordat validate`
reports a broken override before anything is sent. The context holds the message's own
facts and nothing secret (no passwords, no other recipients' addresses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from lifecycle.kinds import KINDS, Kind, MessageKind
from lifecycle.messages import Message, kind_of
from lifecycle.reports import SITE

FORMATS = ("txt", "html")
# Addresses a message may carry beside its payload, made when it is rendered (a variation
# chaser's signing link): each kind's templates may use every one, empty when not given.
LINK_NAMES = ("sign_url",)
# What `check` renders with, so an override that shows a link is checked with one.
SAMPLE_LINKS: Mapping[str, str] = {"sign_url": "https://concordat.example.org/sign/sample"}
Links = Callable[[Message, dt.datetime], Mapping[str, str]]
"""Makes a message's links (by `LINK_NAMES`) at the instant it is rendered; given as a
function by the application, which holds what signs them, so nothing secret reaches the
outbox or this package."""


@dataclass(frozen=True)
class Rendered:
    """A message's two bodies."""

    text: str
    html: str


@dataclass(frozen=True)
class TemplateProblem:
    """A template that cannot render its kind: which file (as the loader found it) and why."""

    kind: str
    template: str
    reason: str

    def __str__(self) -> str:
        return f"{self.template}: {self.reason}"


class Templates:
    """The shipped templates, with the site's overrides in front of them."""

    def __init__(self, overrides: Path | None = None, links: Links | None = None) -> None:
        self.links = links
        loaders: list[Any] = [PackageLoader("notifications", "templates")]
        if overrides is not None:
            loaders.insert(0, FileSystemLoader(overrides))
        self.overrides = overrides
        self.environment = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            keep_trailing_newline=True,
            trim_blocks=True,
            auto_reload=False,  # what was checked is what is sent: an edit needs a reload
        )

    def with_links(self, links: Links | None) -> Templates:
        """These templates (the same checked environment), rendering with `links`."""
        other = Templates.__new__(Templates)
        other.__dict__.update(self.__dict__)
        other.links = links
        return other

    def render(self, message: Message, now: dt.datetime | None = None) -> Rendered:
        """The plain-text and HTML bodies of `message`, by its kind's templates; with
        links made for the instant `now` (when given and the templates have a link maker)."""
        kind = kind_of(message)
        links = self.links(message, now) if self.links is not None and now is not None else {}
        context = message_context(message, links)
        text, html = (self._one(kind, form, context) for form in FORMATS)
        return Rendered(text, html)

    def check(self, samples: Mapping[str, Message]) -> list[TemplateProblem]:
        """Render every kind's templates against its sample; what fails, and why."""
        problems: list[TemplateProblem] = []
        for kind in KINDS:
            context = message_context(samples[kind.name], SAMPLE_LINKS)
            for form in FORMATS:
                name = template_name(kind, form)
                try:
                    self._one(kind, form, context)
                except TemplateError as error:
                    problems.append(TemplateProblem(kind.name, self._where(name), _said(error)))
        return problems

    def _one(self, kind: Kind, form: str, context: dict[str, Any]) -> str:
        return self.environment.get_template(template_name(kind, form)).render(context)

    def _where(self, name: str) -> str:
        """The file a template name resolves to: the override when there is one."""
        if self.overrides is not None and (self.overrides / name).is_file():
            return str(self.overrides / name)
        return f"(shipped) {name}"


def template_name(kind: Kind, form: str) -> str:
    """`<kind>.txt.j2` or `<kind>.html.j2`."""
    return f"{kind.name}.{form}.j2"


def message_context(message: Message, links: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a template may use: the payload's facts, made readable (days with their weekday,
    times with the time zone), the message's own subject, kind and reference, and its links
    (`LINK_NAMES`, "" when none)."""
    payload = message.payload
    given = links or {}
    kind = kind_of(message)
    return {
        "p": payload,
        "kind": kind.name,
        "summary": kind.summary,
        "subject": message.subject,
        "key": message.key,
        "recipient_name": payload.get("recipient_name", ""),
        "agreement": message.agreement,
        "agreement_title": payload.get("agreement_title") or _agreement_name(message),
        "clause": payload.get("clause", ""),
        "title": payload.get("title") or message.subject,
        "when": when(payload, about=kind.family is MessageKind.REMINDER),
        "closes": _day_text(payload.get("for_date")) if kind.family is MessageKind.NOTICE else "",
        "location": payload.get("location") or "",
        "moved_from": _day_text(payload.get("moved_from")),
        "detail": payload.get("detail") or "",
        "operational_days": payload.get("operational_days"),
        "told": list(payload.get("told") or []),
        "case": _case(payload),
        "variation": _variation(payload),
        **{name: given.get(name, "") for name in LINK_NAMES},
    }


def when(payload: Mapping[str, Any], about: bool = False) -> str:
    """ "Tuesday 10 March 2026, 10:00 to 11:30 (UK time)" for a meeting; with `about` (a
    reminder), the day of what it reminds of; else the day itself."""
    start = payload.get("start")
    if isinstance(start, str) and start:
        begins = dt.datetime.fromisoformat(start)
        end = payload.get("end")
        ends = dt.datetime.fromisoformat(end) if isinstance(end, str) and end else None
        until = f" to {ends:%H:%M}" if ends is not None else ""
        return f"{long_day(begins.date())}, {begins:%H:%M}{until} (UK time)"
    day = (payload.get("for_date") if about else None) or payload.get("date")
    return long_day(dt.date.fromisoformat(day)) if isinstance(day, str) and day else ""


def _day_text(value: object) -> str:
    """An ISO day as `long_day` says it; "" for none."""
    return long_day(dt.date.fromisoformat(value)) if isinstance(value, str) and value else ""


def long_day(day: dt.date) -> str:
    """ "Tuesday 10 March 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _agreement_name(message: Message) -> str:
    """The agreement's id when the payload has no title; the site for its own reports."""
    return "this Concordat site" if message.agreement == SITE else message.agreement


def _case(payload: Mapping[str, Any]) -> str:
    """The case id of a procedure's message (`case:<case>:...`), for the commands it names."""
    rule = str(payload.get("rule", ""))
    return rule.split(":")[1] if rule.startswith("case:") else ""


def _variation(payload: Mapping[str, Any]) -> str:
    """The variation id of a variation's message (`variation:<id>:...`)."""
    rule = str(payload.get("rule", ""))
    return rule.split(":")[1] if rule.startswith("variation:") else ""


def _said(error: TemplateError) -> str:
    """A template error in one line, with its line number when jinja2 knows it."""
    line = getattr(error, "lineno", None)
    where = f"line {line}: " if line else ""
    return f"{where}{type(error).__name__}: {error}"
