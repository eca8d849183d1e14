"""Step: merge a labeled batch into the working manifest.

``kind`` is ``human`` (a labeling job's output manifest: only ids of that batch, in any order,
merged by id) or ``model`` (the round's auto-labels: each record's id, position in the working manifest the round
read, class and confidence; merged by position, with Ground Truth metadata for the round). A human label is never replaced,
and a calibration record never takes a model label. A human merge flags the batch's calibration records
(``byoal-calibration``: the round that drew them, from the job folder's ``calibration.manifest``) once they have a label.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

from byoal import layout, manifest, round_stats
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import Storage, storage_from_environment
from byoal.working import MergeStats, merge_labels_by_id, merge_labels_by_position


def _label_of(record: dict[str, Any], *, config: dict[str, Any], where: str) -> tuple[int, dict[str, Any]]:
    attribute = config["LabelAttributeName"]
    label = rec.check_label(record[attribute], label_attribute=attribute, num_classes=len(config["Labels"]), where=where)
    metadata = record.get(rec.metadata_field(attribute))
    if not isinstance(metadata, dict):
        raise InputError(f"{where}: '{rec.metadata_field(attribute)}' must be a JSON object")
    return label, metadata


def human_labels(storage: Storage, *, config: dict[str, Any], batch: dict[str, Any], output_manifest: str) -> dict[int, tuple[int, dict[str, Any]]]:
    """The labels of a finished labeling job, checked against the batch that was sent."""
    sent = {rec.record_id(record) for record in manifest.read_records(storage, batch["input_manifest"])}
    labels: dict[int, tuple[int, dict[str, Any]]] = {}
    for line, record in manifest.read_numbered_records(storage, output_manifest):
        where = f"{output_manifest} line {line}"
        identity = record.get(rec.ID_FIELD)
        if identity not in sent:
            raise InputError(f"{where}: record id {identity!r} was not in the batch sent for labeling")
        if identity in labels:
            raise InputError(f"{where}: record id {identity} is labeled twice")
        if config["LabelAttributeName"] in record:
            labels[identity] = _label_of(record, config=config, where=where)
    return labels


def model_labels(storage: Storage, *, config: dict[str, Any], autolabels: dict[str, Any]) -> Iterator[tuple[int, int, int, dict[str, Any], bytes]]:
    """(position, id, class, Ground Truth metadata, the two encoded) for each auto-label, in file order."""
    attribute, labels, uri = config["LabelAttributeName"], config["Labels"], autolabels["manifest"]
    # A round's labels differ only in class and confidence (4 decimals): encode each pair once.
    encoded: dict[tuple[int, float], tuple[dict[str, Any], bytes]] = {}
    for line, record in manifest.read_numbered_records(storage, uri):
        where = f"{uri} line {line}"
        position, confidence = record.get(rec.POSITION_FIELD), record.get("confidence")
        if not isinstance(position, int) or not isinstance(confidence, (int, float)):
            raise InputError(f"{where}: an auto-label needs '{rec.POSITION_FIELD}' and 'confidence'")
        label = rec.check_label(record.get(attribute), label_attribute=attribute, num_classes=len(labels), where=where)
        if (label, confidence) not in encoded:
            metadata = rec.label_metadata(
                class_name=labels[label], confidence=confidence, human=False,
                job_name=autolabels["job_name"], creation_date=autolabels["creation_date"],
            )
            encoded[label, confidence] = metadata, manifest.encode_members({attribute: label, rec.metadata_field(attribute): metadata})
        yield (position, rec.record_id(record), label, *encoded[label, confidence])


def calibration_draws(storage: Storage, batch: dict[str, Any]) -> dict[int, int]:
    """Id -> drawing round of the batch's calibration records."""
    if not batch.get("calibration_manifest"):
        return {}
    return {
        rec.record_id(record): rec.calibration_round(record)
        for record in manifest.read_records(storage, batch["calibration_manifest"])
    }


def flag_calibration(
    entries: Iterator[tuple[bytes, dict[str, Any]]], draws: dict[int, int], labeled: Container[int]
) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """The working manifest's entries with the calibration flag on the drawn records that got a label."""
    for line, record in entries:
        identity = rec.record_id(record)
        if identity in draws and identity in labeled and not rec.is_calibration(record):
            record = {**record, rec.CALIBRATION_FIELD: draws[identity]}
            line = manifest.dumps(record)
        yield line, record


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root = event["config"], event["run"]["root"]
    attribute = config["LabelAttributeName"]
    working = event["working"]["manifest"]
    stats = MergeStats()
    if event["kind"] == "human":
        batch = event["human_batch"]
        round_number = batch["round"]
        labels = human_labels(storage, config=config, batch=batch, output_manifest=event["human_labels"]["output_manifest"])
        draws = calibration_draws(storage, batch)
        entries = flag_calibration(manifest.read_lines_and_records(storage, working), draws, labels)
        lines = merge_labels_by_id(entries, labels, label_attribute=attribute, stats=stats)
        target = layout.round_file(root, round_number, "working-human.manifest")
    elif event["kind"] == "model":
        round_number = event["autolabels"]["round"]
        labels = model_labels(storage, config=config, autolabels=event["autolabels"])
        lines = merge_labels_by_position(
            manifest.read_lines(storage, working), labels, uri=working, label_attribute=attribute, stats=stats
        )
        target = layout.round_file(root, round_number, "working-model.manifest")
    else:
        raise InputError(f"merge kind must be 'human' or 'model', got {event['kind']!r}")
    manifest.write_lines(storage, target, lines)
    if event["kind"] == "human":
        round_stats.write_stats(
            storage, root, round_number, round_stats.HUMAN_LABELS,
            {
                "sent_to_humans": batch["count"], "human_labeled": stats.merged, "job_name": batch["job_name"],
                "calibration_labeled": sum(1 for identity in draws if identity in labels),
            },
        )
    return {"manifest": target, "merged": stats.merged, "kept_human": stats.kept_human}
