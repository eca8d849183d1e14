"""Whether a run can ever auto-label: the smallest calibration set, and the smallest dataset that can reach it.

A round auto-labels only after calibrating on human-labeled records the model never trained on.
Their number is bounded below by ``MinValidationRecords`` and, where a risk tolerance δ is given,
by the fewest records a finite-sample test can ever pass with; the human labels that a run can
collect are bounded above by the seed share, the batch size, the rounds and the budget. A dataset
where the second can never reach the first (plus two training labels and one record left to
auto-label) only sends batches to people until ``MaxRounds``: it is refused at the start. So is
one whose round 1 gets fewer than two human labels (the input's, or the seed batch's): no model is
ever trained, so no batch after the seed is ever chosen. ``scripts.prepare`` applies the same check.
"""

from __future__ import annotations

import math
from typing import Any

from byoal.errors import InputError

MIN_TRAINING_LABELS = 2
"""A classifier needs at least two labeled classes to train on."""

FIRST_ROUND_LABELS = 2
"""Round 1 trains on one human label and validates on another (``lambdas.prepare_training``)."""


def min_calibration_records(target_accuracy: float, risk_tolerance: float) -> int:
    """The fewest calibration records with which a one-sided exact binomial (Clopper–Pearson) test can show
    "accuracy ≥ ``target_accuracy``" at level ``risk_tolerance`` (δ): the smallest n with target^n ≤ δ,
    ``ceil(ln δ / ln target)`` — n records, all correct. Fewer can never pass, whatever the model.

    Raises ValueError for a target of 1 or more (no finite set shows it) or δ outside (0, 1).
    Source: Clopper & Pearson (1934); with zero errors the bound is target^n (Angelopoulos et al., 2021, "Learn then Test").
    """
    if not 0 < risk_tolerance < 1:
        raise ValueError(f"the risk tolerance must be in (0, 1), got {risk_tolerance!r}")
    if not 0 < target_accuracy < 1:
        raise ValueError(f"no finite calibration set shows an accuracy of {target_accuracy!r}")
    return max(1, math.ceil(math.log(risk_tolerance) / math.log(target_accuracy) - 1e-12))


def calibration_records_needed(config: dict[str, Any]) -> int:
    """The fewest calibration records a round of this configuration can auto-label with: what the
    threshold test needs at ``TargetAccuracy`` and ``RiskTolerance``, or ``MinValidationRecords`` if higher."""
    needed = min_calibration_records(config["TargetAccuracy"], config["RiskTolerance"])
    if config.get("MinValidationRecords") is not None:
        needed = max(needed, config["MinValidationRecords"])
    return needed


def _human_budget(config: dict[str, Any], records: int) -> int:
    budget = min(math.floor(config["MaxHumanShare"] * records), records)
    if config["MaxHumanLabels"] is not None:
        budget = min(budget, config["MaxHumanLabels"])
    return budget


def first_round_labels(config: dict[str, Any], records: int, input_labeled: int) -> int:
    """The human labels round 1 trains and validates on: the input's, or the seed batch's if more."""
    return max(input_labeled, min(_human_budget(config, records), math.ceil(config["SeedShare"] * records)))


def can_train(config: dict[str, Any], records: int, input_labeled: int = 0) -> bool:
    """Round 1 has the :data:`FIRST_ROUND_LABELS` human labels it needs; if not, no model is ever trained."""
    return first_round_labels(config, records, input_labeled) >= FIRST_ROUND_LABELS


def human_labels_reachable(config: dict[str, Any], records: int, input_labeled: int) -> int:
    """The most human labels the last round can calibrate and train on (input labels, seed, then batches);
    only the input's and the seed's when round 1 cannot train (then no batch is ever selected)."""
    seeded = first_round_labels(config, records, input_labeled)
    if seeded < FIRST_ROUND_LABELS:
        return seeded
    batch = config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * records))
    return max(input_labeled, min(_human_budget(config, records), seeded + (config["MaxRounds"] - 1) * batch))


def can_calibrate(config: dict[str, Any], records: int, input_labeled: int = 0) -> bool:
    """Some round of this run can calibrate, train, and still find a record to auto-label."""
    needed = calibration_records_needed(config) + MIN_TRAINING_LABELS
    return records > needed and human_labels_reachable(config, records, input_labeled) >= needed


def smallest_dataset(config: dict[str, Any], labeled_share: float = 0.0) -> int | None:
    """The fewest records with which :func:`can_calibrate` holds, ``labeled_share`` of them given labeled;
    None if no size does (the budget never allows enough human labels).

    A lower bound: the policy may hold out fewer calibration records than the human labels allow, so a
    dataset of this size can still end without auto-labeling; one smaller never auto-labels.
    """

    def works(records: int) -> bool:
        return can_calibrate(config, records, math.floor(labeled_share * records))

    high = calibration_records_needed(config) + MIN_TRAINING_LABELS + 1
    while not works(high):
        high *= 2
        if high > 2**40:
            return None
    low = high // 2
    while low + 1 < high:
        middle = (low + high) // 2
        if works(middle):
            high = middle
        else:
            low = middle
    return high


def check_dataset_size(config: dict[str, Any], *, records: int, input_labeled: int, where: str) -> None:
    """InputError naming ``where`` if no model can ever be trained on this dataset, or (when the run
    calibrates) if it can never be auto-labeled with these settings; the message says the least size needed.

    Runs with no learning rounds are not checked; runs with a fixed margin threshold (no calibration)
    only for round 1's human labels.
    """
    if config["MaxRounds"] == 0:
        return
    if config.get("FixedMarginThreshold") is not None:
        if not can_train(config, records, input_labeled):
            raise InputError(
                f"{where}: {records} records, {input_labeled} of them labeled, and SeedShare {config['SeedShare']} "
                f"give round 1 {first_round_labels(config, records, input_labeled)} human labels; it trains on one and "
                f"validates on another, so no model can ever be trained: label {FIRST_ROUND_LABELS} records or more, "
                "or raise SeedShare"
            )
        return
    try:
        if can_calibrate(config, records, input_labeled):
            return
        needed = calibration_records_needed(config)
        smallest = smallest_dataset(config, input_labeled / records if records else 0.0)
    except ValueError as error:
        raise InputError(f"ActiveLearningConfig: {error}") from None
    reachable = human_labels_reachable(config, records, input_labeled)
    batch = config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * records))
    if smallest is not None:
        advice = f"with these settings a run needs at least {smallest} records, or lower MinValidationRecords"
    elif config["SeedShare"] == 0 and input_labeled < FIRST_ROUND_LABELS:
        advice = (
            f"no dataset can: round 1 trains on one human label and validates on another, and with SeedShare 0 "
            f"they must come with the input: label {FIRST_ROUND_LABELS} records or more, or raise SeedShare"
        )
    else:
        advice = (
            "no dataset can with this budget (raise MaxHumanLabels or MaxHumanShare), or lower MinValidationRecords"
        )
    raise InputError(
        f"{where}: {records} records can never be auto-labeled: a round needs {needed} calibration records "
        "(the threshold test's least at TargetAccuracy and RiskTolerance, or MinValidationRecords) "
        f"+ {MIN_TRAINING_LABELS} training labels, and a record left to label, but this run reaches at most "
        f"{reachable} human labels ({input_labeled} given, SeedShare {config['SeedShare']}, batches of {batch}, "
        f"MaxRounds {config['MaxRounds']}, MaxHumanShare {config['MaxHumanShare']}, MaxHumanLabels "
        f"{config['MaxHumanLabels']}); {advice}, or lower TargetAccuracy or raise RiskTolerance"
    )
