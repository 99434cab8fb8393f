"""The `[mail]` table of site.toml: defaults, every key read, and bad values refused with the
file, key and line, never echoing a password back."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.issues import ConfigIssue, ConfigurationError
from config.loader import load_configuration
from config.mail import MailSettings
from tests.unit.test_config_errors import VALID, line_containing, write


def mail_of(tmp_path: Path, site: str) -> MailSettings:
    return load_configuration(write(tmp_path, {"demo.toml": VALID, "site.toml": site})).mail


def issue_of(tmp_path: Path, site: str) -> ConfigIssue:
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(write(tmp_path, {"demo.toml": VALID, "site.toml": site}))
    (issue,) = caught.value.issues
    assert issue.file.endswith("site.toml")
    return issue


def test_without_a_mail_table_mail_goes_to_the_maildir(tmp_path: Path) -> None:
    mail = load_configuration(write(tmp_path, {"demo.toml": VALID})).mail
    assert mail == MailSettings()
    assert (mail.smtp_host, mail.maildir, mail.sender) == (None, None, "concordat@localhost")
    assert (mail.max_attempts, mail.retry_base_seconds, mail.timeout_seconds) == (8, 60, 30)
    assert mail.password_env == "CONCORDAT_SMTP_PASSWORD"


def test_every_key_is_read(tmp_path: Path) -> None:
    site = """\
[mail]
sender = "concordat@council.example.org"
admin = "it-support@council.example.org"
smtp_host = "mail.example.org"
smtp_port = 2525
security = "tls"
user = "concordat"
password_env = "MAIL_SECRET"
timeout_seconds = 12.5
maildir = "spool/maildir"
max_attempts = 3
retry_base_seconds = 5
"""
    assert mail_of(tmp_path, site) == MailSettings(
        sender="concordat@council.example.org",
        admin="it-support@council.example.org",
        smtp_host="mail.example.org",
        smtp_port=2525,
        security="tls",
        user="concordat",
        password_env="MAIL_SECRET",
        timeout_seconds=12.5,
        maildir=Path("spool/maildir"),
        max_attempts=3,
        retry_base_seconds=5,
    )


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_the_port_defaults_to_the_one_of_its_security(
    tmp_path: Path, security: str, port: int
) -> None:
    site = f'[mail]\nsmtp_host = "127.0.0.1"\nsecurity = "{security}"\n'
    assert mail_of(tmp_path, site).smtp_port == port


@pytest.mark.parametrize("address", ["concordat@localhost", "root@mailhub", "a.b@x.example.org"])
def test_local_and_dotless_senders_are_accepted(tmp_path: Path, address: str) -> None:
    assert mail_of(tmp_path, f'[mail]\nsender = "{address}"\n').sender == address


@pytest.mark.parametrize(
    ("line", "path", "fragment"),
    [
        ('sender = "not an address"', "mail.sender", "not an email address"),
        ('admin = "admin@"', "mail.admin", "not an email address"),
        ('sender = "a@example.org\\r\\nBcc: b@example.org"', "mail.sender", "one line"),
        ('user = "x\\ny"', "mail.user", "one line"),
        ('smtp_host = "mail example.org"', "mail.smtp_host", "host name"),
        ("smtp_port = 0", "mail.smtp_port", "greater than or equal to 1"),
        ("smtp_port = 70000", "mail.smtp_port", "less than or equal to 65535"),
        ('security = "ssl"', "mail.security", "'starttls', 'tls' or 'none'"),
        ('password_env = "MY-SECRET"', "mail.password_env", "should match pattern"),
        ("timeout_seconds = 0", "mail.timeout_seconds", "greater than 0"),
        ("max_attempts = 0", "mail.max_attempts", "greater than or equal to 1"),
        ("retry_base_seconds = -1", "mail.retry_base_seconds", "greater than 0"),
        ('smtp_hots = "mail.example.org"', "mail.smtp_hots", "unknown key"),
    ],
)
def test_bad_values_name_the_key_and_line(
    tmp_path: Path, line: str, path: str, fragment: str
) -> None:
    site = f'send_time = "09:00"\n\n[mail]\n{line}\n'
    issue = issue_of(tmp_path, site)
    assert issue.path == path
    assert fragment in issue.message
    assert issue.line == line_containing(site, line.split(" =")[0])


@pytest.mark.parametrize("value", ['"hunter2-secret"', "123456789"])
def test_a_password_in_toml_is_refused_without_being_shown(tmp_path: Path, value: str) -> None:
    issue = issue_of(tmp_path, f'[mail]\nuser = "concordat"\npassword = {value}\n')
    assert issue.path == "mail.password"
    assert "environment variable" in issue.message
    assert value.strip('"') not in str(issue)
