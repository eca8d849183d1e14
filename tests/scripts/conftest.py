"""Fixtures for the user commands: dataset files in each supported format, and AWS mocked by moto."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from moto import mock_aws

from byoal.storage import LOCAL_ROOT_ENV

# Titles that break naive manifest writers: quotes, backslashes, non-ASCII, markup, Liquid braces.
TRICKY_TITLES = [
    'Fed\'s "Stein" says rates stay low',
    'Unbalanced "quote in a headline',
    "Windows path C:\\Users\\news and a tab\tinside",
    "Café in Zürich – naïve “smart quotes” 東京",
    "<script>alert('x')</script> {{ task.input.secret }} {% raw %}",
    "Separators\u2028inside\u0085the\u2029text",
]
UCI_CODES = ["b", "e", "m", "t"]


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch):
    """The commands must not depend on the machine's AWS configuration."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", LOCAL_ROOT_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def uci_line(number: int, title: str, category: str) -> str:
    """One line of newsCorpora.csv: ID, TITLE, URL, PUBLISHER, CATEGORY, STORY, HOSTNAME, TIMESTAMP."""
    return "\t".join(
        [
            str(number),
            title,
            f"http://example.com/{number}",
            "Example Times",
            category,
            f"story{number % 7}",
            "example.com",
            str(1394470370698 + number),
        ]
    )


def uci_titles(count: int) -> list[tuple[str, str]]:
    """(title, code) pairs with an uneven class balance (b 40%, e 30%, t 20%, m 10%) and the tricky titles."""
    codes = ["b"] * 4 + ["e"] * 3 + ["t"] * 2 + ["m"]
    rows = [(f"Headline number {number} about {codes[number % 10]}", codes[number % 10]) for number in range(count)]
    for index, title in enumerate(TRICKY_TITLES):
        rows[index * 3] = (title.replace("\t", " "), rows[index * 3][1])
    return rows


@pytest.fixture
def news_corpora(tmp_path) -> tuple[Path, list[tuple[str, str]]]:
    """A small newsCorpora.csv in the real UCI format (tab-separated, no header, no quoting)."""
    rows = uci_titles(200)
    path = tmp_path / "data" / "newsCorpora.csv"
    path.parent.mkdir()
    path.write_text(
        "".join(uci_line(number + 1, title, code) + "\r\n" for number, (title, code) in enumerate(rows)),
        encoding="utf-8",
    )
    return path, rows


@pytest.fixture
def news_zip(tmp_path, news_corpora) -> Path:
    """The UCI archive layout: newsCorpora.csv beside other files and a macOS resource fork."""
    path = tmp_path / "data" / "news+aggregator.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__MACOSX/._newsCorpora.csv", b"\x00\x05\x16\x07")
        archive.write(news_corpora[0], "newsCorpora.csv")
        archive.writestr("2pageSessions.csv", "session\n")
        archive.writestr("readme.txt", "News Aggregator\n")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, compress: bool) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def tricky_csv(tmp_path) -> tuple[Path, list[tuple[str, str]]]:
    """A gzip CSV in the bundled sample's format whose titles hold quotes, backslashes, newlines, non-ASCII."""
    rows = [(f"Plain headline {number}", UCI_CODES[number % 4]) for number in range(40)]
    titles = [*TRICKY_TITLES, "A headline\nwith a line break", "Windows line break\r\nhere"]
    for index, title in enumerate(titles):
        rows[index] = (title, rows[index][1])
    path = write_csv(
        tmp_path / "tricky.csv.gz",
        ["TITLE", "CATEGORY", "PUBLISHER"],
        [[title, code, ""] for title, code in rows],
        compress=True,
    )
    return path, rows


def read_jsonl(path: Path) -> list[dict]:
    """JSON Lines split on newline bytes only, as Ground Truth and byoal.manifest read them."""
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]
