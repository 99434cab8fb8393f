"""Load a configuration directory: `site.toml` (optional) and one TOML file per agreement.

Every file is read and checked before anything is returned; all issues from all files are
reported together in one `ConfigurationError`, and nothing is half-loaded.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import os
import re
import time
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from config.bank_holidays_file import package_bank_holidays, read_bank_holidays
from config.build import build_agreement
from config.cache import DiskCache
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
    files: dict[str, Path] = field(default_factory=dict)  # each agreement's file, by its id
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


# A file whose modification is at least this old when it is read cannot change again within
# the same timestamp tick unseen, so its stat identifies its bytes from then on (as git
# trusts an index entry only once it is older than the file's timestamp).
SETTLED_SECONDS = 2.0
# From this many agreements on, a load moves every object alive to the collector's
# permanent generation (`gc.freeze`), see the end of `load_configuration`.
FREEZE_FROM = 1000


@dataclass(frozen=True)
class CachedFile:
    """What a load knows of one agreement file: its bytes' digest and the agreement they
    build, and the file's stat when it was read (trusted only once `settled`)."""

    path: Path
    signature: tuple[int, int, int, int]  # inode, size, mtime and ctime in nanoseconds
    settled: bool
    digest: str
    agreement: Agreement
    contacts: tuple[tuple[str, str, str, str], ...]  # id, address, folded, key path

    @classmethod
    def of(
        cls,
        path: Path,
        signature: tuple[int, int, int, int],
        settled: bool,
        digest: str,
        agreement: Agreement,
    ) -> CachedFile:
        """The entry, with the agreement's contacts as the cross-agreement check reads them."""
        contacts = tuple(
            (c.id, c.email, c.email.casefold(), f"parties[{p}].contacts[{i}].email")
            for p, party in enumerate(agreement.parties)
            for i, c in enumerate(party.contacts)
        )
        return cls(path, signature, settled, digest, agreement, contacts)


@dataclass
class LoadCache:
    """What a load keeps for the next one, so a reload after one file changed parses that
    file alone: each agreement built from a file, by the file's bytes, and the operational
    calendar, by the digest of what it is built from (the site file, the bank-holidays file,
    the holidays package's version). Agreements depend on their own file only, so a cached
    one is exactly what parsing the same bytes again would build.

    A file whose stat (inode, size, modification and change times) is what it was when it was
    read, long enough after its last change, is not read again: a reload of thousands of
    files reads the changed ones only. With `disk` (a folder under the data directory), the
    first load also takes agreements from the on-disk cache there and writes it back when
    it had to parse, so the next process starts warm (`config.cache`)."""

    disk: Path | None = None
    files: dict[str, CachedFile] = field(default_factory=dict)  # by file name
    calendar: tuple[str, OperationalCalendar] | None = None
    parsed: int = 0  # agreement files parsed by the last load (the rest came from a cache)
    read: int = 0  # agreement files the last load read (the rest were known by their stat)
    loads: int = 0  # valid loads so far


@dataclass
class _Found:
    """The agreement files of one load, and how each was come by."""

    files: dict[str, CachedFile] = field(default_factory=dict)  # by file name
    issues: list[ConfigIssue] = field(default_factory=list)
    parsed: int = 0
    read: int = 0


def load_configuration(directory: Path, cache: LoadCache | None = None) -> Configuration:
    """Read and check every file under `directory`; raise `ConfigurationError` listing all
    issues when any file is invalid. With a `cache`, files whose bytes are unchanged since
    the previous load are not parsed again, and the cache is updated only by a valid load
    (the on-disk one, with `cache.disk`, also keeps the valid files of an invalid load)."""
    if not directory.is_dir():
        raise ConfigurationError([ConfigIssue(str(directory), None, "", "not a directory")])
    cache = cache if cache is not None else LoadCache()
    issues: list[ConfigIssue] = []
    site_log = IssueLog(directory / SITE_FILE)
    site = _load_site(site_log)
    closed = _closed_days(directory, site, site_log)
    if site.mail.templates is not None and not (directory / site.mail.templates).is_dir():
        site_log.add("mail.templates", f"not a directory: {directory / site.mail.templates}")
    issues += site_log.issues
    site_digest = _site_digest(directory, site)
    names = _agreement_names(directory)
    if not names:
        issues.append(ConfigIssue(str(directory), None, "", "no agreement files (*.toml) found"))
    disk = DiskCache(cache.disk, directory) if cache.disk is not None and not cache.loads else None
    found = _agreement_files(directory, names, cache.files, disk)
    issues += found.issues
    entries = list(found.files.values())
    loaded = [(entry.path, entry.agreement) for entry in entries]
    if not _same_entries(found.files, cache.files):  # else checked by the last valid load
        issues += _duplicate_agreements(loaded)
        issues += _contacts_across_agreements(entries)
    if disk is not None and found.parsed:  # also when invalid: fixing one file is quick
        disk.write({entry.digest: entry.agreement for entry in found.files.values()})
    if issues:
        raise ConfigurationError(issues)
    calendar = _calendar(site_digest, closed, cache)
    cache.files, cache.calendar = found.files, (site_digest, calendar)
    cache.parsed, cache.read, cache.loads = found.parsed, found.read, cache.loads + 1
    agreements = tuple(agreement for _, agreement in loaded)
    digests = {
        entry.agreement.id: _agreement_digest(site_digest, entry.digest)
        for entry in found.files.values()
    }
    settings = _settings(site)
    mail = _mail(site.mail, directory)
    web = WebSettings(site.web.host, site.web.port, site.web.base_url)
    files = {entry.agreement.id: entry.path for entry in found.files.values()}
    loaded_configuration = Configuration(
        directory, site, agreements, calendar, settings, digests, mail, web, files
    )
    # A configuration is millions of objects at thousands of agreements, alive for as long
    # as the process (or until the next reload). Left to the cyclic collector, every full
    # collection walks them all (about a second at 10,000 agreements, at random moments of
    # a reload or a re-plan); frozen, they are never walked. They hold no reference cycles,
    # so freezing keeps nothing alive that reference counting would not free; the rest of
    # the process's objects are frozen too, so only large configurations do it.
    if len(agreements) >= FREEZE_FROM:
        gc.freeze()
    return loaded_configuration


def _agreement_names(directory: Path) -> list[str]:
    """The name of every `*.toml` in the directory but the site file, sorted: what
    `sorted(directory.glob("*.toml"))` gives (dot files and folders included, case
    sensitive), without pathlib's per-entry cost, which shows at thousands of files."""
    try:
        return sorted(
            entry.name
            for entry in os.scandir(directory)
            if entry.name.endswith(".toml") and entry.name != SITE_FILE
        )
    except OSError:
        return []


def _same_entries(found: dict[str, CachedFile], known: dict[str, CachedFile]) -> bool:
    """True when the load found exactly the previous load's entries (nothing changed)."""
    return len(found) == len(known) and all(found.get(n) is e for n, e in known.items())


def _agreement_files(
    directory: Path, names: list[str], known: dict[str, CachedFile], disk: DiskCache | None
) -> _Found:
    """Each file's agreement: known by its stat, else read and known by its bytes (from the
    previous load or the disk cache), else parsed; the issues of every file that fails."""
    found = _Found()
    stored: dict[str, Agreement] | None = None
    folder = str(directory)
    for name in names:
        entry = known.get(name)
        signature = _signature(os.path.join(folder, name)) if entry and entry.settled else None
        if entry is not None and signature == entry.signature:
            found.files[name] = entry
            continue
        path = directory / name
        log = IssueLog(path)
        read = _read_with_signature(path, log)
        if read is None:
            found.issues += log.issues
            continue
        found.read += 1
        content, signature, settled = read
        file_digest = _digest(content)
        if entry is not None and entry.digest == file_digest:
            found.files[name] = CachedFile.of(
                path, signature, settled, file_digest, entry.agreement
            )
            continue
        if stored is None:
            stored = disk.read() if disk is not None else {}
        agreement = stored.get(file_digest)
        if agreement is None:
            found.parsed += 1
            agreement = _load_agreement(log, content)
            found.issues += log.issues
        if agreement is not None:
            found.files[name] = CachedFile.of(path, signature, settled, file_digest, agreement)
    return found


def _signature(path: str) -> tuple[int, int, int, int] | None:
    """The file's identity and times, or None when it cannot be looked at."""
    try:
        return _stat_signature(os.stat(path))
    except OSError:
        return None


def _stat_signature(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _read_with_signature(
    path: Path, log: IssueLog
) -> tuple[bytes, tuple[int, int, int, int], bool] | None:
    """The file's bytes, its stat taken before reading them, and whether it had been left
    alone long enough before for that stat to identify them; None with the reason in
    `log` when it cannot be read."""
    try:
        with path.open("rb") as file:
            stat = os.fstat(file.fileno())
            looked = time.time_ns()
            content = file.read()
    except OSError as error:
        log.add("", f"cannot read: {error.strerror or error}")
        return None
    last_change = max(stat.st_mtime_ns, stat.st_ctime_ns)
    settled = looked - last_change >= SETTLED_SECONDS * 1e9
    return content, _stat_signature(stat), settled


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


def _contacts_across_agreements(entries: list[CachedFile]) -> list[ConfigIssue]:
    """A contact id is one person across agreements: where it appears in several, it must
    name the same e-mail address (case aside) in each. A contact's feed and page (`/me/`)
    gather every agreement in which the id appears, so an id meaning someone else in another
    agreement would show that person's meetings and dates to the wrong holder. A reload
    runs this over every agreement, so it is plain dict work over each file's contacts,
    listed and folded once when the file was read."""
    first: dict[str, tuple[int, str, str, str]] = {}  # contact id -> file, key, address, folded
    issues: list[ConfigIssue] = []
    for index, entry in enumerate(entries):
        lines: dict[str, int] | None = None
        for contact_id, email, folded, key in entry.contacts:
            seen = first.get(contact_id)
            if seen is None:
                first[contact_id] = (index, key, email, folded)
                continue
            if seen[0] == index or seen[3] == folded:
                continue
            if lines is None:
                lines = _key_lines(entry.path)
            message = (
                f"contact id {contact_id!r} is {email!r} here but {seen[2]!r} in "
                f"{entries[seen[0]].path} ({seen[1]}); a contact id used in several "
                "agreements must name the same e-mail address in each (a contact's feed "
                "gathers them all)"
            )
            issues.append(ConfigIssue(str(entry.path), line_of(key, lines), key, message))
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


@functools.lru_cache(maxsize=1 << 16)
def _agreement_digest(site_digest: str, file_digest: str) -> str:
    """What an agreement's plan depends on of the configuration: its file and the site."""
    return _digest(site_digest, file_digest)


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
