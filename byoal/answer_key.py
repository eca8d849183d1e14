"""Checking an answer key (the Simulated workforce's fully labeled copy of the input) before a run starts.

The Simulated workforce matches an input record to its answer by ``byoal-id`` when the key carries
ids, else by position, and requires the same text (``lambdas/simulated_workforce.py``). This check
applies the same rule to every record up front, so a key that is shorter, out of line, or holds an
unknown class fails the run at its first step, naming the line, before anything is written —
rather than when a batch first needs a missing answer, or at the end.
"""

from __future__ import annotations

from typing import Any

from byoal import manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import Storage

ANSWER_KEY_FIELD = "ActiveLearningConfig.AnswerKeyS3Uri"


def check_answer_key(
    storage: Storage, answer_key_uri: str, input_uri: str, *, label_attribute: str, num_classes: int, required: bool
) -> int:
    """Check that the key answers every input record once, with its text and a known class.

    Records are matched as the Simulated workforce matches them: by ``byoal-id`` when the record or
    answer carries one, else by position (0-based line among the records). Returns the number of
    answers (0 for an absent key that is not ``required``: it only serves to measure the result).
    Raises InputError naming the request field for a ``required`` key that is absent, and naming the
    key's or the input's line for: an answer without a label or with a label outside
    ``0..num_classes-1``, two answers for one record, an input record with no answer or with other
    text than its answer, and answers for records not in the input.
    """
    if not storage.exists(answer_key_uri):
        if required:
            raise InputError(f"'{ANSWER_KEY_FIELD}': object not found: {answer_key_uri}")
        return 0
    answers: dict[Any, tuple[int, Any]] = {}
    for position, (line, answer) in enumerate(manifest.read_numbered_records(storage, answer_key_uri)):
        where = f"answer key {answer_key_uri} line {line}"
        identity = answer.get(rec.ID_FIELD, position)
        if identity in answers:
            raise InputError(
                f"{where}: a second answer for record id {identity} (first on line {answers[identity][0]})"
            )
        if label_attribute not in answer:
            raise InputError(f"{where}: no label '{label_attribute}'; an answer key labels every record")
        rec.check_label(answer[label_attribute], label_attribute=label_attribute, num_classes=num_classes, where=where)
        answers[identity] = (line, answer.get(rec.SOURCE_FIELD))
    matched = 0
    for position, (line, record) in enumerate(manifest.read_numbered_records(storage, input_uri)):
        identity = record.get(rec.ID_FIELD, position)
        found = answers.get(identity)
        if found is None:
            raise InputError(
                f"answer key {answer_key_uri} has no answer for {input_uri} line {line} (record id {identity}); "
                f"it holds {len(answers)} answers: is it the whole dataset, in input order?"
            )
        if found[1] != record.get(rec.SOURCE_FIELD):
            raise InputError(
                f"answer key {answer_key_uri} line {found[0]}: its 'source' differs from {input_uri} line {line} "
                f"(record id {identity}); is it the same dataset, in input order?"
            )
        matched += 1
    if matched != len(answers):
        raise InputError(f"answer key {answer_key_uri} holds {len(answers)} answers for the input's {matched} records")
    return matched
