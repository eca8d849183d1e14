"""Step: merge a labeled batch into the working manifest.

``kind`` is ``human`` (a labeling job's output manifest: only ids of that batch, in any order,
merged by id; checked by byoal.labeled_batch) or ``model`` (the round's auto-labels: each record's
id, position in the working manifest the round read, class and confidence; merged by position, with
Ground Truth metadata for the round). A human label is never replaced, and a calibration record
never takes a model label. A human merge flags the batch's calibration records (``byoal-calibration``:
the round that drew them, from the job folder's ``layout.labeling_job_calibration``) once they have a label.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

from byoal import layout, manifest, round_stats
from byoal import records as rec
from byoal.errors import InputError
from byoal.labeled_batch import batch_labels
from byoal.step_contracts import AutoLabels, HumanBatch, MergeLabelsEvent, MergeLabelsResult, require
from byoal.storage import Storage, storage_from_environment
from byoal.working import MergeStats, merge_labels_by_id, merge_labels_by_position


def human_labels(
    storage: Storage, *, config: dict[str, Any], batch: HumanBatch, output_manifest: str
) -> dict[int, tuple[int, dict[str, Any]]]:
    """Id -> (class, Ground Truth metadata) of a finished labeling job's output, checked against the batch sent.

    InputError naming the output's line for an id not sent, an id labeled twice, a bad class, or missing metadata.
    """
    sent = {rec.record_id(record) for record in manifest.read_records(storage, batch.input_manifest)}
    return batch_labels(  # type: ignore[return-value]  # with metadata_required, never None
        manifest.read_numbered_records(storage, output_manifest), sent, uri=output_manifest, job_name=batch.job_name,
        label_attribute=config["LabelAttributeName"], num_classes=len(config["Labels"]), metadata_required=True,
    )


def model_labels(
    storage: Storage, *, config: dict[str, Any], autolabels: AutoLabels
) -> Iterator[tuple[int, int, int, dict[str, Any], bytes]]:
    """(position, id, class, Ground Truth metadata, the two encoded) for each auto-label, in file order.

    InputError naming the line for an auto-label without an integer position and a confidence, or with a bad class.
    """
    attribute, labels, uri = config["LabelAttributeName"], config["Labels"], autolabels.manifest
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
                job_name=autolabels.job_name, creation_date=autolabels.creation_date,
            )
            encoded[label, confidence] = metadata, manifest.encode_members(
                {attribute: label, rec.metadata_field(attribute): metadata}
            )
        yield (position, rec.record_id(record), label, *encoded[label, confidence])


def calibration_draws(storage: Storage, batch: HumanBatch) -> dict[int, int]:
    """Id -> drawing round of the batch's calibration records."""
    if not batch.calibration_manifest:
        return {}
    return {
        rec.record_id(record): rec.calibration_round(record)
        for record in manifest.read_records(storage, batch.calibration_manifest)
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
    """MergeLabelsEvent -> MergeLabelsResult (the new working manifest); InputError for labels that do not fit."""
    parsed = MergeLabelsEvent.from_event(event)
    storage = storage_from_environment()
    config, root = parsed.config, parsed.run.root
    attribute = config["LabelAttributeName"]
    working = parsed.working.manifest
    stats = MergeStats()
    if parsed.kind == "human":
        batch = require(parsed.human_batch, step=parsed.step, key="human_batch")
        answer = require(parsed.human_labels, step=parsed.step, key="human_labels")
        round_number = batch.round
        labels = human_labels(storage, config=config, batch=batch, output_manifest=answer.output_manifest)
        draws = calibration_draws(storage, batch)
        entries = flag_calibration(manifest.read_lines_and_records(storage, working), draws, labels)
        lines = merge_labels_by_id(entries, labels, label_attribute=attribute, stats=stats)
        target = layout.working_after_human_labels(root, round_number)
    elif parsed.kind == "model":
        autolabels = require(parsed.autolabels, step=parsed.step, key="autolabels")
        round_number = autolabels.round
        lines = merge_labels_by_position(
            manifest.read_lines(storage, working), model_labels(storage, config=config, autolabels=autolabels),
            uri=working, label_attribute=attribute, stats=stats,
        )
        target = layout.working_after_model_labels(root, round_number)
    else:
        raise InputError(f"merge kind must be 'human' or 'model', got {parsed.kind!r}")
    manifest.write_lines(storage, target, lines)
    if parsed.kind == "human":
        round_stats.write_stats(
            storage, root, round_number, round_stats.HUMAN_LABELS,
            {
                "sent_to_humans": batch.count, "human_labeled": stats.merged, "job_name": batch.job_name,
                "calibration_labeled": sum(1 for identity in draws if identity in labels),
            },
        )
    return MergeLabelsResult(manifest=target, merged=stats.merged, kept_human=stats.kept_human).to_result()
