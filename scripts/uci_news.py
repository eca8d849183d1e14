"""The UCI News Aggregator dataset: where to get it, how its archive is checked, what its codes mean.

UCI publishes no checksum for ``news+aggregator.zip``, and the archive could not be fetched where
this code was written to compute one, so no SHA-256 is pinned. A download is accepted when every
member passes its zip CRC-32 check (a truncated or corrupted transfer fails it) and the archive
holds ``newsCorpora.csv``; ``expected_sha256`` lets a user pin the hash they trust.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from byoal.errors import InputError

DOWNLOAD_URL = "https://archive.ics.uci.edu/static/public/359/news+aggregator.zip"
DEFAULT_ARCHIVE = Path.home() / ".cache" / "byoal" / "news+aggregator.zip"
CORPUS_FILE = "newsCorpora.csv"
COLUMNS = ("ID", "TITLE", "URL", "PUBLISHER", "CATEGORY", "STORY", "HOSTNAME", "TIMESTAMP")
CATEGORY_NAMES = {"b": "Business", "e": "Entertainment", "m": "Health & Medicine", "t": "Science and Technology"}
"""The seed notebook's names for the category codes; class index order is b, e, m, t."""


def corpus_member(archive: zipfile.ZipFile, path: Path) -> str:
    """The archive member that is ``newsCorpora.csv`` (macOS resource-fork copies are skipped)."""
    for name in archive.namelist():
        member = PurePosixPath(name)
        if member.name == CORPUS_FILE and "__MACOSX" not in member.parts:
            return name
    raise InputError(f"{path}: the zip archive holds no {CORPUS_FILE}")


def verify_archive(path: Path, *, expected_sha256: str | None = None) -> None:
    """Raise InputError unless the file is an intact zip holding newsCorpora.csv (and has the pinned hash)."""
    if expected_sha256 is not None:
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            while chunk := stream.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() != expected_sha256.lower():
            raise InputError(f"{path}: SHA-256 is {digest.hexdigest()}, expected {expected_sha256.lower()}")
    try:
        with zipfile.ZipFile(path) as archive:
            corpus_member(archive, path)
            broken = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise InputError(f"{path}: not a valid zip archive ({error})") from None
    if broken is not None:
        raise InputError(f"{path}: archive member {broken} is corrupt (CRC check failed)")


def download(destination: Path, *, url: str = DOWNLOAD_URL, expected_sha256: str | None = None) -> None:
    """Fetch the archive to ``destination`` through a temporary file; only a verified archive lands there."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as sink, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, sink)
        verify_archive(Path(temporary), expected_sha256=expected_sha256)
        os.replace(temporary, destination)
    except (urllib.error.URLError, OSError) as error:
        raise InputError(f"--download: could not fetch {url}: {error}") from None
    except InputError as error:
        raise InputError(f"--download: the archive from {url} failed verification: {error}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
