"""Inference records in and predictions out, as JSON Lines; no TensorFlow, so the server imports it cheaply.

An input line is a JSON object with a ``source`` string (other keys ignored) or a bare JSON string.
Only ``\\n`` separates lines (a ``\\r`` before it is dropped). One trailing newline ends the body and
is not a record; any other blank line is a malformed record, since every input line must get its
own output line.
"""

from __future__ import annotations

import json
from typing import Any

SOURCE_FIELD = "source"
EMBEDDING_FIELD = "byoal-embedding"
"""An optional precomputed sentence embedding (byoal_model.embeddings); other keys are ignored."""


class BadRecordError(ValueError):
    """A malformed inference record; ``line_number`` is 1-based."""

    def __init__(self, line_number: int, reason: str):
        super().__init__(f"line {line_number}: {reason}")
        self.line_number = line_number


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        line_number = body[: error.start].count(b"\n") + 1
        raise BadRecordError(line_number, "not UTF-8 text") from None


def record_text(record: Any, line_number: int = 1) -> str:
    """The text of one parsed record: a string, or an object's ``source`` string.

    Raises :class:`BadRecordError` (at ``line_number``) for anything else.
    """
    if isinstance(record, str):
        return record
    if isinstance(record, dict) and isinstance(record.get(SOURCE_FIELD), str):
        return record[SOURCE_FIELD]
    raise BadRecordError(line_number, f"expected a JSON object with a '{SOURCE_FIELD}' string, or a JSON string")


def record_embedding(record: Any) -> Any:
    """The record's ``byoal-embedding`` value, or None."""
    return record.get(EMBEDDING_FIELD) if isinstance(record, dict) else None


def parse_json_record(body: bytes | str) -> str:
    """The text of a body holding exactly one JSON record; raises :class:`BadRecordError` if it is not one."""
    return parse_json_record_with_embedding(body)[0]


def parse_json_record_with_embedding(body: bytes | str) -> tuple[str, Any]:
    """(text, ``byoal-embedding`` value or None) of a body holding exactly one JSON record."""
    try:
        record = json.loads(_decode(body))
    except json.JSONDecodeError as error:
        raise BadRecordError(error.lineno, f"not valid JSON ({error.msg})") from None
    return record_text(record), record_embedding(record)


def parse_jsonlines(body: bytes | str) -> list[str]:
    """The text of every line, in order; raises :class:`BadRecordError` naming the first bad line."""
    return parse_jsonlines_with_embeddings(body)[0]


def parse_jsonlines_with_embeddings(body: bytes | str) -> tuple[list[str], list[Any]]:
    """The text of every line, in order, and each line's ``byoal-embedding`` value (or None)."""
    lines = _decode(body).split("\n")
    if lines[-1] == "":
        lines.pop()
    texts, embeddings = [], []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            raise BadRecordError(line_number, "blank line")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadRecordError(line_number, f"not valid JSON ({error.msg})") from None
        texts.append(record_text(record, line_number))
        embeddings.append(record_embedding(record))
    return texts, embeddings


def encode_json(prediction: dict[str, Any]) -> str:
    """One prediction as compact JSON, without a newline."""
    return json.dumps(prediction, separators=(",", ":"))


def encode_jsonlines(predictions: list[dict[str, Any]]) -> bytes:
    """Predictions as UTF-8 JSON Lines, one line per prediction in order, each ending in ``\\n``."""
    return "".join(encode_json(prediction) + "\n" for prediction in predictions).encode("utf-8")
