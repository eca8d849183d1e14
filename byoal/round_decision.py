"""A round's decisions: test the new model's confidence, auto-label what it is sure of, pick the next human batch.

Reads the batch-transform output (one line per transform-input record, in order, each
``{"byoal-id", "SageMakerOutput"}``) and the working manifest (for the calibration records' human
labels). Writes the round's auto-labels (in working-manifest order: id, position in that manifest,
class and confidence; the merge step gives them Ground Truth metadata), the selection for humans
(the query strategy's picks, then a uniform random calibration sample of the pool left, flagged
with ``byoal-calibration``), the calibration records this round's rules screen out, and the round's
statistics.

Which calibration records a round tests on: those drawn by an earlier round r (a uniform sample of
the pool round r+1 started from) that no round between r and this one would have taken out of the
pool — auto-labeled or selected by the query strategy, judged with that round's own predictions of
them. Each round writes the ids its rules take out (``layout.calibration_screened``); the rest are
still a fair sample of the current pool, so the calibration set grows as the run goes on. Testing
on records the earlier rounds' rules would have removed would bias the calibration set toward the
records the model finds hard or easy, and the accuracy bound (byoal.calibration) assumes a uniform
sample of the records it labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from byoal import layout, manifest, policy, round_stats
from byoal import records as rec
from byoal.calibration import choose_threshold
from byoal.errors import InputError
from byoal.predictions import Prediction, parse_prediction
from byoal.step_contracts import ActiveLearningEvent, ActiveLearningResult, AutoLabels, Selection
from byoal.storage import Storage

OUTPUT_FIELD = "SageMakerOutput"
"""Where a batch transform with ``JoinSource=Input`` puts the model's output in each line."""


def read_predictions(storage: Storage, output_prefix: str, num_classes: int) -> Iterator[tuple[int, Prediction]]:
    """(record id, prediction) for every line the batch transform wrote under ``output_prefix``, in order.

    InputError when there is no output at all, or naming the object and line of one that lacks
    ``byoal-id`` or ``SageMakerOutput`` or whose output is not a prediction over ``num_classes`` classes.
    """
    uris = storage.list(output_prefix)
    if not uris:
        raise InputError(f"the batch transform wrote no output under {output_prefix}")
    for uri in uris:
        for line, record in manifest.read_numbered_records(storage, uri):
            where = f"{uri} line {line}"
            if rec.ID_FIELD not in record or OUTPUT_FIELD not in record:
                raise InputError(f"{where}: expected '{rec.ID_FIELD}' and '{OUTPUT_FIELD}' (JoinSource=Input)")
            yield record[rec.ID_FIELD], parse_prediction(record[OUTPUT_FIELD], num_classes=num_classes, where=where)


def decide(
    predictions: list[tuple[int, Prediction]],
    calibration: dict[int, int],
    config: dict[str, Any],
    *,
    batch_size: int,
    seed: str,
    round_number: int,
    screened: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """The round's decisions from the predictions.

    ``calibration`` maps each calibration record's id to its human label; ``screened`` holds the
    calibration ids an earlier round's rules took out of the pool. ``batch_size`` human labels are
    spent: ``CalibrationShare`` of them on a uniform random calibration sample of the pool left after
    auto-labeling and the query strategy's picks. Round ``round_number`` (1 is the first learning round)
    auto-labels nothing while it is one of the ``WarmUpRounds`` and a later round will test: its batch
    leaves records in the pool (0 < ``batch_size`` < pool size) and ``round_number`` < ``MaxRounds``.
    ``config`` needs ``QueryStrategy``, ``TargetAccuracy``, ``RiskTolerance``, ``FixedMarginThreshold``,
    ``MinValidationRecords``, ``CalibrationShare``, ``WarmUpRounds`` and ``MaxRounds``. The result has
    ``auto`` (indices into ``pool``), ``pool`` ((id, prediction) of every unlabeled record),
    ``selected`` (the query strategy's ids), ``drawn`` (the new calibration ids), ``screened`` (valid
    calibration ids this round's rules take out) and ``stats``.
    """
    valid = [(identity, prediction, calibration[identity]) for identity, prediction in predictions
             if identity in calibration and identity not in screened]
    pool = [(identity, prediction) for identity, prediction in predictions if identity not in calibration]
    strategy = config["QueryStrategy"]
    hits = sum(prediction.label == label for _, prediction, label in valid)
    stats: dict[str, Any] = {
        "calibration_records": len(valid),
        "calibration_accuracy": round(hits / len(valid), 4) if valid else None,
        "pool": len(pool),
        "target_accuracy": config["TargetAccuracy"],
        "risk_tolerance": config["RiskTolerance"],
    }
    # A later round must exist to test: budget left, rounds left, and records left after this batch.
    warming_up = (
        round_number <= config["WarmUpRounds"] and 0 < batch_size < len(pool) and round_number < config["MaxRounds"]
    )
    if warming_up:
        rule = policy.PoolRule(strategy=strategy)
        stats.update(rule="warm-up", threshold=None, expected_accuracy=None, accuracy_bound=None,
                     calibration_above=None, no_auto_label_reason=(
                         f"warm-up round {round_number} of {config['WarmUpRounds']} (WarmUpRounds): the model first "
                         f"learns from a human batch; its calibration records serve the first test after the warm-up"
                     ))
    elif config.get("FixedMarginThreshold") is not None:
        rule = policy.PoolRule(strategy=strategy, minimum_margin=config["FixedMarginThreshold"])
        stats.update(rule=f"margin > {config['FixedMarginThreshold']}", threshold=None, expected_accuracy=None,
                     accuracy_bound=None, calibration_above=None, no_auto_label_reason=None)
    else:
        decision = choose_threshold(
            [prediction.confidence for _, prediction, _ in valid],
            [prediction.label == label for _, prediction, label in valid],
            target=config["TargetAccuracy"], risk_tolerance=config["RiskTolerance"],
            at_least=config["MinValidationRecords"] or 1,
        )
        rule = policy.PoolRule(strategy=strategy, threshold=decision.threshold)
        stats.update(rule="calibrated", threshold=decision.threshold, expected_accuracy=decision.expected_accuracy,
                     accuracy_bound=decision.accuracy_bound, calibration_above=decision.records_above,
                     no_auto_label_reason=decision.reason)
    auto = [index for index, (_, prediction) in enumerate(pool) if rule.auto_labels(prediction)]
    if not auto and stats["no_auto_label_reason"] is None:
        stats["no_auto_label_reason"] = (
            f"no pool record passes the rule ({stats['rule']}, threshold {stats['threshold']})"
        )
    taken = set(auto)
    remaining = [pool[index] for index in range(len(pool)) if index not in taken]
    draw_size = policy.calibration_draw_size(batch_size, config["CalibrationShare"])
    selected = policy.select_for_humans(remaining, strategy=strategy, size=batch_size - draw_size, seed=seed)
    chosen = set(selected)
    predicted = dict(pool)
    rule = policy.PoolRule(
        strategy=strategy, threshold=rule.threshold, minimum_margin=rule.minimum_margin,
        selection_cut=policy.selection_cut([predicted[identity] for identity in selected], strategy),
    )
    left = [identity for identity, _ in remaining if identity not in chosen]
    drawn = policy.draw_calibration(left, draw_size, seed=f"calibration-{seed}")
    screened_now = [identity for identity, prediction, _ in valid if rule.removes(prediction)]
    stats.update(
        auto_labeled=len(auto), selected=len(selected) + len(drawn), selected_by_strategy=len(selected),
        calibration_drawn=len(drawn), calibration_screened=len(screened_now), selection_cut=rule.selection_cut,
    )
    return {"auto": auto, "pool": pool, "selected": selected, "drawn": drawn, "screened": screened_now, "stats": stats}


def read_screened(storage: Storage, root: str, round_number: int) -> frozenset[int]:
    """Calibration ids that the rounds before ``round_number`` took out of the pool."""
    screened: set[int] = set()
    for earlier in range(1, round_number):
        uri = layout.calibration_screened(root, earlier)
        screened.update(record[rec.ID_FIELD] for record in manifest.read_records(storage, uri))
    return frozenset(screened)


def read_working(
    storage: Storage, uri: str, *, label_attribute: str, round_number: int
) -> tuple[dict[int, int], dict[int, int]]:
    """(calibration id -> human label, unlabeled id -> position) of the working manifest at ``uri``.

    InputError for a calibration record drawn in ``round_number`` or later: it cannot calibrate this round.
    """
    calibration: dict[int, int] = {}
    positions: dict[int, int] = {}
    for position, record in enumerate(manifest.read_records(storage, uri)):
        if rec.is_calibration(record):
            if rec.calibration_round(record) >= round_number:
                raise InputError(f"record {rec.record_id(record)}: a calibration record drawn in round "
                                 f"{rec.calibration_round(record)} cannot calibrate round {round_number}")
            calibration[rec.record_id(record)] = record[label_attribute]
        elif not rec.is_labeled(record, label_attribute):
            positions[rec.record_id(record)] = position
    return calibration, positions


def run_round(storage: Storage, event: ActiveLearningEvent) -> ActiveLearningResult:
    """Decide the round and store its auto-labels, selection, screened calibration ids and statistics.

    InputError when the transform's predictions do not match its input in number, or name records that
    are neither unlabeled nor calibration records (stale output from another working manifest).
    """
    config, root, round_number = event.config, event.run.root, event.round
    attribute, labels = config["LabelAttributeName"], config["Labels"]
    calibration, positions = read_working(
        storage, event.working.manifest, label_attribute=attribute, round_number=round_number
    )
    predictions = list(read_predictions(storage, event.transform.output_prefix, len(labels)))
    if len(predictions) != event.transform.records:
        raise InputError(
            f"the batch transform returned {len(predictions)} predictions for {event.transform.records} records"
        )
    unknown = [identity for identity, _ in predictions if identity not in calibration and identity not in positions]
    if unknown:
        raise InputError(
            f"predictions for records that are neither unlabeled nor calibration records: ids {unknown[:10]}"
        )
    result = decide(
        predictions, calibration, config, batch_size=event.batch_size, seed=f"select-{config['Seed']}-{round_number}",
        round_number=round_number, screened=read_screened(storage, root, round_number),
    )
    pool = result["pool"]

    def autolabels() -> Iterator[dict[str, Any]]:
        for index in result["auto"]:
            identity, prediction = pool[index]
            yield {
                rec.ID_FIELD: identity,
                rec.POSITION_FIELD: positions[identity],
                attribute: prediction.label,
                "confidence": round(prediction.confidence, 4),
            }

    def selection() -> Iterator[dict[str, Any]]:
        drawn = set(result["drawn"])
        for identity in sorted(set(result["selected"]) | drawn):
            if identity in drawn:
                yield {rec.ID_FIELD: identity, rec.CALIBRATION_FIELD: round_number}
            else:
                yield {rec.ID_FIELD: identity}

    autolabels_uri = layout.autolabels(root, round_number)
    selection_uri = layout.selection(root, round_number)
    manifest.write_records(storage, autolabels_uri, autolabels())
    selected = manifest.write_records(storage, selection_uri, selection())
    manifest.write_records(
        storage, layout.calibration_screened(root, round_number),
        ({rec.ID_FIELD: identity} for identity in result["screened"]),
    )
    stats = {**result["stats"], "model": event.model}
    round_stats.write_stats(storage, root, round_number, round_stats.ACTIVE_LEARNING, stats)
    return ActiveLearningResult(
        round=round_number,
        working=event.working,
        autolabels=AutoLabels(
            manifest=autolabels_uri, count=len(result["auto"]), round=round_number,
            job_name=layout.job_name(event.run.id, round_number, "auto"),
            creation_date=rec.normalize_timestamp(event.started_at),
        ),
        selection=Selection(manifest=selection_uri, count=selected, round=round_number),
        stats=stats,
    )
