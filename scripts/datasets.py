"""Turning a text dataset into examples: loading, cleaning, sampling, classes, the labeled share.

Four file formats are read, each plain or gzip-compressed:

- ``csv``: a CSV file with a header row. The text column and the label column are found by name
  (``text``, ``title``, ``source``, ... and ``label``, ``category``, ``class``, ...) unless given;
  a label cell may be empty (that record is unlabeled), and there may be no label column at all;
- ``jsonl``: JSON Lines, one object per record, such as a Ground Truth input manifest
  (``{"source": ...}``) or output manifest (``<attribute>`` and ``<attribute>-metadata`` with its
  ``class-name``). The label attribute is found by its ``-metadata`` field, else by name as for
  CSV (``label``, ``category``, ...) when its values are strings; a label may also be given by
  name as a string. Other fields are kept untouched;
- ``text``: plain text, one record per line, no labels;
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from byoal.errors import InputError
from byoal.manifest import parse_text
from byoal.sampling import stratified_quotas
from scripts import uci_news

FORMATS = ("auto", "csv", "jsonl", "text", "uci-news")
JSONL_SUFFIXES = (".jsonl", ".json", ".manifest", ".ndjson")
TEXT_SUFFIXES = (".txt", ".text")
# Column names tried, in order and ignoring case, when --text-column or --label-column is not given.
TEXT_COLUMNS = ("text", "source", "title", "headline", "sentence", "content", "body", "document", "review", "message")
LABEL_COLUMNS = ("label", "category", "class", "labels", "target", "intent", "sentiment", "topic")
_GZIP_MAGIC = b"\x1f\x8b"
_PUNCTUATION = re.compile(r"[^\w\s]")
_WHITESPACE = re.compile(r"\s+")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Example:
    """One record: its text, its label value (None when unlabeled) and, from JSON Lines, its other fields."""

    text: str
    label: str | None
    fields: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Loaded:
    """What a dataset file held: its examples and the columns (or JSON fields) they came from."""

    examples: list[Example]
    file_format: str
    text_column: str
    label_column: str | None

    @property
    def labeled(self) -> int:
        """How many examples carry a label."""
        return sum(example.label is not None for example in self.examples)


@dataclass(frozen=True)
class Classes:
    """The label values in class-index order, and the name each class gets in the label-category file."""

    codes: list[str]
    names: list[str]

    def index(self, code: str) -> int:
        """The class index of a label value; ValueError if it is not one of ``codes``."""
        return self.codes.index(code)


def detect_format(path: Path) -> str:
    """From the name: ``uci-news`` (zip or newsCorpora.csv), ``jsonl``, ``text`` (.txt), else ``csv``."""
    if zipfile.is_zipfile(path) or path.name.removesuffix(".gz") == uci_news.CORPUS_FILE:
        return "uci-news"
    suffix = Path(path.name.removesuffix(".gz")).suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "csv"


@contextmanager
def _open_text(path: Path, *, encoding: str, newline: str | None, corpus_in_zip: bool) -> Iterator[IO[str]]:
    if corpus_in_zip and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(uci_news.corpus_member(archive, path)) as binary:
            yield io.TextIOWrapper(binary, encoding=encoding, newline=newline)
        return
    with open(path, "rb") as probe:
        start = probe.read(2)
    compressed = start == _GZIP_MAGIC
    if not compressed and path.suffix.lower() == ".gz":
        raise InputError(
            f"{path}: named .gz but not gzip-compressed (it starts with {start!r}, not {_GZIP_MAGIC!r}); "
            "compress it with gzip, or drop .gz from its name if it is plain text"
        )
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
    if len(header) == 1:
        delimiter = next((mark for mark in (";", "\t", "|") if len(header[0].split(mark)) > 1), None)
        if delimiter is not None:
            raise InputError(
                f"{where}: the header row {header[0]!r} is a single column holding {delimiter!r}: the file looks "
                f"{delimiter!r}-separated, and a CSV dataset is comma-separated; save it with commas as the delimiter"
            )

    def rows() -> Iterator[tuple[int, list[str]]]:
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(f"{where} line {reader.line_num}: {len(row)} fields, the header has {len(header)}")
            yield reader.line_num, row

    return header, rows()


def _find_column(
    columns: list[str], wanted: str | None, candidates: tuple[str, ...], *, option: str, where: str
) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"{option}: {where} has no column {wanted!r}; its columns are {columns}")
        return wanted
    return next(iter(_find_columns(columns, candidates)), None)


def _find_columns(columns: list[str], candidates: tuple[str, ...]) -> list[str]:
    """The columns named like ``candidates`` (ignoring case), in the candidates' order."""
    by_lower = {column.lower(): column for column in reversed(columns)}
    return [by_lower[name] for name in candidates if name in by_lower]


def _table_examples(
    columns: list[str], rows: Iterator[tuple[int, list[str]]], *, text_column: str | None, label_column: str | None,
    where: str, file_format: str,
) -> Loaded:
    text_column = _find_column(columns, text_column, TEXT_COLUMNS, option="--text-column", where=where)
    if text_column is None and len(columns) == 1:
        text_column = columns[0]
    if text_column is None:
        raise InputError(f"--text-column: {where} has no column named like text ({', '.join(TEXT_COLUMNS)}); "
                         f"its columns are {columns}; name the text column with --text-column")
    if label_column is None:
        others = [column for column in columns if column != text_column]
        label_column = _find_column(others, None, LABEL_COLUMNS, option="--label-column", where=where)
    else:
        _find_column(columns, label_column, LABEL_COLUMNS, option="--label-column", where=where)
    text_at = columns.index(text_column)
    label_at = None if label_column is None else columns.index(label_column)
    examples = [
        Example(text=row[text_at], label=(row[label_at].strip() or None) if label_at is not None else None)
        for _, row in rows
    ]
    return Loaded(examples=examples, file_format=file_format, text_column=text_column, label_column=label_column)


def _label_attribute(records: list[tuple[int, dict[str, Any]]], text_field: str) -> str | None:
    """The first field that has a ``<field>-metadata`` companion, as in a Ground Truth output manifest; else the
    first field named like a label (:data:`LABEL_COLUMNS`) whose values are all strings or null, one at least a
    non-empty string."""
    for _, record in records:
        for key in record:
            if key != text_field and not key.endswith("-metadata") and f"{key}-metadata" in record:
                return key
    fields = list(dict.fromkeys(key for _, record in records for key in record if key != text_field))
    for candidate in _find_columns(fields, LABEL_COLUMNS):
        values = [record[candidate] for _, record in records if candidate in record]
        if all(value is None or isinstance(value, str) for value in values) and any(
            isinstance(value, str) and value.strip() for value in values
        ):
            return candidate
    return None


def _json_label(record: dict[str, Any], attribute: str, where: str) -> str | None:
    metadata = record.get(f"{attribute}-metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("class-name"), str) and metadata["class-name"].strip():
        return metadata["class-name"].strip()
    value = record.get(attribute)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    raise InputError(
        f"{where}: label {attribute!r} is {value!r} with no 'class-name' in '{attribute}-metadata'; "
        "give labels by name (a string, or the metadata's class-name)"
    )


def _jsonl_examples(stream: IO[str], *, text_column: str | None, label_column: str | None, where: str) -> Loaded:
    records = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")
        records.append((number, parse_text(line, where=f"{where} line {number}")))
    text_field = text_column or "source"
    attribute = label_column or _label_attribute(records, text_field)
    examples = []
    for number, record in records:
        text = record.get(text_field)
        if not isinstance(text, str):
            raise InputError(f"{where} line {number}: no text in field {text_field!r} (--text-column)")
        label = _json_label(record, attribute, f"{where} line {number}") if attribute else None
        skipped = {text_field, attribute, f"{attribute}-metadata"}
        kept = {key: value for key, value in record.items() if key not in skipped and not key.startswith("byoal-")}
        examples.append(Example(text=text, label=label, fields=kept))
    return Loaded(examples=examples, file_format="jsonl", text_column=text_field, label_column=attribute)


def _text_examples(stream: IO[str]) -> Loaded:
    lines = (line.removeprefix("\ufeff") if number == 1 else line for number, line in enumerate(stream, start=1))
    examples = [Example(text=line.rstrip("\r\n"), label=None) for line in lines if line.strip()]
    return Loaded(examples=examples, file_format="text", text_column="line", label_column=None)


def load_dataset(
    path: Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    file_format: str = "auto",
    encoding: str = "utf-8",
) -> Loaded:
    """Every record's (text, label or None), in file order; InputError naming the file, line or column at fault."""
    if not path.is_file():
        raise InputError(f"--dataset: no such file: {path}")
    file_format = detect_format(path) if file_format == "auto" else file_format
    where = str(path)
    try:
        if file_format == "jsonl":
            with _open_text(path, encoding=encoding, newline="\n", corpus_in_zip=False) as stream:
                loaded = _jsonl_examples(stream, text_column=text_column, label_column=label_column, where=where)
        elif file_format == "text":
            with _open_text(path, encoding=encoding, newline=None, corpus_in_zip=False) as stream:
                loaded = _text_examples(stream)
        else:
            uci = file_format == "uci-news"
            # newsCorpora.csv ends records at "\n" only; the csv module wants line endings untouched.
            with _open_text(path, encoding=encoding, newline="\n" if uci else "", corpus_in_zip=uci) as stream:
                columns, rows = (_uci_table if uci else _csv_table)(stream, where)
                loaded = _table_examples(
                    columns, rows, text_column=text_column, label_column=label_column, where=where,
                    file_format=file_format,
                )
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not valid {encoding} text ({error.reason}); pass --encoding") from None
    except (OSError, EOFError, zipfile.BadZipFile, csv.Error) as error:
        raise InputError(f"{where}: cannot read it as {file_format} ({error})") from None
    if not loaded.examples:
        raise InputError(f"{where}: the dataset holds no rows")
    return loaded


def load_examples(
    path: Path, *, text_column: str | None = None, label_column: str | None = None, file_format: str = "auto",
    encoding: str = "utf-8",
) -> list[Example]:
    """The examples of :func:`load_dataset`."""
    return load_dataset(
        path, text_column=text_column, label_column=label_column, file_format=file_format, encoding=encoding
    ).examples


def clean_text(text: str) -> str:
    """The seed notebook's cleaning: drop quotes and punctuation. Line breaks become spaces."""
    return _WHITESPACE.sub(" ", _PUNCTUATION.sub("", text)).strip()


def usable_examples(examples: list[Example], *, clean: bool) -> list[Example]:
    """The examples, cleaned if asked, that still have text (a record without text cannot be labeled)."""
    kept = []
    for example in examples:
        text = clean_text(example.text) if clean else example.text
        if text.strip():
            kept.append(Example(text=text, label=example.label, fields=example.fields))
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


def classes_for(
    examples: list[Example],
    names_by_code: dict[str, str] | None,
    *,
    label_column: str | None,
    labels: list[str] | None = None,
) -> Classes:
    """Class order and names of the labeled examples.

    ``labels`` (``--labels``) gives the classes by name, in order, and every label must be one of
    them; else ``names_by_code`` (``--label-names``), the seed's names for UCI codes, or the label
    values in sorted order (as numbers when all are integers).
    """
    present = _label_order({example.label for example in examples if example.label is not None})
    if labels is not None:
        if len(set(labels)) != len(labels) or any(not name.strip() for name in labels):
            raise InputError(f"--labels: {labels}: give each class name once, none empty")
        if len(labels) < 2:
            raise InputError(f"--labels: {labels}: a classifier needs at least two classes")
        unknown = [label for label in present if label not in labels]
        if unknown:
            counts = {label: sum(example.label == label for example in examples) for label in unknown[:5]}
            raise InputError(f"--labels: the data holds labels that are not among {labels}: {counts} (label: records)")
        return Classes(codes=list(labels), names=list(labels))
    if not present:
        where = f"column {label_column!r}" if label_column else "the dataset"
        raise InputError(f"no record has a label in {where}: give the class names with --labels NAME NAME ...")
    if len(present) < 2 and names_by_code is None:
        raise InputError(
            f"--label-column {label_column!r} holds a single class ({present[0]!r}); a classifier needs at least two "
            "(name them all with --labels)"
        )
    if names_by_code is None and set(present) <= set(uci_news.CATEGORY_NAMES):
        names_by_code = {code: uci_news.CATEGORY_NAMES[code] for code in present}
    if names_by_code is None:
        return Classes(codes=present, names=present)
    missing = [code for code in present if code not in names_by_code]
    if missing:
        raise InputError(f"--label-names: no name for label values {missing} of column {label_column!r}")
    return Classes(codes=list(names_by_code), names=list(names_by_code.values()))


def _label_order(values: set[str]) -> list[str]:
    """Label values sorted as numbers when all are integers (``2`` before ``10``), else as text."""
    if all(_INTEGER.fullmatch(value) for value in values):
        return sorted(values, key=lambda value: (int(value), value))
    return sorted(values)


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
    for positions, quota in zip(positions_by_class, quotas, strict=True):
        chosen.update(rng.sample(positions, quota))
    return chosen
