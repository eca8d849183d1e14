"""One manifest record: its id, its label and the Ground Truth metadata that says who gave the label."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from byoal.errors import InputError

ID_FIELD = "byoal-id"
CALIBRATION_FIELD = "byoal-calibration"
"""On a human-labeled calibration record: the round that drew it (0: the seed batch or the input labels).

The record was a uniform random sample of the pool the next round auto-labels from; no model trains on it."""
POSITION_FIELD = "byoal-position"
"""In an auto-labels manifest: the record's line index in the working manifest the labels are for."""
SOURCE_FIELD = "source"
LABEL_TYPE = "groundtruth/text-classification"

# Fields the workflow adds while it runs and removes from the final manifest.
INTERNAL_FIELDS = (CALIBRATION_FIELD,)


def metadata_field(label_attribute: str) -> str:
    return f"{label_attribute}-metadata"


def iso_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds, as Ground Truth writes ``creation-date``."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def normalize_timestamp(value: str) -> str:
    """A Step Functions timestamp (``2026-11-27T21:30:59.123Z``) in the ``creation-date`` format."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InputError(f"not an ISO 8601 timestamp: {value!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return iso_timestamp(moment)


def label_metadata(
    *, class_name: str, confidence: float, human: bool, job_name: str, creation_date: str
) -> dict[str, Any]:
    """The ``<label>-metadata`` object exactly as Ground Truth writes it for text classification."""
    return {
        "class-name": class_name,
        "confidence": round(float(confidence), 4),
        "human-annotated": "yes" if human else "no",
        "type": LABEL_TYPE,
        "job-name": f"labeling-job/{job_name}",
        "creation-date": creation_date,
    }


def is_labeled(record: dict[str, Any], label_attribute: str) -> bool:
    return label_attribute in record


def is_human_labeled(record: dict[str, Any], label_attribute: str) -> bool:
    """Labeled, and the metadata does not say a model gave the label (input labels count as human)."""
    if label_attribute not in record:
        return False
    metadata = record.get(metadata_field(label_attribute))
    return not (isinstance(metadata, dict) and metadata.get("human-annotated") == "no")


def is_calibration(record: dict[str, Any]) -> bool:
    return CALIBRATION_FIELD in record


def calibration_round(record: dict[str, Any]) -> int:
    """The round that drew a calibration record (see ``CALIBRATION_FIELD``)."""
    return record[CALIBRATION_FIELD]


def record_id(record: dict[str, Any]) -> int:
    return record[ID_FIELD]


def check_record(record: dict[str, Any], *, label_attribute: str, num_classes: int, where: str) -> None:
    """Raise InputError, naming ``where`` and the field, if a record breaks the manifest contract."""
    source = record.get(SOURCE_FIELD)
    if not isinstance(source, str):
        problem = "has no 'source' field" if source is None else "has a 'source' that is not a string"
        raise InputError(f"{where}: record {problem}")
    if label_attribute in record:
        check_label(record[label_attribute], label_attribute=label_attribute, num_classes=num_classes, where=where)
        metadata = record.get(metadata_field(label_attribute))
        if metadata is not None and not isinstance(metadata, dict):
            raise InputError(f"{where}: field '{metadata_field(label_attribute)}' must be a JSON object")
    if ID_FIELD in record and (not isinstance(record[ID_FIELD], int) or isinstance(record[ID_FIELD], bool)):
        raise InputError(f"{where}: field '{ID_FIELD}' must be an integer, got {record[ID_FIELD]!r}")


def check_label(value: Any, *, label_attribute: str, num_classes: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: label '{label_attribute}' must be an integer class index, got {value!r}")
    if not 0 <= value < num_classes:
        raise InputError(
            f"{where}: label '{label_attribute}' = {value} is outside the label file's {num_classes} classes "
            f"(valid: 0..{num_classes - 1})"
        )
    return value


def with_label(record: dict[str, Any], *, label_attribute: str, label: int, metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of the record carrying the label and its metadata; every other field is kept as is."""
    labeled = dict(record)
    labeled[label_attribute] = label
    labeled[metadata_field(label_attribute)] = metadata
    return labeled
