"""Whether a run can ever auto-label: the smallest calibration set, and the smallest dataset that can reach it.

A round auto-labels only after calibrating on human-labeled records the model never trained on.
Their number is bounded below by ``MinValidationRecords`` and, where a risk tolerance δ is given,
by the fewest records a finite-sample test can ever pass with. Only part of the human labels become
calibration records: ``CalibrationShare`` of the seed batch and of each later batch, and
``ValidationShare`` of the input labels when ``InputLabelsAreRandomSample``; the last round tests on
those drawn before it (input, seed, then ``MaxRounds - 1`` batches), within the budget. A dataset
where that can never reach the test's minimum (or where the human labels cannot also give two
training labels and leave one record to auto-label) only sends batches to people until ``MaxRounds``:
it is refused at the start. So is
one whose round 1 gets fewer than two human labels (the input's, or the seed batch's): no model is
ever trained, so no batch after the seed is ever chosen. ``scripts.prepare`` applies the same check.
"""

from __future__ import annotations

import math
from typing import Any

from byoal import policy
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
    Source: Clopper & Pearson (1934); with zero errors the bound is target^n
    (Angelopoulos et al., 2021, "Learn then Test").
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


def calibration_records_reachable(config: dict[str, Any], records: int, input_labeled: int) -> int:
    """The most calibration records the last learning round can test on: ``ValidationShare`` of the input
    labels if ``InputLabelsAreRandomSample``, ``CalibrationShare`` of the seed batch, then of each of the
    ``MaxRounds - 1`` batches before the last round, each batch cut to the budget left (input labels count
    as spent, as in ``byoal.counts``). The same rounding as the draws (``lambdas.hold_out_calibration``,
    ``policy.calibration_draw_size``).

    An upper bound on what a run gets: a round draws from the pool its auto-labels left, and screens
    out calibration records its rules take out of the pool, so a run may test on fewer.
    """
    budget = max(0, _human_budget(config, records) - input_labeled)
    unlabeled = max(0, records - input_labeled)
    reachable = round(config["ValidationShare"] * input_labeled) if config["InputLabelsAreRandomSample"] else 0
    seed = max(0, min(math.ceil(config["SeedShare"] * records) - input_labeled, budget, unlabeled))
    reachable += policy.calibration_draw_size(seed, config["CalibrationShare"])
    if not can_train(config, records, input_labeled):
        return reachable
    budget, unlabeled = budget - seed, unlabeled - seed
    batch = config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * records))
    for _ in range(config["MaxRounds"] - 1):
        size = min(batch, budget, unlabeled)
        if size <= 0:
            break
        reachable += policy.calibration_draw_size(size, config["CalibrationShare"])
        budget, unlabeled = budget - size, unlabeled - size
    return reachable


def can_calibrate(config: dict[str, Any], records: int, input_labeled: int = 0) -> bool:
    """Some round of this run can reach the calibration records its test needs, train, and still find a
    record to auto-label (a necessary condition, see :func:`calibration_records_reachable`)."""
    needed = calibration_records_needed(config)
    return (
        records > needed + MIN_TRAINING_LABELS
        and human_labels_reachable(config, records, input_labeled) >= needed + MIN_TRAINING_LABELS
        and calibration_records_reachable(config, records, input_labeled) >= needed
    )


def smallest_calibration_share(config: dict[str, Any], records: int, input_labeled: int) -> float | None:
    """The least ``CalibrationShare`` (in steps of 0.05, at most 0.9) with which :func:`can_calibrate`
    holds for this dataset; None if none does."""
    for hundredths in range(5, 95, 5):
        if can_calibrate({**config, "CalibrationShare": hundredths / 100}, records, input_labeled):
            return hundredths / 100
    return None


def smallest_dataset(config: dict[str, Any], labeled_share: float = 0.0) -> int | None:
    """The fewest records with which :func:`can_calibrate` holds, ``labeled_share`` of them given labeled;
    None if no size does (the budget never allows enough human labels).

    A lower bound: a run may reach fewer calibration records than :func:`calibration_records_reachable`
    counts, so a dataset of this size can still end without auto-labeling; one smaller never auto-labels.
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
    calibration = calibration_records_reachable(config, records, input_labeled)
    batch = config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * records))
    if smallest is not None:
        advice = f"with these settings a run needs at least {smallest} records"
    elif config["SeedShare"] == 0 and input_labeled < FIRST_ROUND_LABELS:
        advice = (
            f"no dataset can: round 1 trains on one human label and validates on another, and with SeedShare 0 "
            f"they must come with the input: label {FIRST_ROUND_LABELS} records or more, or raise SeedShare"
        )
    elif smallest_dataset({**config, "MaxHumanLabels": None, "MaxHumanShare": 1.0}) is not None:
        advice = "no dataset can with this budget (raise MaxHumanLabels or MaxHumanShare)"
    else:
        advice = "no dataset can with these settings (raise SeedShare, HumanBatchSize or MaxRounds)"
    share = smallest_calibration_share(config, records, input_labeled)
    if share is not None and share > config["CalibrationShare"]:
        advice += f"; or raise CalibrationShare to {share}"
    else:
        advice += "; or raise CalibrationShare"
    inputs = (
        f"ValidationShare {config['ValidationShare']} of the {input_labeled} input labels (InputLabelsAreRandomSample)"
        if config["InputLabelsAreRandomSample"] else f"{input_labeled} input labels, not a random sample"
    )
    raise InputError(
        f"{where}: {records} records can never be auto-labeled: a round needs {needed} calibration records "
        "(the threshold test's least at TargetAccuracy "
        f"{config['TargetAccuracy']} and RiskTolerance {config['RiskTolerance']}, or MinValidationRecords) "
        f"+ {MIN_TRAINING_LABELS} training labels, and a record left to label, but this run reaches at most "
        f"{calibration} calibration records of {reachable} human labels (CalibrationShare {config['CalibrationShare']} "
        f"of each batch; {inputs}; SeedShare {config['SeedShare']}, batches of {batch}, "
        f"MaxRounds {config['MaxRounds']}, MaxHumanShare {config['MaxHumanShare']}, MaxHumanLabels "
        f"{config['MaxHumanLabels']}); {advice}, or lower TargetAccuracy or MinValidationRecords, "
        "or raise RiskTolerance"
    )
