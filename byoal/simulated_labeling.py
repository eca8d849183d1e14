"""Simulated human labeling: label a batch from an answer key, optionally with annotator mistakes.

The answer key is a fully labeled copy of the dataset, in input order. A record is matched by its
``byoal-id`` when the key carries one, else by its position (the id the workflow assigned), and
its text must agree. With an error rate e, each label is replaced, with probability e, by another
class chosen uniformly at random (seeded, so a re-run labels identically).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from byoal import records as rec
from byoal.errors import InputError


def simulate_labels(
    batch: list[dict[str, Any]],
    answer_key: Iterable[tuple[int, dict[str, Any]]],
    *,
    answer_key_uri: str,
    label_attribute: str,
    labels: list[str],
    error_rate: float,
    seed: str,
    job_name: str,
    labeled_at: str,
) -> list[dict[str, Any]]:
    """The batch's records, in batch order, each with a label and human-label metadata (job ``job_name``,
    created ``labeled_at``, ISO 8601).

    ``batch``: ``{"source", "byoal-id"}`` records; ``answer_key``: (line number, record) of the key at
    ``answer_key_uri``; ``labels``: the class names; ``error_rate`` in [0, 1]. InputError, naming the
    key's line, when a matched answer's ``source`` differs from the record's or it has no valid label,
    and naming the ids when the key has no answer for some records of the batch.
    """
    wanted = {rec.record_id(record): record for record in batch}
    answers: dict[int, int] = {}
    for position, (line, answer) in enumerate(answer_key):
        identity = answer.get(rec.ID_FIELD, position)
        if identity not in wanted:
            continue
        where = f"answer key {answer_key_uri} line {line}"
        if answer.get(rec.SOURCE_FIELD) != wanted[identity][rec.SOURCE_FIELD]:
            raise InputError(
                f"{where}: its 'source' differs from record {identity}'s; is it the same dataset, in input order?"
            )
        if label_attribute not in answer:
            raise InputError(f"{where}: no label '{label_attribute}'")
        answers[identity] = rec.check_label(
            answer[label_attribute], label_attribute=label_attribute, num_classes=len(labels), where=where
        )
    missing = sorted(set(wanted) - set(answers))
    if missing:
        raise InputError(f"answer key {answer_key_uri} has no answer for record ids {missing[:10]}")
    rng = random.Random(seed)
    labeled = []
    for record in batch:
        label = answers[rec.record_id(record)]
        if rng.random() < error_rate:
            label = rng.choice([other for other in range(len(labels)) if other != label])
        metadata = rec.label_metadata(
            class_name=labels[label], confidence=1.0, human=True, job_name=job_name, creation_date=labeled_at
        )
        labeled.append(rec.with_label(record, label_attribute=label_attribute, label=label, metadata=metadata))
    return labeled
