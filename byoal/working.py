"""Streaming transformations of the working manifest: ids, label merges, the final export.

Each function reads records in input order and yields them in the same order, so the working
manifest, and the final one, keep every input record exactly once and in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from byoal import records as rec
from byoal.errors import InputError
from byoal.manifest import append_fields, dumps

LabelLookup = Callable[[int], "tuple[int, dict[str, Any]] | None"]


def assign_ids(numbered_records: Iterable[tuple[int, dict[str, Any]]], *, uri: str) -> Iterator[dict[str, Any]]:
    """Give each record its position as id, unless it already carries one; ids must be unique."""
    seen: set[int] = set()
    for position, (line, record) in enumerate(numbered_records):
        identity = record.get(rec.ID_FIELD, position)
        if identity in seen:
            raise InputError(f"{uri} line {line}: duplicate record id {rec.ID_FIELD}={identity}")
        seen.add(identity)
        if rec.ID_FIELD not in record:
            record = {**record, rec.ID_FIELD: identity}
        yield record


class MergeStats:
    def __init__(self) -> None:
        self.merged = 0
        self.kept_human = 0


def merge_labels(
    entries: Iterable[tuple[bytes, dict[str, Any]]], lookup: LabelLookup, *, label_attribute: str, stats: MergeStats
) -> Iterator[bytes]:
    """Apply labels by record id, yielding manifest lines; a record that gets no label keeps its line as is.

    A human label is never replaced; a validation record never gets a model label.
    """
    for line, record in entries:
        found = lookup(rec.record_id(record))
        if found is None:
            yield line
            continue
        label, metadata = found
        human = metadata.get("human-annotated") == "yes"
        if rec.is_human_labeled(record, label_attribute):
            stats.kept_human += 1
            yield line
        elif not human and rec.is_validation(record):
            raise InputError(f"record {rec.record_id(record)} is a validation record and cannot take a model label")
        else:
            stats.merged += 1
            if rec.is_labeled(record, label_attribute):
                yield dumps(rec.with_label(record, label_attribute=label_attribute, label=label, metadata=metadata))
            else:
                yield append_fields(line, {label_attribute: label, rec.metadata_field(label_attribute): metadata})


class OrderedLabels:
    """Labels from a stream in working-manifest order, looked up while the working manifest streams by.

    Memory stays constant however many labels there are. A label whose record never comes is an error.
    """

    def __init__(self, labels: Iterable[tuple[int, int, dict[str, Any]]]) -> None:
        self._labels = iter(labels)
        self._next = next(self._labels, None)

    def __call__(self, identity: int) -> tuple[int, dict[str, Any]] | None:
        if self._next is None or self._next[0] != identity:
            return None
        _, label, metadata = self._next
        self._next = next(self._labels, None)
        return label, metadata

    def check_exhausted(self) -> None:
        if self._next is not None:
            raise InputError(
                f"label for record id {self._next[0]} does not match the working manifest (unknown id or out of order)"
            )


def export_lines(entries: Iterable[tuple[bytes, dict[str, Any]]]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Entries as the final manifest holds them: the workflow's internal fields removed, the id kept."""
    for line, record in entries:
        if any(field in record for field in rec.INTERNAL_FIELDS):
            record = {key: value for key, value in record.items() if key not in rec.INTERNAL_FIELDS}
            line = dumps(record)
        yield line, record
