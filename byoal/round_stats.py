"""Per-round statistics, stored as small JSON files in each round's folder and read back as one history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from byoal import layout
from byoal.storage import Storage, read_bytes, write_bytes

ACTIVE_LEARNING = layout.active_learning_stats
HUMAN_LABELS = layout.human_label_stats


def write_stats(
    storage: Storage, root: str, round_number: int, name: Callable[[str, int], str], stats: dict[str, Any]
) -> None:
    """Store ``{"round": round_number, **stats}`` as the round's JSON file ``name`` (:data:`ACTIVE_LEARNING` or
    :data:`HUMAN_LABELS`, the layout function naming it); ``stats`` must be JSON-serializable."""
    body = json.dumps({"round": round_number, **stats}, sort_keys=True, indent=1).encode("utf-8")
    write_bytes(storage, name(root, round_number), body)


def read_history(storage: Storage, root: str) -> list[dict[str, Any]]:
    """One entry per round, in round order, combining what the round's steps recorded."""
    prefix = layout.rounds_prefix(root)
    stored = set(storage.list(prefix))
    numbers = sorted({int(uri[len(prefix):].split("/", 1)[0]) for uri in stored})
    history: dict[int, dict[str, Any]] = {}
    for number in numbers:
        for name in (ACTIVE_LEARNING, HUMAN_LABELS):
            if name(root, number) in stored:
                history.setdefault(number, {}).update(json.loads(read_bytes(storage, name(root, number))))
    return [history[number] for number in sorted(history)]


def auto_labels_by_round(
    final_records: Iterable[dict[str, Any]], answers: Iterable[dict[str, Any]], label_attribute: str
) -> dict[int, list[int]]:
    """Round -> [model labels given in that round, how many match the answer key].

    ``final_records`` and ``answers`` are the final manifest and a fully labeled copy of it, in the
    same (input) order; a model label's round is read from its metadata's job name.
    """
    tallies: dict[int, list[int]] = {}
    metadata_field = f"{label_attribute}-metadata"
    for record, answer in zip(final_records, answers, strict=True):
        metadata = record.get(metadata_field)
        if not metadata or metadata.get("human-annotated") != "no":
            continue
        round_number = layout.job_round(metadata.get("job-name", ""), "auto")
        if round_number is None:
            raise ValueError(f"a model label without a round in its job name: {metadata.get('job-name')!r}")
        tally = tallies.setdefault(round_number, [0, 0])
        tally[0] += 1
        tally[1] += record[label_attribute] == answer[label_attribute]
    return tallies


def with_measured_accuracy(entry: dict[str, Any], tallies: dict[int, list[int]]) -> dict[str, Any]:
    """A round's statistics plus its auto-labels' accuracy against the answer key, and whether it is below target."""
    given, right = tallies.get(entry["round"], [0, 0])
    measured = round(right / given, 4) if given else None
    target = entry.get("target_accuracy")
    return {
        **entry,
        "measured_accuracy": measured,
        "below_target": None if measured is None or target is None else measured < target,
    }
