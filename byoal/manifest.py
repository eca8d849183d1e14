"""Streaming JSON Lines manifests: read record by record, write atomically, never hold a file whole."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from byoal.errors import InputError
from byoal.storage import Storage

_READ_CHUNK = 1024 * 1024


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary stream without their line endings; a final newline ends no extra line."""
    pending = b""
    while chunk := stream.read(_READ_CHUNK):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending


def parse_line(line: bytes, *, uri: str, number: int) -> dict[str, Any]:
    """One manifest line as a JSON object, or an InputError naming the file and line."""
    try:
        record = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{uri} line {number}: not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise InputError(f"{uri} line {number}: expected a JSON object, got {type(record).__name__}")
    return record


def read_records(storage: Storage, uri: str) -> Iterator[dict[str, Any]]:
    """Each record of a manifest, in order. Blank lines are skipped, as Ground Truth does."""
    for _, record in read_numbered_records(storage, uri):
        yield record


def read_numbered_records(storage: Storage, uri: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, record) for each non-blank line of a manifest."""
    with storage.open_read(uri) as stream:
        for number, line in enumerate(iter_lines(stream), start=1):
            if line.strip():
                yield number, parse_line(line, uri=uri, number=number)


def read_dataset(storage: Storage, uris: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The records of several manifest files, one after the other (e.g. the parts of a job output)."""
    for uri in uris:
        yield from read_records(storage, uri)


def dumps(record: dict[str, Any]) -> bytes:
    """One manifest line: compact JSON, UTF-8 kept readable, a newline at the end."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def write_records(storage: Storage, uri: str, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON Lines; the object appears only if every record was written. Returns the count."""
    count = 0
    with storage.open_write(uri) as sink:
        for record in records:
            sink.write(dumps(record))
            count += 1
    return count
