"""One manifest record: its id, its label and the Ground Truth metadata that says who gave the label."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from byoal.errors import InputError

ID_FIELD = "byoal-id"
CALIBRATION_FIELD = "byoal-calibration"
"""On a human-labeled calibration record: the round that drew it (0: the seed batch or the input labels).

The record was a uniform random sample of the pool the next round auto-labels from; no model trains on it."""
POSITION_FIELD = "byoal-position"
"""In an auto-labels manifest: the record's line index in the working manifest the labels are for."""
SOURCE_FIELD = "source"
EMBEDDING_FIELD = "byoal-embedding"
"""A record's precomputed sentence embedding for the bundled container (container/README.md)."""
LABEL_TYPE = "groundtruth/text-classification"

# Fields the workflow adds while it runs and removes from the final manifest.
INTERNAL_FIELDS = (CALIBRATION_FIELD,)


def embedding_fields(record: dict[str, Any], algorithm: str) -> dict[str, Any]:
    """``{"byoal-embedding": ...}`` if the record carries one and the model follows the ``bundled`` contract.

    Channel and transform-input records pass it on, so that the container need not encode the text again.
    """
    if algorithm != "bundled" or EMBEDDING_FIELD not in record:
        return {}
    return {EMBEDDING_FIELD: record[EMBEDDING_FIELD]}


def metadata_field(label_attribute: str) -> str:
    """The name of the label's metadata field: ``<label_attribute>-metadata``, as Ground Truth names it."""
    return f"{label_attribute}-metadata"


def iso_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds, as Ground Truth writes ``creation-date``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def normalize_timestamp(value: str) -> str:
    """A Step Functions timestamp (``2026-11-27T21:30:59.123Z``) in the ``creation-date`` format."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InputError(f"not an ISO 8601 timestamp: {value!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
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
    """Whether the record carries a label (human or model)."""
    return label_attribute in record


def is_human_labeled(record: dict[str, Any], label_attribute: str) -> bool:
    """Labeled, and the metadata does not say a model gave the label (input labels count as human)."""
    if label_attribute not in record:
        return False
    metadata = record.get(metadata_field(label_attribute))
    return not (isinstance(metadata, dict) and metadata.get("human-annotated") == "no")


def is_calibration(record: dict[str, Any]) -> bool:
    """Whether the record was drawn as a calibration record (it carries ``CALIBRATION_FIELD``)."""
    return CALIBRATION_FIELD in record


def calibration_round(record: dict[str, Any]) -> int:
    """The round that drew a calibration record (see ``CALIBRATION_FIELD``)."""
    return record[CALIBRATION_FIELD]


def record_id(record: dict[str, Any]) -> int:
    """The record's ``byoal-id`` (its 0-based position in the input manifest); KeyError if it has none."""
    return record[ID_FIELD]


SOURCE_REF_FIELD = "source-ref"
RESERVED_INPUT_FIELDS = (CALIBRATION_FIELD, POSITION_FIELD)
"""Fields the workflow sets while it runs; an input record carrying one would change what the run does."""
GROUND_TRUTH_MAX_SOURCE_CHARACTERS = 20_000
"""Ground Truth refuses a manifest attribute longer than this (sms-input-data-input-manifest)."""


def _describe(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_record(
    record: dict[str, Any],
    *,
    label_attribute: str,
    num_classes: int,
    where: str,
    label_names: list[str] | None = None,
    max_source_characters: int | None = None,
) -> None:
    """Raise InputError, naming ``where``, the field, its value and what is expected, if a record breaks the contract.

    Tolerated: ``<label>-metadata`` without the label (a failed object of a chained Ground Truth job);
    labeling the record replaces it.
    """
    source = record.get(SOURCE_FIELD)
    if source is None:
        if SOURCE_REF_FIELD in record:
            raise InputError(
                f"{where}: the record has 'source-ref' ({_describe(record[SOURCE_REF_FIELD])}), a reference to an S3 "
                "object; this workflow reads the text itself from 'source': put the text in 'source'"
            )
        present = "" if SOURCE_FIELD in record else f" (its fields: {_describe(sorted(record))})"
        problem = "'source' is null" if SOURCE_FIELD in record else "record has no 'source' field"
        raise InputError(f"{where}: {problem}; expected the text to label as a string{present}")
    if not isinstance(source, str):
        raise InputError(
            f"{where}: 'source' must be a string (the text to label), got {type(source).__name__} {_describe(source)}"
        )
    if not source.strip():
        raise InputError(
            f"{where}: 'source' is {_describe(source)}: there is nothing to label; remove the line or give it text"
        )
    if max_source_characters is not None and len(source) > max_source_characters:
        raise InputError(
            f"{where}: 'source' holds {len(source)} characters; Ground Truth accepts at most {max_source_characters}"
        )
    for field in RESERVED_INPUT_FIELDS:
        if field in record:
            raise InputError(f"{where}: field '{field}' is the workflow's own; remove it from the input")
    if label_attribute in record:
        check_label(
            record[label_attribute],
            label_attribute=label_attribute,
            num_classes=num_classes,
            where=where,
            label_names=label_names,
        )
        metadata = record.get(metadata_field(label_attribute))
        if metadata is not None and not isinstance(metadata, dict):
            raise InputError(
                f"{where}: field '{metadata_field(label_attribute)}' must be a JSON object, got {_describe(metadata)}"
            )
    if ID_FIELD in record and (not isinstance(record[ID_FIELD], int) or isinstance(record[ID_FIELD], bool)):
        raise InputError(f"{where}: field '{ID_FIELD}' must be an integer, got {_describe(record[ID_FIELD])}")


def check_label(
    value: Any, *, label_attribute: str, num_classes: int, where: str, label_names: list[str] | None = None
) -> int:
    """The class index ``value``; InputError naming ``where``, the value and the valid range otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        hint = ""
        if isinstance(value, float) and value.is_integer():
            hint = f"; write {int(value)}, not {value!r}"
        elif isinstance(value, str) and label_names is not None and value in label_names:
            hint = f"; the label is the class index: {value!r} is {label_names.index(value)}"
        raise InputError(
            f"{where}: label '{label_attribute}' must be an integer class index (0..{num_classes - 1}), "
            f"got {_describe(value)}{hint}"
        )
    if not 0 <= value < num_classes:
        raise InputError(
            f"{where}: label '{label_attribute}' = {value} is outside the label file's {num_classes} classes "
            f"(valid: 0..{num_classes - 1})"
        )
    return value


def has_label_fields(record: dict[str, Any], label_attribute: str) -> bool:
    """The record holds the label or its metadata (possibly the metadata alone), so labeling must replace them."""
    return label_attribute in record or metadata_field(label_attribute) in record


def with_label(record: dict[str, Any], *, label_attribute: str, label: int, metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of the record carrying the label and its metadata; every other field is kept as is."""
    labeled = dict(record)
    labeled[label_attribute] = label
    labeled[metadata_field(label_attribute)] = metadata
    return labeled
