"""Training channels: every non-hidden file under ``input/data/<channel>/``, read as JSON Lines.

Each line is an object with a ``source`` string and an integer class index under the label
attribute; other fields are ignored. Blank lines are skipped. Errors name the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from byoal_model.records import EMBEDDING_FIELD

SOURCE_FIELD = "source"


class ChannelError(ValueError):
    """A channel is missing, empty or holds a malformed record; the message says where."""


@dataclass(frozen=True)
class Channel:
    """One channel's records, in file then line order: ``texts[i]`` has class index ``labels[i]``."""

    name: str
    texts: list[str]
    labels: list[int]
    embeddings: list[Any] = field(default_factory=list)
    """Each record's ``byoal-embedding`` value or None (byoal_model.embeddings), or empty: none at all."""


def channel_files(directory: Path) -> list[Path]:
    """Files under the directory, recursively and in a stable order, leaving out hidden files and folders."""
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(directory).parts)
    )


def _label(value: Any, *, attribute: str, num_classes: int | None, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChannelError(f"{where}: '{attribute}' is {value!r}; expected an integer class index")
    if value < 0 or (num_classes is not None and value >= num_classes):
        upper = "" if num_classes is None else f" to {num_classes - 1}"
        raise ChannelError(f"{where}: '{attribute}' is {value}; class indexes run from 0{upper}")
    return value


def _records(
    path: Path, channel: str, *, attribute: str, num_classes: int | None
) -> Iterator[tuple[str, int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ChannelError(f"channel '{channel}': {path} is not UTF-8 text ({error})") from None
    # Only "\n" ends a record: str.splitlines() would also split on characters JSON allows inside strings.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"channel '{channel}': {path} line {line_number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ChannelError(f"{where}: not valid JSON ({error})") from None
        if not isinstance(record, dict):
            raise ChannelError(f"{where}: expected a JSON object, got {type(record).__name__}")
        if not isinstance(record.get(SOURCE_FIELD), str):
            raise ChannelError(f"{where}: the record has no '{SOURCE_FIELD}' string")
        if attribute not in record:
            raise ChannelError(f"{where}: the record has no label attribute '{attribute}'")
        label = _label(record[attribute], attribute=attribute, num_classes=num_classes, where=where)
        yield record[SOURCE_FIELD], label, record.get(EMBEDDING_FIELD)


def read_channel(directory: Path, name: str, *, label_attribute: str, num_classes: int | None) -> Channel:
    """All records of one channel; with ``num_classes`` unknown, labels are only checked to be >= 0.

    Raises :class:`ChannelError` when ``directory`` is missing or holds no records, or for a file that is not
    UTF-8 or a line that is not a JSON object with a ``source`` string and an integer class index in range
    under ``label_attribute``; the message names the file and line.
    """
    if not directory.is_dir():
        raise ChannelError(f"channel '{name}' is missing: {directory} is not a directory")
    records = [
        record
        for path in channel_files(directory)
        for record in _records(path, name, attribute=label_attribute, num_classes=num_classes)
    ]
    if not records:
        raise ChannelError(f"channel '{name}' holds no records ({directory})")
    return Channel(
        name=name,
        texts=[text for text, _, _ in records],
        labels=[label for _, label, _ in records],
        embeddings=[embedding for _, _, embedding in records],
    )
