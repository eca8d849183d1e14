"""Workforce ``Simulated``: label a batch from an answer key, optionally with annotator mistakes.

The answer key is a fully labeled copy of the dataset, in input order. A record is matched by its
``byoal-id`` when the key carries one, else by its position (the id the workflow assigned), and
its text must agree. With ``AnnotatorErrorRate`` e, each label is replaced, with probability e, by
another class chosen at random (seeded, so a re-run labels identically). A batch that has its
labels already (answered before the execution stopped) is not labeled again.
"""

from __future__ import annotations

import random
from typing import Any

from byoal import manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import storage_from_environment


def simulate_labels(
    batch: list[dict[str, Any]],
    answer_key: Any,
    *,
    answer_key_uri: str,
    label_attribute: str,
    labels: list[str],
    error_rate: float,
    seed: str,
    job_name: str,
    labeled_at: str,
) -> list[dict[str, Any]]:
    wanted = {rec.record_id(record): record for record in batch}
    answers: dict[int, int] = {}
    for position, (line, answer) in enumerate(answer_key):
        identity = answer.get(rec.ID_FIELD, position)
        if identity not in wanted:
            continue
        where = f"answer key {answer_key_uri} line {line}"
        if answer.get(rec.SOURCE_FIELD) != wanted[identity][rec.SOURCE_FIELD]:
            raise InputError(f"{where}: its 'source' differs from record {identity}'s; is it the same dataset, in input order?")
        if label_attribute not in answer:
            raise InputError(f"{where}: no label '{label_attribute}'")
        answers[identity] = rec.check_label(answer[label_attribute], label_attribute=label_attribute, num_classes=len(labels), where=where)
    missing = sorted(set(wanted) - set(answers))
    if missing:
        raise InputError(f"answer key {answer_key_uri} has no answer for record ids {missing[:10]}")
    rng = random.Random(seed)
    labeled = []
    for record in batch:
        label = answers[rec.record_id(record)]
        if rng.random() < error_rate:
            label = rng.choice([other for other in range(len(labels)) if other != label])
        metadata = rec.label_metadata(class_name=labels[label], confidence=1.0, human=True, job_name=job_name, creation_date=labeled_at)
        labeled.append(rec.with_label(record, label_attribute=label_attribute, label=label, metadata=metadata))
    return labeled


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, batch_job = event["config"], event["human_batch"]
    if storage.exists(batch_job["output_manifest"]):
        return {"output_manifest": batch_job["output_manifest"]}
    batch = list(manifest.read_records(storage, batch_job["input_manifest"]))
    labeled = simulate_labels(
        batch,
        manifest.read_numbered_records(storage, config["AnswerKeyS3Uri"]),
        answer_key_uri=config["AnswerKeyS3Uri"],
        label_attribute=config["LabelAttributeName"],
        labels=config["Labels"],
        error_rate=config["AnnotatorErrorRate"],
        seed=f"{config['Seed']}-{batch_job['job_name']}",
        job_name=batch_job["job_name"],
        labeled_at=rec.normalize_timestamp(event["labeled_at"]),
    )
    manifest.write_records(storage, batch_job["output_manifest"], labeled)
    return {"output_manifest": batch_job["output_manifest"]}
