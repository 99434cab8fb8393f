"""The `[web]` table of site.toml: defaults, every key read, bad values refused with the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.issues import ConfigurationError
from config.loader import load_configuration
from config.web import WebSettings
from tests.unit.test_config_errors import VALID, write


def web_of(tmp_path: Path, site: str) -> WebSettings:
    return load_configuration(write(tmp_path, {"demo.toml": VALID, "site.toml": site})).web


def test_without_a_web_table_it_listens_on_loopback(tmp_path: Path) -> None:
    web = load_configuration(write(tmp_path, {"demo.toml": VALID})).web
    assert (web.host, web.port, web.base_url) == ("127.0.0.1", 8080, None)
    assert web.public_url == "http://127.0.0.1:8080"


def test_every_key_is_read_and_the_base_url_loses_its_slash(tmp_path: Path) -> None:
    site = '[web]\nhost = "0.0.0.0"\nport = 9000\nbase_url = "https://c.example.org/x/"\n'
    web = web_of(tmp_path, site)
    assert web == WebSettings("0.0.0.0", 9000, "https://c.example.org/x")
    assert web.public_url == "https://c.example.org/x"


def test_an_ipv6_host_is_bracketed_in_the_public_url() -> None:
    assert WebSettings("::1", 8081).public_url == "http://[::1]:8081"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('base_url = "ftp://x.example.org"', "base_url"),
        ('base_url = "https://x.example.org/?a=1"', "base_url"),
        ('base_url = "https://x.example.org/\\r\\nX: y"', "base_url"),
        ('base_url = ""', "base_url"),
        ("port = 0", "port"),
        ('port = "80"', "port"),
        ('host = "a b"', "host"),
        ("colour = 1", "colour"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path: Path, line: str, key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        web_of(tmp_path, f"[web]\n{line}\n")
    (issue,) = caught.value.issues
    assert issue.file.endswith("site.toml")
    assert key in issue.path
