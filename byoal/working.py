"""Streaming transformations of the working manifest: ids, label merges, the final export.

Each function reads records in input order and yields them in the same order, so the working
manifest, and the final one, keep every input record exactly once and in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from byoal import records as rec
from byoal.errors import InputError
from byoal.manifest import append_members, dumps, encode_members, parse_line


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
    """What a label merge did, in records: ``merged`` labels applied, ``kept_human`` human labels left as they were."""

    def __init__(self) -> None:
        self.merged = 0
        self.kept_human = 0


def _labeled_line(
    line: bytes,
    record: dict[str, Any],
    label: int,
    metadata: dict[str, Any],
    *,
    label_attribute: str,
    stats: MergeStats,
    members: bytes | None = None,
) -> bytes:
    """The record's line with the label applied.

    A human label is never replaced; a calibration record never gets a model label.
    """
    if rec.is_human_labeled(record, label_attribute):
        stats.kept_human += 1
        return line
    if metadata.get("human-annotated") != "yes" and rec.is_calibration(record):
        raise InputError(f"record {rec.record_id(record)} is a calibration record and cannot take a model label")
    stats.merged += 1
    if rec.has_label_fields(record, label_attribute):
        return dumps(rec.with_label(record, label_attribute=label_attribute, label=label, metadata=metadata))
    return append_members(
        line, members or encode_members({label_attribute: label, rec.metadata_field(label_attribute): metadata})
    )


def merge_labels_by_id(
    entries: Iterable[tuple[bytes, dict[str, Any]]],
    labels: Mapping[int, tuple[int, dict[str, Any]]],
    *,
    label_attribute: str,
    stats: MergeStats,
) -> Iterator[bytes]:
    """Apply labels looked up by record id (a labeling job's output: small, in any order)."""
    for line, record in entries:
        found = labels.get(rec.record_id(record))
        if found is None:
            yield line
        else:
            yield _labeled_line(line, record, *found, label_attribute=label_attribute, stats=stats)


def merge_labels_by_position(
    lines: Iterable[bytes],
    labels: Iterable[tuple[int, int, int, dict[str, Any], bytes]],
    *,
    uri: str,
    label_attribute: str,
    stats: MergeStats,
) -> Iterator[bytes]:
    """Apply (position, id, label, metadata, encoded members) labels, positions ascending, to their manifest.

    Lines that get no label pass through unread, so memory and time stay small however large the
    manifest. The id at each labeled position must match, which catches labels made for another manifest.
    """
    pending = iter(labels)
    upcoming = next(pending, None)
    for position, line in enumerate(lines):
        if upcoming is None or upcoming[0] != position:
            yield line
            continue
        _, identity, label, metadata, members = upcoming
        record = parse_line(line, uri=uri, number=position + 1)
        if record.get(rec.ID_FIELD) != identity:
            raise InputError(
                f"{uri} record {position + 1} has id {record.get(rec.ID_FIELD)!r}, not {identity}: "
                "the labels were made for another manifest"
            )
        yield _labeled_line(
            line, record, label, metadata, label_attribute=label_attribute, stats=stats, members=members
        )
        upcoming = next(pending, None)
        if upcoming is not None and upcoming[0] <= position:
            raise InputError(f"labels must come in manifest order; position {upcoming[0]} follows {position}")
    if upcoming is not None:
        raise InputError(f"a label for position {upcoming[0]} (id {upcoming[1]}) is beyond the end of {uri}")


def export_lines(entries: Iterable[tuple[bytes, dict[str, Any]]]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Entries as the final manifest holds them: the workflow's internal fields removed, the id kept."""
    for line, record in entries:
        if any(field in record for field in rec.INTERNAL_FIELDS):
            record = {key: value for key, value in record.items() if key not in rec.INTERNAL_FIELDS}
            line = dumps(record)
        yield line, record
