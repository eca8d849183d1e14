"""From each run's ``summary.json`` and final manifest to comparable figures, and across seeds.

A run's figures (all shares are of the whole dataset):

* ``human_labels``: records labeled by humans, the pre-labeled seed included;
* ``human_needed``: those plus the records left unlabeled when the budget stopped the run, since
  humans would have to label them: the cost of getting every record labeled;
* ``model_share`` and ``model_accuracy``: records the model labeled, and how many of them match
  the answer key; ``final_accuracy``: every label in the final manifest against the answer key;
* per round, from the final manifest's label metadata, the cumulative model share and accuracy.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from benchmarks.active_learning.configurations import DEFAULT, MANUAL, RANDOM, REFERENCE, Configuration

TIMING_KEYS = ("train_seconds", "infer_seconds", "select_seconds")
AGGREGATED = (
    "human_labels",
    "human_share",
    "human_needed",
    "human_needed_share",
    "model_labels",
    "model_share",
    "model_wrong_share",
    "model_accuracy",
    "final_accuracy",
    "rounds",
    "wall_seconds",
    *TIMING_KEYS,
)


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def per_round(summary: dict[str, Any], auto_by_round: dict[int, list[int]]) -> list[dict[str, Any]]:
    """One row per learning round: cumulative shares and model-label accuracy, the round's own auto-labels
    against the answer key beside its calibration figures (expected accuracy, bound, why nothing), timings."""
    total = summary["records"]
    model = correct = 0
    rows = []
    for table_row, detail in zip(summary["rounds_table"], summary["round_details"], strict=True):
        if detail["round"] == 0:
            continue
        given, right = auto_by_round.get(detail["round"], [0, 0])
        model, correct = model + given, correct + right
        rows.append(
            {
                "round": detail["round"],
                "human_labels_before": human_labels_before(summary, detail["round"]),
                "human_share": table_row["human_share"],
                "model_share": round(model / total, 4),
                "model_accuracy": round(correct / model, 4) if model else None,
                "round_model_labels": given,
                "round_model_accuracy": round(right / given, 4) if given else None,
                "calibration_records": detail.get("calibration_records"),
                "calibration_accuracy": detail.get("calibration_accuracy"),
                "threshold": detail.get("threshold"),
                "expected_accuracy": detail.get("expected_accuracy"),
                "accuracy_bound": detail.get("accuracy_bound"),
                "no_auto_label_reason": detail.get("no_auto_label_reason"),
                "model_artifacts": detail.get("model", {}).get("artifacts"),
                **{key: detail.get("timings", {}).get(key) for key in TIMING_KEYS},
            }
        )
    return rows


def human_labels_before(summary: dict[str, Any], round_number: int) -> int:
    """Human labels available when round ``round_number`` trained its model (the seed batch included)."""
    return summary["input_human_labeled"] + sum(
        detail.get("human_labeled", 0) for detail in summary["round_details"] if detail["round"] < round_number
    )


def run_result(
    configuration: Configuration, summary: dict[str, Any], auto_by_round: dict[int, list[int]]
) -> dict[str, Any]:
    """One run's figures from its ``summary.json`` and ``auto_by_round`` (round -> [auto-labels, right ones]).

    Shares are of all records, rounded to 4 places; timing keys are per-round means in seconds.
    """
    records = summary["records"]
    needed = summary["human_labeled"] + summary["unlabeled"]
    rounds = per_round(summary, auto_by_round)
    return {
        "name": configuration.name,
        "seed": configuration.seed,
        "description": configuration.description,
        "options": configuration.options,
        "records": records,
        "human_labels": summary["human_labeled"],
        "human_share": round(summary["human_labeled"] / records, 4),
        "human_needed": needed,
        "human_needed_share": round(needed / records, 4),
        "model_labels": summary["auto_labeled"],
        "model_share": round(summary["auto_labeled"] / records, 4),
        "unlabeled": summary["unlabeled"],
        "model_wrong_share": round(sum(given - right for given, right in auto_by_round.values()) / records, 4),
        "model_accuracy": summary.get("model_label_accuracy"),
        "final_accuracy": summary.get("final_manifest_accuracy"),
        "rounds": summary["rounds"],
        "stop_reason": summary["stop_reason"],
        "wall_seconds": summary["wall_seconds"],
        **{key: _mean([row[key] for row in rounds if row[key] is not None]) for key in TIMING_KEYS},
        "per_round": rounds,
    }


def manual_baseline(records: int) -> dict[str, Any]:
    """Labeling every record by hand: computed, not run."""
    return {
        "name": MANUAL,
        "seed": None,
        "description": "every record labeled by hand (cost baseline, computed)",
        "options": {},
        "records": records,
        "human_labels": records,
        "human_share": 1.0,
        "human_needed": records,
        "human_needed_share": 1.0,
        "model_labels": 0,
        "model_share": 0.0,
        "model_wrong_share": 0.0,
        "unlabeled": 0,
        "model_accuracy": None,
        "final_accuracy": 1.0,
        "rounds": 0,
        "stop_reason": "computed",
        "wall_seconds": None,
        **{key: None for key in TIMING_KEYS},
        "per_round": [],
    }


def aggregate(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per configuration name, in first-seen order: mean, min and max of each figure over its seeds."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault(result["name"], []).append(result)
    rows = []
    for name, runs in groups.items():
        row: dict[str, Any] = {
            "name": name,
            "description": runs[0]["description"],
            "seeds": [run["seed"] for run in runs],
        }
        for key in AGGREGATED:
            values = [run[key] for run in runs if run[key] is not None]
            row[key] = {"mean": _mean(values), "min": min(values, default=None), "max": max(values, default=None)}
        rows.append(row)
    return rows


def _row(rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((row for row in rows if row["name"] == name), None)


def checks(rows: Sequence[dict[str, Any]], *, target: float = 0.95, aim_share: float = 0.70) -> list[dict[str, Any]]:
    """The issue's bars, each with the figures it was judged on and whether it passed."""
    default = _row(rows, DEFAULT)
    if default is None:
        return []
    found = []
    accuracy = default["model_accuracy"]
    found.append(
        {
            "check": f"default: model labels >= {target:.0%} accurate on every seed",
            "passed": accuracy["min"] is not None and accuracy["min"] >= target,
            "figures": f"lowest {accuracy['min']}, mean {accuracy['mean']}",
        }
    )
    meets_target = accuracy["min"] is not None and accuracy["min"] >= target
    for other in (REFERENCE, RANDOM):
        row = _row(rows, other)
        if row is None:
            continue
        other_meets = row["model_accuracy"]["min"] is not None and row["model_accuracy"]["min"] >= target
        figures = (
            f"default {default['model_share']['mean']:.1%} at {default['model_accuracy']['mean']} accuracy vs "
            f"{other} {row['model_share']['mean']:.1%} at {row['model_accuracy']['mean']}"
        )
        if not other_meets:
            figures += f"; {other} misses the {target:.0%} target, so its share is not at equal accuracy"
        found.append(
            {
                "check": f"default: model-labeled share above {other}'s at the {target:.0%} target",
                "passed": meets_target
                and (not other_meets or default["model_share"]["mean"] > row["model_share"]["mean"]),
                "figures": figures,
            }
        )
    found.append(
        {
            "check": f"aim: >= {aim_share:.0%} of the records labeled by the model at >= {target:.0%} accuracy",
            "passed": meets_target and default["model_share"]["min"] >= aim_share,
            "figures": (
                f"model share lowest {default['model_share']['min']:.1%}, mean {default['model_share']['mean']:.1%}"
            ),
        }
    )
    return found
