"""The TOML schema, as pydantic models. Unknown keys are errors, so typos are never ignored.

These models describe what an administrator writes; `config.convert` turns them into the
domain's dataclasses once they have passed the cross-reference checks in `config.checks`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.networks import validate_email as pydantic_email
from pydantic_core import PydanticCustomError

from config.bank_holidays_file import CALENDAR_YEARS
from config.mail import DEFAULT_PASSWORD_ENV, DEFAULT_SENDER, Security
from lifecycle.agreement import PLACEHOLDER_DOMAIN, AgreementKind, WindowFrom
from lifecycle.cadence import Policy
from lifecycle.errors import PeriodError
from lifecycle.periods import Period
from lifecycle.text import control_character

_ID = r"^[a-z0-9][a-z0-9_\-]*$"
# The years the operational calendar covers; dates outside them are refused when loading.
FIRST_YEAR, LAST_YEAR = CALENDAR_YEARS
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")


# The memos below hold one answer per distinct value: agreements repeat the same periods,
# addresses and titles many times over, and a load of thousands of files would otherwise
# check each occurrence again. Bounded, so a long-running service's memory stays flat.
MEMO_SIZE = 1 << 16


@functools.lru_cache(maxsize=MEMO_SIZE)
def parse_period(text: str) -> Period:
    """`Period.parse`, once per distinct text (a Period is immutable, so one can be shared);
    raises `PeriodError` as it does."""
    return Period.parse(text)


def _period(text: str) -> str:
    try:
        parse_period(text)
    except PeriodError as error:
        raise ValueError(error.reason + f' (got "{text}")') from error
    return text


def _clock_time(text: str) -> str:
    if not _TIME.match(text):
        raise ValueError(f'expected a 24-hour time such as "09:30" (got "{text}")')
    return text


def clock_time(text: str) -> dt.time:
    """A validated "9:30" or "09:30" as a time."""
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not a time: {text!r}")
    return dt.time(int(match["h"]), int(match["m"]))


def _calendar_period(text: str) -> str:
    _period(text)
    if parse_period(text).needs_calendar:
        raise ValueError(
            f'use days, weeks, months or years here, not operational days (got "{text}")'
        )
    return text


def _one_line(text: str) -> str:
    """Titles, names and clauses end up in mail subjects and headers: one line only. TOML
    basic strings can hold "\n" and other escapes, so this is checked, not assumed."""
    if text.isprintable():  # no control character, separator or surrogate: the usual case
        return text
    character = control_character(text)
    if character is not None:
        raise ValueError(
            f"must be one line of text: it contains the control character "
            f"U+{ord(character):04X} (remove line breaks, tabs and other control characters)"
        )
    return text


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f'unknown time zone "{name}" (expected an IANA name such as "Europe/London")'
        ) from error
    return name


def _mail_address(text: str) -> str:
    """A bare address such as "concordat@council.example.org". Unlike contacts' `EmailText`,
    a host without a dot ("root@mailhub") is accepted, and so is "localhost", the default
    sender's domain, since a site may deliver only to its own Maildir or relay."""
    _one_line(text)
    local, _, domain = text.rpartition("@")
    checked = f"{local}@example.org" if domain.lower() == "localhost" else text
    try:
        validate_email(checked, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as error:
        raise ValueError(f'not an email address: {error} (got "{text}")') from error
    return text


def _host(text: str) -> str:
    if not text or any(ch.isspace() for ch in text) or control_character(text):
        raise ValueError(f'expected a host name or IP address, without spaces (got "{text}")')
    return text


# The domain a placeholder's is checked as: the reserved `invalid` label swapped for a
# domain email_validator accepts, so every other label and the local part are still checked.
_STAND_IN = "example.org"
# The address's domain as `pydantic_email` finds it: after the last "@", before the ">" that
# closes a "Name <address>" form and any spaces it strips.
_DOMAIN = re.compile(r"@(?P<domain>[^@<>\s]*)(?P<tail>\s*>?\s*)$")


@functools.lru_cache(maxsize=MEMO_SIZE)
def _email_check(text: str) -> tuple[str, tuple[str, str, dict[str, Any] | None] | None]:
    """pydantic's `EmailStr` check once per distinct text: (the normalised address, None), or
    ("", the error's type, template and context) to raise afresh each time it is asked.
    A placeholder under `.invalid` (`_placeholder_check`) is accepted."""
    try:
        placeholder = _placeholder_check(text)
        return placeholder if placeholder is not None else pydantic_email(text)[1], None
    except PydanticCustomError as error:
        return "", (error.type, error.message_template, error.context)


def _placeholder_check(text: str) -> str | None:
    """A `.invalid` address ("contact@council.invalid", RFC 2606) normalised as `EmailStr`
    would normalise it were the domain allowed, or None for any other text. email_validator
    refuses the reserved name, but `concordat extract` writes such placeholders where a text
    names no address: they load (and are never sent to), so a draft can be validated. The
    syntax is checked on the address with `invalid` swapped for `_STAND_IN`; raises
    `PydanticCustomError` as `pydantic_email` does."""
    found = _DOMAIN.search(text)
    if found is None:
        return None
    domain = found["domain"].lower()
    if domain == PLACEHOLDER_DOMAIN:
        labels = ""
    elif domain.endswith("." + PLACEHOLDER_DOMAIN):
        labels = found["domain"][: -len(PLACEHOLDER_DOMAIN)]  # with its dot
    else:
        return None
    swapped = text[: found.start("domain")] + labels + _STAND_IN + found["tail"]
    normalised = pydantic_email(swapped)[1]
    return normalised[: -len(_STAND_IN)] + PLACEHOLDER_DOMAIN


def _email(text: str) -> str:
    """Exactly what `EmailStr` accepts, normalises and refuses (the same error type and
    message), memoised: a contact appears in many agreements, and email_validator's
    checks were half of all schema validation. The one difference: a placeholder under
    the reserved `.invalid` domain is accepted (`_placeholder_check`)."""
    normalised, error = _email_check(text)
    if error is not None:
        raise PydanticCustomError(*error)
    return normalised


def _no_password(_value: object) -> object:
    """A password in a configuration file ends up in backups and repositories; refused without
    echoing it back."""
    raise ValueError(
        "the password never goes in TOML: put it in the environment variable named by "
        f"password_env (default {DEFAULT_PASSWORD_ENV})"
    )


PeriodText = Annotated[str, AfterValidator(_period)]
CalendarPeriodText = Annotated[str, AfterValidator(_calendar_period)]
ClockTime = Annotated[str, AfterValidator(_clock_time)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
OneLine = Annotated[str, AfterValidator(_one_line)]
Identifier = Annotated[str, Field(pattern=_ID, min_length=1, max_length=64)]
MailAddress = Annotated[str, AfterValidator(_mail_address)]
HostName = Annotated[str, AfterValidator(_host)]
EmailText = Annotated[str, AfterValidator(_email)]


class Strict(BaseModel):
    """Base: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReminderDefaults(Strict):
    meetings: list[PeriodText] = ["7 days", "1 day"]
    reviews: list[PeriodText] = ["1 month", "7 days"]
    deadlines: list[PeriodText] = ["1 month", "7 days"]
    term_end: list[PeriodText] = ["18 months", "12 months", "6 months"]
    notice: list[PeriodText] = ["1 month", "7 days"]
    procedures: list[PeriodText] = ["5 operational days"]


class MailFile(Strict):
    """The `[mail]` table; `config.mail.MailSettings` documents what each key does."""

    sender: MailAddress = DEFAULT_SENDER
    admin: MailAddress | None = None
    smtp_host: HostName | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "starttls"
    user: OneLine | None = Field(default=None, min_length=1)
    password: Annotated[object, AfterValidator(_no_password)] = None
    password_env: str = Field(
        default=DEFAULT_PASSWORD_ENV, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128
    )
    timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    maildir: OneLine | None = Field(default=None, min_length=1)
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_base_seconds: float = Field(default=60.0, gt=0, le=86400)
    templates: OneLine | None = Field(default=None, min_length=1)


def _base_url(text: str) -> str:
    """An absolute http(s) URL without query or fragment; the trailing slash is dropped."""
    _one_line(text)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an absolute http:// or https:// URL (got {text!r})")
    if parts.query or parts.fragment:
        raise ValueError(f"must have no query or fragment (got {text!r})")
    return text.rstrip("/")


BaseUrl = Annotated[str, AfterValidator(_base_url)]


class WebFile(Strict):
    host: HostName = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535, strict=True)
    base_url: BaseUrl | None = None


# The outbox holds the rows due within this many days (the planner's `send_horizon_days`).
DEFAULT_SEND_HORIZON_DAYS = 42


class PlanFile(Strict):
    """The `[plan]` table. None (not writable in TOML) queues everything the plan wants."""

    send_horizon_days: Annotated[int, Field(ge=1, le=400, strict=True)] | None = (
        DEFAULT_SEND_HORIZON_DAYS
    )


class SiteFile(Strict):
    timezone: TimeZoneName = "Europe/London"
    holiday_region: Literal["ENG", "WLS", "SCT", "NIR"] = "ENG"
    closure_days: list[dt.date] = []
    bank_holidays_file: str | None = None
    send_time: ClockTime = "09:00"
    invite_lead: CalendarPeriodText = "28 days"
    variation_chase: CalendarPeriodText = "7 days"
    reminders: ReminderDefaults = ReminderDefaults()
    mail: MailFile = MailFile()
    web: WebFile = WebFile()
    plan: PlanFile = PlanFile()


class ContactFile(Strict):
    id: Identifier
    name: OneLine = Field(min_length=1)
    email: EmailText
    role: OneLine = Field(min_length=1)
    deputy: Identifier | None = None
    private: bool = False
    digest: Literal["none", "also", "instead"] = "none"


class PartyFile(Strict):
    id: Identifier
    name: OneLine = Field(min_length=1)
    roles: list[OneLine] = Field(min_length=1)
    contacts: list[ContactFile] = []


class ExtensionFile(Strict):
    to: dt.date
    agreed_on: dt.date | None = None
    clause: OneLine = ""


class TermFile(Strict):
    start: dt.date
    length: CalendarPeriodText | None = None
    end: dt.date | None = None
    up_to: bool = False
    extensions: list[ExtensionFile] = []
    reminders: list[PeriodText] | None = None
    clause: OneLine = ""


class NoticeFile(Strict):
    period: PeriodText
    fy_end: bool = False
    form: OneLine = "written"
    reminders: list[PeriodText] | None = None
    clause: OneLine = ""


class CadenceFields(Strict):
    """Fields shared by meetings and reviews: when the cadence starts and how it repeats."""

    id: Identifier
    title: OneLine = Field(min_length=1)
    frequency: str = Field(min_length=1)
    day: str | None = None
    starts: dt.date | None = None
    until: dt.date | None = None
    reminders: list[PeriodText] | None = None
    clause: OneLine = ""


class MeetingFile(CadenceFields):
    time: ClockTime | None = None
    duration_minutes: int = Field(default=60, gt=0, le=24 * 60)
    location: OneLine = ""
    attendees: list[str] = ["all"]
    policy: Policy = Policy.NEXT


class ReviewFile(CadenceFields):
    notify: list[str] = ["all"]
    policy: Policy = Policy.KEEP


class DeadlineFile(Strict):
    id: Identifier
    title: OneLine = Field(min_length=1)
    date: dt.date | None = None
    of: str | None = None
    after: CalendarPeriodText | None = None
    before: CalendarPeriodText | None = None
    notify: list[str] = ["all"]
    reminders: list[PeriodText] | None = None
    clause: OneLine = ""


class StepFile(Strict):
    id: Identifier
    title: OneLine = Field(min_length=1)
    window: PeriodText | None = None
    counted_from: WindowFrom = WindowFrom.PREVIOUS
    notify: list[str] = ["all"]


class ProcedureFile(Strict):
    id: Identifier
    title: OneLine = Field(min_length=1)
    steps: list[StepFile] = Field(min_length=1)
    then: Identifier | None = None
    clause: OneLine = ""


class AgreementFile(Strict):
    id: Identifier
    title: OneLine = Field(min_length=1)
    kind: AgreementKind
    binding: bool
    source: OneLine = ""
    closure_days: list[dt.date] = []
    term: TermFile
    notice: NoticeFile | None = None
    parties: list[PartyFile] = Field(min_length=1)
    meetings: list[MeetingFile] = []
    reviews: list[ReviewFile] = []
    deadlines: list[DeadlineFile] = []
    procedures: list[ProcedureFile] = []
