"""The one check of a labeled batch, wherever labels come back: a Callback submission or a labeling job's output.

A labeled batch is a JSON Lines manifest; each line names a record of the batch sent for labeling by
its ``byoal-id``, at most once, and carries the label attribute (a class index) or, for a record the
labelers skipped, no label. ``<attribute>-metadata`` is the label's Ground Truth metadata object.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from typing import Any

from byoal import records as rec
from byoal.errors import InputError


def batch_labels(
    labeled: Iterable[tuple[int, dict[str, Any]]],
    batch_ids: Container[int],
    *,
    uri: str,
    job_name: str,
    label_attribute: str,
    num_classes: int,
    metadata_required: bool,
) -> dict[int, tuple[int, dict[str, Any] | None]]:
    """Record id -> (class index, metadata or None) for every labeled line of ``labeled``, in file order.

    ``labeled`` yields (line number, record) of the file at ``uri``; ``batch_ids`` holds the ids sent
    in job ``job_name``. InputError, naming the file and line, for an id that is not the batch's, an
    id labeled twice, a class outside ``0..num_classes-1``, metadata that is not a JSON object, or
    (with ``metadata_required``, as Ground Truth's output always has it) a label without metadata.
    """
    labels: dict[int, tuple[int, dict[str, Any] | None]] = {}
    field = rec.metadata_field(label_attribute)
    for line, record in labeled:
        where = f"{uri} line {line}"
        identity = record.get(rec.ID_FIELD)
        if identity not in batch_ids:
            raise InputError(f"{where}: '{rec.ID_FIELD}' {identity!r} is not a record of batch {job_name}")
        if identity in labels:
            raise InputError(f"{where}: record id {identity} is labeled twice")
        if label_attribute not in record:
            continue
        label = rec.check_label(record[label_attribute], label_attribute=label_attribute, num_classes=num_classes,
                                where=where)
        metadata = record.get(field)
        if (metadata is not None or metadata_required) and not isinstance(metadata, dict):
            raise InputError(f"{where}: '{field}' must be a JSON object")
        labels[identity] = label, metadata
    return labels


def labeled_records(
    batch: list[dict[str, Any]],
    labeled: Iterable[tuple[int, dict[str, Any]]],
    *,
    uri: str,
    job_name: str,
    label_attribute: str,
    labels: list[str],
    labeled_at: str,
) -> list[dict[str, Any]]:
    """The batch's records that got a label, in batch order, each with its label and metadata.

    ``batch`` is the batch sent (``{"source", "byoal-id"}`` records); ``labels`` the class names. A
    line without metadata (or with an empty object) gets human-label metadata in the Ground Truth
    format, job ``job_name``, created ``labeled_at`` (ISO 8601). Errors as :func:`batch_labels`.
    """
    by_id = {rec.record_id(record): record for record in batch}
    checked = batch_labels(labeled, by_id, uri=uri, job_name=job_name, label_attribute=label_attribute,
                           num_classes=len(labels), metadata_required=False)
    result = []
    for identity, record in by_id.items():
        if identity in checked:
            label, metadata = checked[identity]
            metadata = metadata or rec.label_metadata(
                class_name=labels[label], confidence=1.0, human=True, job_name=job_name, creation_date=labeled_at
            )
            result.append(rec.with_label(record, label_attribute=label_attribute, label=label, metadata=metadata))
    return result
