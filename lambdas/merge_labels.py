"""Step: merge a labeled batch into the working manifest, by record id.

``kind`` is ``human`` (a labeling job's output manifest, in any order, only ids of that batch) or
``model`` (the round's auto-labels, written in working-manifest order). A human label is never
replaced, and a validation record never takes a model label.
"""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest, round_stats
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import Storage, storage_from_environment
from byoal.working import MergeStats, OrderedLabels, merge_labels


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


def model_labels(storage: Storage, *, config: dict[str, Any], uri: str):
    for line, record in manifest.read_numbered_records(storage, uri):
        label, metadata = _label_of(record, config=config, where=f"{uri} line {line}")
        yield rec.record_id(record), label, metadata


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root = event["config"], event["run"]["root"]
    stats = MergeStats()
    if event["kind"] == "human":
        batch = event["human_batch"]
        round_number = batch["round"]
        labels = human_labels(storage, config=config, batch=batch, output_manifest=event["human_labels"]["output_manifest"])
        lookup, ordered = labels.get, None
        target = layout.round_file(root, round_number, "working-human.manifest")
    elif event["kind"] == "model":
        autolabels = event["autolabels"]
        round_number = autolabels["round"]
        ordered = OrderedLabels(model_labels(storage, config=config, uri=autolabels["manifest"]))
        lookup = ordered
        target = layout.round_file(root, round_number, "working-model.manifest")
    else:
        raise InputError(f"merge kind must be 'human' or 'model', got {event['kind']!r}")

    def merged():
        yield from merge_labels(
            manifest.read_lines_and_records(storage, event["working"]["manifest"]),
            lookup,
            label_attribute=config["LabelAttributeName"],
            stats=stats,
        )
        if ordered is not None:
            ordered.check_exhausted()

    manifest.write_lines(storage, target, merged())
    if event["kind"] == "human":
        round_stats.write_stats(
            storage, root, round_number, round_stats.HUMAN_LABELS,
            {"sent_to_humans": batch["count"], "human_labeled": stats.merged, "job_name": batch["job_name"]},
        )
    return {"manifest": target, "merged": stats.merged, "kept_human": stats.kept_human}
