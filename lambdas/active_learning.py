"""Round step: calibrate the new model, auto-label what it is sure of, and pick the next human batch.

Reads the batch-transform output (one line per transform-input record, in order, each
``{"byoal-id", "SageMakerOutput"}``) and the working manifest (for the validation records' human
labels). Writes the round's auto-labels (in working-manifest order: id, position in that manifest,
class and confidence; the merge step gives them Ground Truth metadata), the
selection for humans, and the round's statistics. Its result names the working manifest it read,
which carries the round's validation flags, for the loop to merge the auto-labels into.

Later rounds see a pool without the records earlier models were sure of, so it is harder than a
random validation record of the same confidence. Each round therefore also writes the ids of the
validation records its rule would have auto-labeled (`validation-screened.manifest`), and a round
calibrates only on validation records that no earlier round screened out: the ones that would
still be in the pool.
"""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest, policy, round_stats
from byoal import records as rec
from byoal.errors import InputError
from byoal.predictions import Prediction, parse_prediction
from byoal.storage import storage_from_environment

SCREENED_FILE = "validation-screened.manifest"


def read_predictions(storage, output_prefix: str, num_classes: int):
    uris = storage.list(output_prefix)
    if not uris:
        raise InputError(f"the batch transform wrote no output under {output_prefix}")
    for uri in uris:
        for line, record in manifest.read_numbered_records(storage, uri):
            where = f"{uri} line {line}"
            if rec.ID_FIELD not in record or "SageMakerOutput" not in record:
                raise InputError(f"{where}: expected '{rec.ID_FIELD}' and 'SageMakerOutput' (JoinSource=Input)")
            yield record[rec.ID_FIELD], parse_prediction(record["SageMakerOutput"], num_classes=num_classes, where=where)


def decide(
    predictions: list[tuple[int, Prediction]],
    truth: dict[int, int],
    config: dict[str, Any],
    *,
    batch_size: int,
    seed: str,
    screened: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """The round's decisions from the predictions: auto-labeled pool indices, selected ids, statistics.

    ``screened`` holds the validation ids an earlier round's rule would have auto-labeled; they
    are left out of this round's calibration. The result's ``screened`` lists the validation ids
    this round's rule would auto-label.
    """
    validation = [(identity, prediction, truth[identity]) for identity, prediction in predictions if identity in truth]
    pool = [(identity, prediction) for identity, prediction in predictions if identity not in truth]
    calibration_set = [(prediction, prediction.label == label) for identity, prediction, label in validation if identity not in screened]
    hits = sum(prediction.label == label for _, prediction, label in validation)
    stats: dict[str, Any] = {
        "validation_records": len(validation),
        "validation_accuracy": round(hits / len(validation), 4) if validation else None,
        "calibration_records": len(calibration_set),
        "pool": len(pool),
    }
    by_confidence = sorted(range(len(pool)), key=lambda index: (-pool[index][1].confidence, index))
    if config.get("FixedMarginThreshold") is not None:
        minimum_margin = config["FixedMarginThreshold"]
        auto = {index for index in by_confidence if pool[index][1].margin > minimum_margin}
        screened_now = [identity for identity, prediction, _ in validation if prediction.margin > minimum_margin]
        stats.update(threshold=None, expected_accuracy=None, rule=f"margin > {minimum_margin}")
    elif len(calibration_set) >= config["MinValidationRecords"]:
        calibration = policy.fit_calibration(
            [prediction.confidence for prediction, _ in calibration_set], [hit for _, hit in calibration_set]
        )
        decision = policy.choose_auto_label_count(
            [pool[index][1].confidence for index in by_confidence], calibration, config["TargetAccuracy"]
        )
        auto = set(by_confidence[: decision.count])
        threshold = decision.threshold
        screened_now = [] if threshold is None else [identity for identity, p, _ in validation if p.confidence >= threshold]
        stats.update(threshold=threshold, expected_accuracy=decision.expected_accuracy, rule="calibrated")
    else:
        auto, screened_now = set(), []
        stats.update(
            threshold=None, expected_accuracy=None,
            rule=f"fewer than {config['MinValidationRecords']} validation records left to calibrate on",
        )
    remaining = [pool[index] for index in range(len(pool)) if index not in auto]
    selected = policy.select_for_humans(remaining, strategy=config["QueryStrategy"], size=batch_size, seed=seed)
    stats.update(auto_labeled=len(auto), selected=len(selected))
    return {"auto": sorted(auto), "pool": pool, "selected": selected, "screened": screened_now, "stats": stats}


def read_screened(storage, root: str, round_number: int) -> frozenset[int]:
    """Validation ids that the rounds before ``round_number`` would have auto-labeled."""
    screened: set[int] = set()
    for earlier in range(1, round_number):
        uri = layout.round_file(root, earlier, SCREENED_FILE)
        screened.update(record[rec.ID_FIELD] for record in manifest.read_records(storage, uri))
    return frozenset(screened)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root, round_number = event["config"], event["run"]["root"], event["round"]
    attribute, labels = config["LabelAttributeName"], config["Labels"]
    truth: dict[int, int] = {}
    positions: dict[int, int] = {}
    for position, record in enumerate(manifest.read_records(storage, event["working"]["manifest"])):
        if rec.is_validation(record):
            truth[rec.record_id(record)] = record[attribute]
        elif not rec.is_labeled(record, attribute):
            positions[rec.record_id(record)] = position
    predictions = list(read_predictions(storage, event["transform"]["output_prefix"], len(labels)))
    if len(predictions) != event["transform"]["records"]:
        raise InputError(
            f"the batch transform returned {len(predictions)} predictions for {event['transform']['records']} records"
        )
    unknown = [identity for identity, _ in predictions if identity not in truth and identity not in positions]
    if unknown:
        raise InputError(f"predictions for records that are neither unlabeled nor validation records: ids {unknown[:10]}")
    result = decide(
        predictions, truth, config, batch_size=event["batch_size"], seed=f"select-{config['Seed']}-{round_number}",
        screened=read_screened(storage, root, round_number),
    )
    job_name = layout.job_name(event["run"]["id"], round_number, "auto")
    created = rec.normalize_timestamp(event["started_at"])
    pool = result["pool"]

    def autolabels():
        for index in result["auto"]:
            identity, prediction = pool[index]
            yield {
                rec.ID_FIELD: identity,
                rec.POSITION_FIELD: positions[identity],
                attribute: prediction.label,
                "confidence": round(prediction.confidence, 4),
            }

    autolabels_uri = layout.round_file(root, round_number, "autolabels.manifest")
    selection_uri = layout.round_file(root, round_number, "selection.manifest")
    manifest.write_records(storage, autolabels_uri, autolabels())
    manifest.write_records(storage, selection_uri, ({rec.ID_FIELD: identity} for identity in result["selected"]))
    screened_uri = layout.round_file(root, round_number, SCREENED_FILE)
    manifest.write_records(storage, screened_uri, ({rec.ID_FIELD: identity} for identity in result["screened"]))
    stats = {**result["stats"], "model": event.get("model", {})}
    round_stats.write_stats(storage, root, round_number, round_stats.ACTIVE_LEARNING, stats)
    return {
        "round": round_number,
        "working": event["working"],
        "autolabels": {
            "manifest": autolabels_uri, "count": len(result["auto"]), "round": round_number,
            "job_name": job_name, "creation_date": created,
        },
        "selection": {"manifest": selection_uri, "count": len(result["selected"]), "round": round_number},
        "stats": stats,
    }
