"""The active-learning policy: which records the model may label, and which go to humans next.

Auto-labeling is calibrated. On the held-out, human-labeled validation records, isotonic
regression maps a prediction's confidence to the chance that it is right; each block of that map
is lowered to its one-sided 90 % Wilson lower bound (pooled with its neighbour where that
bound would break monotonicity), so a block seen on few records counts for less.
The model labels the most confident unlabeled records, as many as keep the *mean calibrated
accuracy of exactly those records* at or above the target. Averaging over the records actually
auto-labeled, not over all validation records above a threshold, matters in later rounds: the easy
records are gone, and what is left sits nearer the threshold than the validation average.
Which validation records a later round calibrates on is the round step's part
(`lambdas/active_learning.py`: only those no earlier round would have auto-labeled).
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from typing import Sequence

from byoal.predictions import Prediction

WILSON_Z = 1.28
"""One-sided 90 % bound. With z = 1 a round's auto-labels fell short of a 95 % target in some benchmark
runs (docs/benchmarks.md); 1.28 kept every run at or above it, for about 3 points of auto-labeled share."""


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing step function from confidence to the probability of a correct label."""

    thresholds: tuple[float, ...]
    """Lowest confidence of each block, ascending."""
    accuracies: tuple[float, ...]

    def accuracy(self, confidence: float) -> float:
        index = bisect.bisect_right(self.thresholds, confidence) - 1
        return self.accuracies[max(index, 0)]


def _wilson_lower_bound(correct: float, total: float, z: float = WILSON_Z) -> float:
    share = correct / total
    denominator = 1 + z * z / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return max(0.0, (centre - spread) / denominator)


def _pool_adjacent_violators(blocks: list[list[float]], score) -> list[list[float]]:
    """Merge neighbouring [lowest confidence, correct, total] blocks until ``score`` does not decrease."""
    pooled: list[list[float]] = []
    for block in blocks:
        pooled.append(list(block))
        while len(pooled) > 1 and score(pooled[-2]) >= score(pooled[-1]):
            _, hits, total = pooled.pop()
            pooled[-1][1] += hits
            pooled[-1][2] += total
    return pooled


def fit_calibration(confidences: Sequence[float], correct: Sequence[bool]) -> Calibration:
    """Isotonic regression (pool adjacent violators) of correctness on confidence, made conservative.

    The pooling runs twice: on the observed accuracy, then on the Wilson bounds, because a small
    top block (3 of 3 right) has a lower bound than a large block just below it. Pooling them,
    rather than lowering every block to the small one's bound, keeps the map monotone without
    letting a handful of records veto all auto-labeling.
    """
    if not confidences:
        raise ValueError("calibration needs at least one validation record")
    groups: dict[float, list[float]] = {}
    for confidence, hit in zip(confidences, correct):
        group = groups.setdefault(confidence, [0.0, 0.0])
        group[0] += float(hit)
        group[1] += 1.0
    blocks = [[confidence, *groups[confidence]] for confidence in sorted(groups)]
    blocks = _pool_adjacent_violators(blocks, lambda block: block[1] / block[2])
    blocks = _pool_adjacent_violators(blocks, lambda block: _wilson_lower_bound(block[1], block[2]))
    return Calibration(
        thresholds=tuple(block[0] for block in blocks),
        accuracies=tuple(_wilson_lower_bound(hits, total) for _, hits, total in blocks),
    )


@dataclass(frozen=True)
class AutoLabelDecision:
    count: int
    """The `count` most confident pool records are auto-labeled."""
    threshold: float | None
    """Lowest confidence auto-labeled (None when nothing is)."""
    expected_accuracy: float | None


def choose_auto_label_count(
    sorted_confidences: Sequence[float], calibration: Calibration, target_accuracy: float
) -> AutoLabelDecision:
    """The largest k whose k most confident records have mean calibrated accuracy >= target.

    ``sorted_confidences`` must be in descending order. Calibrated accuracy does not increase as
    confidence falls, so the running mean does not increase with k and the first k that misses
    the target ends the search.
    """
    total = 0.0
    best = AutoLabelDecision(count=0, threshold=None, expected_accuracy=None)
    for k, confidence in enumerate(sorted_confidences, start=1):
        total += calibration.accuracy(confidence)
        mean = total / k
        if mean + 1e-12 < target_accuracy:
            break
        best = AutoLabelDecision(count=k, threshold=confidence, expected_accuracy=mean)
    return best


def margin_rule_count(sorted_margins: Sequence[float], minimum_margin: float) -> int:
    """The AWS sample's uncalibrated rule (records whose top-two margin exceeds a fixed value)."""
    return sum(1 for margin in sorted_margins if margin > minimum_margin)


def informativeness(prediction: Prediction, strategy: str) -> float:
    """Higher means a human label for this record is expected to teach the model more."""
    if strategy == "margin":
        return -prediction.margin
    if strategy == "least_confidence":
        return -prediction.confidence
    if strategy == "entropy":
        return prediction.entropy
    raise ValueError(f"no informativeness for strategy {strategy!r}")


def select_for_humans(
    candidates: Sequence[tuple[int, Prediction]], *, strategy: str, size: int, seed: int
) -> list[int]:
    """Ids of the `size` most informative candidates (a seeded random sample for ``random``), in input order."""
    if size <= 0 or not candidates:
        return []
    if strategy == "random":
        chosen = random.Random(seed).sample(range(len(candidates)), min(size, len(candidates)))
    else:
        ranked = sorted(
            range(len(candidates)), key=lambda index: (-informativeness(candidates[index][1], strategy), index)
        )
        chosen = ranked[:size]
    return [candidates[index][0] for index in sorted(chosen)]
