"""Streaming JSON Lines manifests: read record by record, write atomically, never hold a file whole.

Tolerated on reading, because real exports carry them and nothing is lost: a UTF-8 byte-order mark
at the start of a file, and CRLF line ends. Refused: a line that is not UTF-8, not one JSON object,
or holds ``NaN``/``Infinity`` (not JSON, and other readers refuse them); with ``strict``, also an
object with a duplicate key (readers disagree on which value wins).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from byoal.errors import InputError
from byoal.storage import Storage

_READ_CHUNK = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


def iter_lines(stream: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary stream without their line endings (``\\n`` or ``\\r\\n``); a final newline ends no
    extra line. A UTF-8 byte-order mark at the start of the stream is dropped."""
    pending = head = b""
    first = True
    while chunk := stream.read(_READ_CHUNK):
        if first:
            head += chunk
            if len(head) < len(UTF8_BOM) and UTF8_BOM.startswith(head):
                continue
            chunk, first = head.removeprefix(UTF8_BOM), False
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line
    if first:
        pending = head
    if pending:
        yield pending[:-1] if pending.endswith(b"\r") else pending


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value (write a number, or null)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _NotJson(f"the key {duplicate!r} appears twice in one object")
    return record


_FOREIGN_STARTS_NAMED = {
    b"\x1f\x8b": "gzip-compressed",
    b"\xff\xfe": "UTF-16 text (as spreadsheets save \"Unicode text\")",
    b"\xfe\xff": "UTF-16 text",
}
_FOREIGN_STARTS = tuple(_FOREIGN_STARTS_NAMED)
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_STRICT_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)


def parse_line(line: bytes, *, uri: str, number: int, strict: bool = False) -> dict[str, Any]:
    """One manifest line as a JSON object, or an InputError naming the file and line.

    ``strict`` also refuses duplicate keys (about 2.5 times slower: used on input the workflow did not write).
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        if number == 1 and line.startswith(_FOREIGN_STARTS):
            kind = next(name for start, name in _FOREIGN_STARTS_NAMED.items() if line.startswith(start))
            raise InputError(f"{uri}: the file is {kind}; a manifest is plain UTF-8 JSON Lines") from None
        raise InputError(
            f"{uri} line {number}: not UTF-8 text (byte {line[error.start]:#04x} at byte {error.start + 1}); "
            "save the file as UTF-8"
        ) from None
    return parse_text(text, where=f"{uri} line {number}", strict=strict)


def parse_text(text: str, *, where: str, strict: bool = False) -> dict[str, Any]:
    """One decoded JSON Lines line as a JSON object, or an InputError starting with ``where`` (file and line)."""
    decoder = _STRICT_DECODER if strict else _DECODER
    try:
        record, end = decoder.raw_decode(text, 0 if text[:1] == "{" else len(text) - len(text.lstrip()))
        if end != len(text) and text[end:].strip():
            raise json.JSONDecodeError("Extra data", text, end)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not valid JSON ({error})") from None
    except (_NotJson, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise InputError(f"{where}: not valid JSON ({reason})") from None
    if not isinstance(record, dict):
        raise InputError(
            f"{where}: expected a JSON object, got {type(record).__name__} {_excerpt(record)} "
            "(one {\"source\": ...} object per line)"
        )
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(record, where)
    return record


# A \uD800-\uDFFF escape: half of a pair (fine), or alone, which JSON parses but UTF-8 cannot encode.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _refuse_lone_surrogates(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, member in value.items():
            _refuse_lone_surrogates(key, where)
            _refuse_lone_surrogates(member, where)
    elif isinstance(value, list):
        for member in value:
            _refuse_lone_surrogates(member, where)
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InputError(
                f"{where}: a string holds the lone surrogate escape \\u{ord(value[error.start]):04x} (after "
                f"{_excerpt(value[:error.start])}), which is no character and cannot be written as UTF-8; write the "
                "character itself, or its full surrogate pair"
            ) from None


def _excerpt(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_records(storage: Storage, uri: str) -> Iterator[dict[str, Any]]:
    """Each record of a manifest, in order. Blank lines are skipped, as Ground Truth does."""
    for _, record in read_numbered_records(storage, uri):
        yield record


def read_numbered_records(storage: Storage, uri: str, *, strict: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, record) for each non-blank line of a manifest (``strict``: see :func:`parse_line`)."""
    with storage.open_read(uri) as stream:
        for number, line in enumerate(iter_lines(stream), start=1):
            if line.strip():
                yield number, parse_line(line, uri=uri, number=number, strict=strict)


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
