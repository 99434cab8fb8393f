"""The on-disk cache of built agreements, so a new process (a command, a service starting)
loads thousands of unchanged agreement files without parsing them again.

One file per configuration directory under the cache folder (`<data dir>/cache`), holding
the agreements of the last valid load keyed by the SHA-256 of each file's bytes: an
agreement is built from its own file alone, so the same bytes build the same agreement.
The file starts with a fingerprint of everything else a build depends on (this package's
version and source, Python's, pydantic's, email-validator's and dateutil's versions) and a
checksum of what follows, so an upgrade, an edited module or a damaged file means "parse
again", never a wrong agreement.

Reading never fails a load: a missing, unreadable, truncated, foreign or corrupt file
reads as empty. Writing never fails one either: a read-only folder is skipped. Concurrent
writers each write a temporary file and rename it into place, so a reader sees one whole
file or another, never a mixture. The folder holds what the data directory's owner wrote
(pickle runs code when read, so it must be no more writable than the database beside it).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lifecycle.agreement import Agreement

MAGIC = b"concordat agreement cache 1\n"
_HEX = 64  # a SHA-256 in hex
_PACKAGES = ("concordat", "pydantic", "email-validator", "python-dateutil", "tzdata")


class DiskCache:
    """The cached agreements of one configuration directory, in `folder`."""

    def __init__(self, folder: Path, directory: Path) -> None:
        self.folder = folder
        where = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
        self.path = folder / f"config-{where}.pickle"

    def read(self) -> dict[str, Agreement]:
        """File digest -> agreement, as last written; empty when there is no usable cache."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        payload = _payload(data)
        if payload is None:
            return {}
        try:
            with _collector_paused():  # unpickling makes millions of objects, none cyclic garbage
                loaded = pickle.loads(payload)
        except Exception:  # a damaged cache is a miss, whatever broke in reading it
            return {}
        return loaded if _well_formed(loaded) else {}

    def write(self, agreements: dict[str, Agreement]) -> bool:
        """Replace the cache with `agreements` (file digest -> agreement); False when it
        could not be written (a read-only or missing data directory: loads just parse)."""
        payload = pickle.dumps(agreements, protocol=pickle.HIGHEST_PROTOCOL)
        header = MAGIC + fingerprint().encode() + hashlib.sha256(payload).hexdigest().encode()
        temporary: str | None = None
        try:
            self.folder.mkdir(exist_ok=True)  # the data directory itself is never created here
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".config-", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(header + b"\n" + payload)
            os.replace(temporary, self.path)
            temporary = None
        except OSError:
            return False
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
        return True


def _payload(data: bytes) -> bytes | None:
    """The pickled part of a cache file, when its header matches this build and its
    checksum matches its bytes; None otherwise."""
    start = len(MAGIC) + 2 * _HEX + 1
    if not data.startswith(MAGIC) or len(data) < start:
        return None
    header = data[len(MAGIC) : start]
    if header[:_HEX] != fingerprint().encode() or header[-1:] != b"\n":
        return None
    payload = data[start:]
    if hashlib.sha256(payload).hexdigest().encode() != header[_HEX : 2 * _HEX]:
        return None
    return payload


def _well_formed(loaded: object) -> bool:
    """A dict of hex digest -> Agreement, as `write` writes it."""
    return isinstance(loaded, dict) and all(
        isinstance(key, str) and len(key) == _HEX and isinstance(value, Agreement)
        for key, value in loaded.items()
    )


@cache
def fingerprint() -> str:
    """What a cached agreement depends on besides its file's bytes: the versions of Python
    and of the packages that parse, validate and build it, and the source of the modules
    that do (so an edited module invalidates the cache before its version is bumped)."""
    digest = hashlib.sha256(MAGIC + sys.version.encode() + b"\0")
    for name in _PACKAGES:
        digest.update(f"{name}={_version(name)}\0".encode())
    root = Path(__file__).resolve().parent.parent
    for package in ("config", "lifecycle"):
        for source in sorted((root / package).glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building many objects that all stay alive
    otherwise triggers collections that walk every one of them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
