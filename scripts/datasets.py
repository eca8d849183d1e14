"""Turning a labeled text dataset into examples: loading, cleaning, sampling, classes, the labeled share.

Two file formats are read:

- ``csv``: a CSV file with a header row, plain or gzip-compressed (the bundled sample, the shared
  development copy, or any other dataset with a text column and a label column);
- ``uci-news``: the UCI News Aggregator's ``newsCorpora.csv``, tab-separated without a header or
  quoting (titles contain unbalanced double quotes), as a file or inside the UCI zip archive. Its
  columns get the names in :data:`scripts.uci_news.COLUMNS`.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from byoal.errors import InputError
from byoal.sampling import stratified_quotas
from scripts import uci_news

FORMATS = ("auto", "csv", "uci-news")
_GZIP_MAGIC = b"\x1f\x8b"
_PUNCTUATION = re.compile(r"[^\w\s]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass(frozen=True)
class Classes:
    """The label values in class-index order, and the name each class gets in the label-category file."""

    codes: list[str]
    names: list[str]

    def index(self, code: str) -> int:
        return self.codes.index(code)


def detect_format(path: Path) -> str:
    """``uci-news`` for a zip archive or a file named newsCorpora.csv[.gz], else ``csv``."""
    if zipfile.is_zipfile(path) or path.name.removesuffix(".gz") == uci_news.CORPUS_FILE:
        return "uci-news"
    return "csv"


@contextmanager
def _open_text(path: Path, *, encoding: str, newline: str, corpus_in_zip: bool) -> Iterator[IO[str]]:
    if corpus_in_zip and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(uci_news.corpus_member(archive, path)) as binary:
            yield io.TextIOWrapper(binary, encoding=encoding, newline=newline)
        return
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    with opener(path, "rt", encoding=encoding, newline=newline) as stream:
        yield stream


def _uci_table(stream: IO[str], where: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, line in enumerate(stream, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != len(uci_news.COLUMNS):
                raise InputError(
                    f"{where} line {number}: expected {len(uci_news.COLUMNS)} tab-separated columns "
                    f"({', '.join(uci_news.COLUMNS)}), found {len(fields)}"
                )
            yield number, fields

    return list(uci_news.COLUMNS), rows()


def _csv_table(stream: IO[str], where: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if not header:
        raise InputError(f"{where}: empty file, expected a CSV header row")
    header[0] = header[0].removeprefix("\ufeff")

    def rows() -> Iterator[tuple[int, list[str]]]:
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"{where} line {reader.line_num}: {len(row)} fields, the header has {len(header)}")
            yield reader.line_num, row

    return header, rows()


def _column_index(columns: list[str], column: str, *, option: str, where: str) -> int:
    if column not in columns:
        raise InputError(f"{option}: {where} has no column {column!r}; its columns are {columns}")
    return columns.index(column)


def load_examples(
    path: Path, *, text_column: str, label_column: str, file_format: str = "auto", encoding: str = "utf-8"
) -> list[Example]:
    """Every row's (text, label), in file order; InputError naming the file, line or column at fault."""
    if not path.is_file():
        raise InputError(f"--dataset: no such file: {path}")
    file_format = detect_format(path) if file_format == "auto" else file_format
    where = str(path)
    examples = []
    try:
        uci = file_format == "uci-news"
        # newsCorpora.csv ends records at "\n" only; the csv module wants line endings untouched.
        with _open_text(path, encoding=encoding, newline="\n" if uci else "", corpus_in_zip=uci) as stream:
            columns, rows = (_uci_table if uci else _csv_table)(stream, where)
            text_at = _column_index(columns, text_column, option="--text-column", where=where)
            label_at = _column_index(columns, label_column, option="--label-column", where=where)
            for number, row in rows:
                label = row[label_at].strip()
                if not label:
                    raise InputError(f"{where} line {number}: empty label in column {label_column!r} (--label-column)")
                examples.append(Example(text=row[text_at], label=label))
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not valid {encoding} text ({error.reason}); pass --encoding") from None
    except (OSError, EOFError, zipfile.BadZipFile, csv.Error) as error:
        raise InputError(f"{where}: cannot read it as {file_format} ({error})") from None
    if not examples:
        raise InputError(f"{where}: the dataset holds no rows")
    return examples


def clean_text(text: str) -> str:
    """The seed notebook's cleaning: drop quotes and punctuation. Line breaks become spaces."""
    return _WHITESPACE.sub(" ", _PUNCTUATION.sub("", text)).strip()


def usable_examples(examples: list[Example], *, clean: bool) -> list[Example]:
    """The examples, cleaned if asked, that still have text (a record without text cannot be labeled)."""
    kept = []
    for example in examples:
        text = clean_text(example.text) if clean else example.text
        if text.strip():
            kept.append(Example(text=text, label=example.label))
    return kept


def sample_examples(examples: list[Example], count: int, *, seed: int) -> list[Example]:
    """A seeded uniform sample of ``count`` examples, kept in dataset order."""
    if count > len(examples):
        raise InputError(f"--sample {count}: the dataset has only {len(examples)} usable records")
    chosen = sorted(random.Random(seed).sample(range(len(examples)), count))
    return [examples[position] for position in chosen]


def parse_label_names(pairs: list[str]) -> dict[str, str]:
    """``["b=Business", ...]`` -> ``{"b": "Business", ...}``, in the given order."""
    names: dict[str, str] = {}
    for pair in pairs:
        code, separator, name = pair.partition("=")
        if not separator or not code.strip() or not name.strip():
            raise InputError(f"--label-names: expected CODE=NAME, got {pair!r}")
        if code.strip() in names:
            raise InputError(f"--label-names: code {code.strip()!r} is given twice")
        if name.strip() in names.values():
            raise InputError(f"--label-names: name {name.strip()!r} is given twice")
        names[code.strip()] = name.strip()
    return names


def classes_for(examples: list[Example], names_by_code: dict[str, str] | None, *, label_column: str) -> Classes:
    """Class order and names: as ``names_by_code`` gives them, the seed's for UCI codes, else sorted values."""
    present = sorted({example.label for example in examples})
    if len(present) < 2:
        raise InputError(
            f"--label-column {label_column!r} holds a single class ({present[0]!r}); a classifier needs at least two"
        )
    if names_by_code is None and set(present) <= set(uci_news.CATEGORY_NAMES):
        names_by_code = {code: uci_news.CATEGORY_NAMES[code] for code in present}
    if names_by_code is None:
        return Classes(codes=present, names=present)
    missing = [code for code in present if code not in names_by_code]
    if missing:
        raise InputError(f"--label-names: no name for label values {missing} of column {label_column!r}")
    return Classes(codes=list(names_by_code), names=list(names_by_code.values()))


def choose_labeled(labels: list[int], *, num_classes: int, fraction: float, seed: int) -> set[int]:
    """Positions of a stratified sample of ``round(fraction * len(labels))`` records.

    Each class gets its share of the labeled records in proportion to its size (largest
    remainder), so the labeled subset has the dataset's class balance.
    """
    positions_by_class: list[list[int]] = [[] for _ in range(num_classes)]
    for position, label in enumerate(labels):
        positions_by_class[label].append(position)
    quotas = stratified_quotas([len(positions) for positions in positions_by_class], round(fraction * len(labels)))
    rng = random.Random(f"{seed}-labeled")
    chosen: set[int] = set()
    for positions, quota in zip(positions_by_class, quotas):
        chosen.update(rng.sample(positions, quota))
    return chosen
