"""Counting a working manifest, and deciding from the counts what the loop does next."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from byoal import records as rec


@dataclass
class Counts:
    """Records of a working manifest by state; every field is a number of records.

    ``human_labeled`` includes the input's own labels; ``human_labeled_by_class[i]`` counts class index ``i``
    (one entry per class).
    """
    input_total: int = 0
    human_labeled: int = 0
    auto_labeled: int = 0
    unlabeled: int = 0
    calibration: int = 0
    """Human-labeled calibration records (counted in ``human_labeled`` too)."""
    human_labeled_by_class: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict (field name -> count)."""
        return asdict(self)

    def add(self, record: dict[str, Any], *, label_attribute: str) -> None:
        """Count one record; a human label's value must be a class index below ``len(human_labeled_by_class)``."""
        self.input_total += 1
        if rec.is_calibration(record):
            self.calibration += 1
        if not rec.is_labeled(record, label_attribute):
            self.unlabeled += 1
        elif rec.is_human_labeled(record, label_attribute):
            self.human_labeled += 1
            self.human_labeled_by_class[record[label_attribute]] += 1
        else:
            self.auto_labeled += 1


def count_records(records: Iterable[dict[str, Any]], *, label_attribute: str, num_classes: int) -> Counts:
    """Counts of ``records`` (each with its ``label_attribute`` if labeled), ``num_classes`` classes by class index."""
    counts = Counts(human_labeled_by_class=[0] * num_classes)
    for record in records:
        counts.add(record, label_attribute=label_attribute)
    return counts


def human_budget_left(counts: Counts, config: dict[str, Any]) -> int:
    """How many more human labels the budget allows.

    The input's own labels count as spent, and so do calibration labels: they are human labels
    like any other."""
    limits = [math.floor(config["MaxHumanShare"] * counts.input_total)]
    if config["MaxHumanLabels"] is not None:
        limits.append(config["MaxHumanLabels"])
    return max(0, min(limits) - counts.human_labeled)


def next_step(counts: Counts, config: dict[str, Any], rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """``seed`` (label a random batch first), ``round`` (train, auto-label, select) or ``export``.

    ``rounds`` holds the statistics of the rounds done so far, round 0 being the seed batch.
    """
    budget = human_budget_left(counts, config)
    done = {entry["round"]: entry for entry in rounds}
    if counts.unlabeled == 0:
        return {"next_step": "export", "stop_reason": "every record is labeled"}
    seed_target = math.ceil(config["SeedShare"] * counts.input_total)
    seed_size = min(seed_target - counts.human_labeled, budget, counts.unlabeled)
    if 0 not in done and seed_size > 0:
        return {"next_step": "seed", "next_round": 0, "batch_size": seed_size}
    learning_rounds = [number for number in done if number > 0]
    if len(learning_rounds) >= config["MaxRounds"]:
        return {"next_step": "export", "stop_reason": f"reached MaxRounds ({config['MaxRounds']})"}
    if learning_rounds:
        last = done[max(learning_rounds)]
        if last.get("selected", 0) == 0:
            reason = "the human-label budget is spent" if budget == 0 else "the last round selected no records"
            return {"next_step": "export", "stop_reason": reason}
    next_round = max(learning_rounds, default=0) + 1
    return {"next_step": "round", "next_round": next_round, "batch_size": min(config["HumanBatchSize"], budget)}
