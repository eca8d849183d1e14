"""Per-round statistics, stored as small JSON files in each round's folder and read back as one history."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from byoal import layout
from byoal.storage import Storage, read_bytes, write_bytes

ACTIVE_LEARNING = "active-learning.json"
HUMAN_LABELS = "human-labels.json"


def write_stats(storage: Storage, root: str, round_number: int, name: str, stats: dict[str, Any]) -> None:
    body = json.dumps({"round": round_number, **stats}, sort_keys=True, indent=1).encode("utf-8")
    write_bytes(storage, layout.round_file(root, round_number, name), body)


def read_history(storage: Storage, root: str) -> list[dict[str, Any]]:
    """One entry per round, in round order, combining what the round's steps recorded."""
    history: dict[int, dict[str, Any]] = {}
    for uri in storage.list(layout.rounds_prefix(root)):
        if uri.endswith("/" + ACTIVE_LEARNING) or uri.endswith("/" + HUMAN_LABELS):
            stats = json.loads(read_bytes(storage, uri))
            history.setdefault(stats["round"], {}).update(stats)
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
