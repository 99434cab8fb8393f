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

from config.bank_holidays_file import read_bank_holidays
from config.build import build_agreement
from config.issues import ConfigIssue, ConfigurationError, IssueLog, key_path
from config.mail import DEFAULT_PORTS, MailSettings
from config.references import check_references
from config.schema import FIRST_YEAR, LAST_YEAR, AgreementFile, MailFile, SiteFile, clock_time
from lifecycle.agreement import Agreement
from lifecycle.bank_holidays import england_bank_holidays
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


def load_configuration(directory: Path) -> Configuration:
    """Read and check every file under `directory`; raise `ConfigurationError` listing all
    issues when any file is invalid."""
    if not directory.is_dir():
        raise ConfigurationError([ConfigIssue(str(directory), None, "", "not a directory")])
    issues: list[ConfigIssue] = []
    site_log = IssueLog(directory / SITE_FILE)
    site = _load_site(site_log)
    closed = _closed_days(directory, site, site_log)
    issues += site_log.issues
    loaded: list[tuple[Path, Agreement]] = []
    site_digest = _site_digest(directory, site)
    files = sorted(p for p in directory.glob("*.toml") if p.name != SITE_FILE)
    if not files:
        issues.append(ConfigIssue(str(directory), None, "", "no agreement files (*.toml) found"))
    for path in files:
        log = IssueLog(path)
        agreement = _load_agreement(log)
        issues += log.issues
        if agreement is not None:
            loaded.append((path, agreement))
    issues += _duplicate_agreements(loaded)
    if issues:
        raise ConfigurationError(issues)
    agreements = tuple(agreement for _, agreement in loaded)
    digests = {agreement.id: _digest(site_digest, path.read_bytes()) for path, agreement in loaded}
    calendar = OperationalCalendar.build(FIRST_YEAR, LAST_YEAR, closed)
    settings = _settings(site)
    return Configuration(directory, site, agreements, calendar, settings, digests, _mail(site.mail))


def _load_site(log: IssueLog) -> SiteFile:
    if not log.file.exists():
        return SiteFile()
    return _parse(log, SiteFile) or SiteFile()


def _load_agreement(log: IssueLog) -> Agreement | None:
    model = _parse(log, AgreementFile)
    if model is None:
        return None
    check_references(model, log)
    agreement = build_agreement(model, log)
    return agreement if log.ok else None


def _parse(log: IssueLog, schema: type[Model]) -> Model | None:
    """Read TOML then validate it against `schema`, recording every issue in `log`."""
    try:
        log.text = log.file.read_text(encoding="utf-8")
        data: dict[str, Any] = tomllib.loads(log.text)
    except OSError as error:
        log.add("", f"cannot read: {error.strerror or error}")
        return None
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
    closed = england_bank_holidays(FIRST_YEAR, LAST_YEAR, site.holiday_region)
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
        variation_chase=Period.parse(site.variation_chase),
        invite_lead=Period.parse(site.invite_lead),
    )


def _mail(mail: MailFile) -> MailSettings:
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
    )
