"""Load a configuration directory: `site.toml` (optional) and one TOML file per agreement.

Every file is read and checked before anything is returned; all issues from all files are
reported together in one `ConfigurationError`, and nothing is half-loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from config.bank_holidays_file import package_bank_holidays, read_bank_holidays
from config.build import build_agreement
from config.issues import ConfigIssue, ConfigurationError, IssueLog, key_path
from config.locate import key_lines, line_of
from config.mail import DEFAULT_PORTS, MailSettings
from config.references import check_references
from config.schema import FIRST_YEAR, LAST_YEAR, AgreementFile, MailFile, SiteFile, clock_time
from config.web import WebSettings
from lifecycle.agreement import Agreement
from lifecycle.calendar import OperationalCalendar
from lifecycle.periods import Period
from lifecycle.timeline import PlanSettings

SITE_FILE = "site.toml"
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Configuration:
    """A fully validated configuration: site settings, agreements and the calendar."""

    directory: Path
    site: SiteFile
    agreements: tuple[Agreement, ...]
    calendar: OperationalCalendar
    settings: PlanSettings
    digests: dict[str, str] = field(default_factory=dict)
    mail: MailSettings = field(default_factory=MailSettings)
    web: WebSettings = field(default_factory=WebSettings)
    _own_calendars: dict[str, OperationalCalendar] = field(default_factory=dict, repr=False)

    def calendar_for(self, agreement: Agreement) -> OperationalCalendar:
        """The site calendar, plus the agreement's own closure days when it declares any."""
        if not agreement.closure_days:
            return self.calendar
        if agreement.id not in self._own_calendars:
            closed = self.calendar.closed | agreement.closure_days
            calendar = OperationalCalendar(self.calendar.first, self.calendar.last, closed)
            self._own_calendars[agreement.id] = calendar
        return self._own_calendars[agreement.id]

    def agreement(self, agreement_id: str) -> Agreement | None:
        """The agreement with this id, or None."""
        return next((a for a in self.agreements if a.id == agreement_id), None)


@dataclass
class LoadCache:
    """What a load keeps for the next one, so a reload after one file changed parses that
    file alone: each agreement built from a file, by the file's bytes, and the operational
    calendar, by the digest of what it is built from (the site file, the bank-holidays file,
    the holidays package's version). Agreements depend on their own file only, so a cached
    one is exactly what parsing the same bytes again would build."""

    agreements: dict[Path, tuple[str, Agreement]] = field(default_factory=dict)
    calendar: tuple[str, OperationalCalendar] | None = None
    parsed: int = 0  # agreement files parsed by the last load (the rest came from the cache)


def load_configuration(directory: Path, cache: LoadCache | None = None) -> Configuration:
    """Read and check every file under `directory`; raise `ConfigurationError` listing all
    issues when any file is invalid. With a `cache`, files whose bytes are unchanged since
    the previous load are not parsed again, and the cache is updated only by a valid load."""
    if not directory.is_dir():
        raise ConfigurationError([ConfigIssue(str(directory), None, "", "not a directory")])
    issues: list[ConfigIssue] = []
    site_log = IssueLog(directory / SITE_FILE)
    site = _load_site(site_log)
    closed = _closed_days(directory, site, site_log)
    if site.mail.templates is not None and not (directory / site.mail.templates).is_dir():
        site_log.add("mail.templates", f"not a directory: {directory / site.mail.templates}")
    issues += site_log.issues
    site_digest = _site_digest(directory, site)
    files = sorted(p for p in directory.glob("*.toml") if p.name != SITE_FILE)
    if not files:
        issues.append(ConfigIssue(str(directory), None, "", "no agreement files (*.toml) found"))
    previous = cache.agreements if cache is not None else {}
    built: dict[Path, tuple[str, Agreement]] = {}
    parsed = 0
    for path in files:
        log = IssueLog(path)
        content = _read(path, log)
        if content is None:
            issues += log.issues
            continue
        file_digest = _digest(content)
        cached = previous.get(path)
        if cached is not None and cached[0] == file_digest:
            built[path] = cached
            continue
        parsed += 1
        agreement = _load_agreement(log, content)
        issues += log.issues
        if agreement is not None:
            built[path] = (file_digest, agreement)
    loaded = [(path, agreement) for path, (_, agreement) in built.items()]
    issues += _duplicate_agreements(loaded)
    issues += _contacts_across_agreements(loaded)
    if issues:
        raise ConfigurationError(issues)
    calendar = _calendar(site_digest, closed, cache)
    if cache is not None:
        cache.agreements, cache.calendar, cache.parsed = built, (site_digest, calendar), parsed
    agreements = tuple(agreement for _, agreement in loaded)
    digests = {
        agreement.id: _digest(site_digest, file_digest) for file_digest, agreement in built.values()
    }
    settings = _settings(site)
    mail = _mail(site.mail, directory)
    web = WebSettings(site.web.host, site.web.port, site.web.base_url)
    return Configuration(directory, site, agreements, calendar, settings, digests, mail, web)


def _calendar(
    site_digest: str, closed: set[dt.date], cache: LoadCache | None
) -> OperationalCalendar:
    """The operational calendar: the cached one when nothing it is built from changed."""
    if cache is not None and cache.calendar is not None and cache.calendar[0] == site_digest:
        return cache.calendar[1]
    return OperationalCalendar.build(FIRST_YEAR, LAST_YEAR, closed)


def _read(path: Path, log: IssueLog) -> bytes | None:
    """The file's bytes, or None with the reason in `log`."""
    try:
        return path.read_bytes()
    except OSError as error:
        log.add("", f"cannot read: {error.strerror or error}")
        return None


def _load_site(log: IssueLog) -> SiteFile:
    if not log.file.exists():
        return SiteFile()
    content = _read(log.file, log)
    if content is None:
        return SiteFile()
    return _parse(log, SiteFile, content) or SiteFile()


def _load_agreement(log: IssueLog, content: bytes) -> Agreement | None:
    model = _parse(log, AgreementFile, content)
    if model is None:
        return None
    check_references(model, log)
    agreement = build_agreement(model, log)
    return agreement if log.ok else None


def _parse(log: IssueLog, schema: type[Model], content: bytes) -> Model | None:
    """Decode TOML then validate it against `schema`, recording every issue in `log`."""
    try:
        log.text = content.decode("utf-8")
        data: dict[str, Any] = tomllib.loads(log.text)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        log.add("", f"TOML syntax error: {error}", line=_toml_error_line(error))
        return None
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            log.add(key_path(tuple(detail["loc"])), _message(detail))
        return None


def _message(detail: Any) -> str:
    """pydantic's message, said for an administrator."""
    kind, message = detail["type"], str(detail["msg"])
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see docs/configuration.md)"
    if kind == "missing":
        return "required key is missing"
    message = message.removeprefix("Value error, ")
    value = detail.get("input")
    if kind not in ("value_error",) and not isinstance(value, dict | list):
        message += f" (got {value!r})"
    return message


def _toml_error_line(error: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None


def _closed_days(directory: Path, site: SiteFile, log: IssueLog) -> set[dt.date]:
    closed = package_bank_holidays(FIRST_YEAR, LAST_YEAR, site.holiday_region)
    closed |= set(site.closure_days)
    if site.bank_holidays_file:
        closed |= read_bank_holidays(directory / site.bank_holidays_file, site.holiday_region, log)
    return closed


def _duplicate_agreements(loaded: list[tuple[Path, Agreement]]) -> list[ConfigIssue]:
    seen: dict[str, Path] = {}
    issues: list[ConfigIssue] = []
    for path, agreement in loaded:
        if agreement.id in seen:
            message = f"duplicate agreement id {agreement.id!r} (also in {seen[agreement.id]})"
            issues.append(ConfigIssue(str(path), None, "id", message))
        else:
            seen[agreement.id] = path
    return issues


def _contacts_across_agreements(loaded: list[tuple[Path, Agreement]]) -> list[ConfigIssue]:
    """A contact id is one person across agreements: where it appears in several, it must
    name the same e-mail address (case aside) in each. A contact's feed and page (`/me/`)
    gather every agreement in which the id appears, so an id meaning someone else in another
    agreement would show that person's meetings and dates to the wrong holder."""
    first: dict[str, tuple[Path, str, str]] = {}  # contact id -> file, key, address
    issues: list[ConfigIssue] = []
    for path, agreement in loaded:
        lines: dict[str, int] | None = None
        for party_index, party in enumerate(agreement.parties):
            for contact_index, contact in enumerate(party.contacts):
                key = f"parties[{party_index}].contacts[{contact_index}].email"
                seen = first.setdefault(contact.id, (path, key, contact.email))
                if seen[0] == path or seen[2].casefold() == contact.email.casefold():
                    continue
                if lines is None:
                    lines = _key_lines(path)
                message = (
                    f"contact id {contact.id!r} is {contact.email!r} here but {seen[2]!r} in "
                    f"{seen[0]} ({seen[1]}); a contact id used in several agreements must "
                    "name the same e-mail address in each (a contact's feed gathers them all)"
                )
                issues.append(ConfigIssue(str(path), line_of(key, lines), key, message))
    return issues


def _key_lines(path: Path) -> dict[str, int]:
    """The file's key lines, for an issue found after parsing; none when it cannot be read."""
    try:
        return key_lines(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def _site_digest(directory: Path, site: SiteFile) -> str:
    """What every agreement's plan depends on besides its own file: the site file, the
    bank-holidays file and the version of the holidays package."""
    parts = [version("holidays").encode()]
    for name in (SITE_FILE, site.bank_holidays_file):
        path = directory / name if name else None
        if path is not None and path.is_file():
            parts.append(path.read_bytes())
    return _digest(*(hashlib.sha256(part).hexdigest() for part in parts))


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _settings(site: SiteFile) -> PlanSettings:
    def periods(texts: list[str]) -> tuple[Period, ...]:
        return tuple(Period.parse(text) for text in texts)

    return PlanSettings(
        timezone=ZoneInfo(site.timezone),
        send_time=clock_time(site.send_time),
        meeting_reminders=periods(site.reminders.meetings),
        review_reminders=periods(site.reminders.reviews),
        deadline_reminders=periods(site.reminders.deadlines),
        term_reminders=periods(site.reminders.term_end),
        notice_reminders=periods(site.reminders.notice),
        window_reminders=periods(site.reminders.procedures),
        variation_chase=Period.parse(site.variation_chase),
        invite_lead=Period.parse(site.invite_lead),
    )


def _mail(mail: MailFile, directory: Path) -> MailSettings:
    port = mail.smtp_port if mail.smtp_port is not None else DEFAULT_PORTS[mail.security]
    return MailSettings(
        sender=mail.sender,
        admin=mail.admin,
        smtp_host=mail.smtp_host,
        smtp_port=port,
        security=mail.security,
        user=mail.user,
        password_env=mail.password_env,
        timeout_seconds=mail.timeout_seconds,
        maildir=Path(mail.maildir) if mail.maildir is not None else None,
        max_attempts=mail.max_attempts,
        retry_base_seconds=mail.retry_base_seconds,
        templates=directory / mail.templates if mail.templates is not None else None,
    )
