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


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder()


def parse_line(line: bytes, *, uri: str, number: int) -> dict[str, Any]:
    """One manifest line as a JSON object, or an InputError naming the file and line."""
    try:
        text = line.decode("utf-8")
        record, end = _DECODER.raw_decode(text, 0 if text[:1] == "{" else len(text) - len(text.lstrip()))
        if end != len(text) and text[end:].strip():
            raise json.JSONDecodeError("Extra data", text, end)
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


def read_lines(storage: Storage, uri: str) -> Iterator[bytes]:
    """Each non-blank line as stored, with its newline, unparsed."""
    with storage.open_read(uri) as stream:
        for line in iter_lines(stream):
            if line.strip():
                yield line + b"\n"


def read_lines_and_records(storage: Storage, uri: str) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """(the line as stored, with its newline; the record) — so an unchanged record is written back as is."""
    with storage.open_read(uri) as stream:
        for number, line in enumerate(iter_lines(stream), start=1):
            if line.strip():
                yield line + b"\n", parse_line(line, uri=uri, number=number)


def read_dataset(storage: Storage, uris: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The records of several manifest files, one after the other (e.g. the parts of a job output)."""
    for uri in uris:
        yield from read_records(storage, uri)


def dumps(record: dict[str, Any]) -> bytes:
    """One manifest line: compact JSON, UTF-8 kept readable, a newline at the end."""
    return _ENCODER.encode(record).encode("utf-8") + b"\n"


def encode_members(fields: dict[str, Any]) -> bytes:
    """``fields`` as JSON object members without the braces (``"a":1,"b":2``), for :func:`append_members`."""
    return _ENCODER.encode(fields).encode("utf-8")[1:-1]


def append_members(line: bytes, members: bytes) -> bytes:
    """A JSON-object manifest line with new members added, the rest of the line kept byte for byte.

    Cheaper than decoding and re-encoding a whole record; the members' keys must not be in the record yet.
    """
    body = line.rstrip()
    if not body.endswith(b"}"):
        raise ValueError("not a JSON object line")
    if body[:-1].strip() == b"{":
        return b"{" + members + b"}\n"
    return body[:-1] + b"," + members + b"}\n"


def write_records(storage: Storage, uri: str, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON Lines; the object appears only if every record was written. Returns the count."""
    count = 0
    with storage.open_write(uri) as sink:
        for record in records:
            sink.write(dumps(record))
            count += 1
    return count


def write_lines(storage: Storage, uri: str, lines: Iterable[bytes]) -> int:
    """Write ready manifest lines (each ending in a newline), atomically. Returns the count."""
    count = 0
    with storage.open_write(uri) as sink:
        for line in lines:
            sink.write(line)
            count += 1
    return count
