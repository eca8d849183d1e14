"""What a finished offline run reports: ``summary.json`` and ``report.html`` with a plot per round."""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from byoal import manifest
from byoal.storage import LocalStorage

ROUND_STEPS = {"TrainModel": "train_seconds", "PredictRecords": "infer_seconds", "PerformActiveLearning": "select_seconds"}


def _seconds(event: dict[str, Any]) -> float:
    entered = datetime.fromisoformat(event["entered_time"].replace("Z", "+00:00"))
    exited = datetime.fromisoformat(event["exited_time"].replace("Z", "+00:00"))
    return (exited - entered).total_seconds()


def round_timings(history_path: Path) -> dict[int, dict[str, float]]:
    """Seconds spent training, predicting and selecting in each round, from the execution history."""
    round_of_execution: dict[str, int] = {}
    timings: dict[int, dict[str, float]] = {}
    events = [json.loads(line) for line in history_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for event in events:
        if event["event"] == "ExecutionStarted" and isinstance(event.get("input"), dict) and "round" in event["input"]:
            round_of_execution[event["execution_arn"]] = event["input"]["round"]
    for event in events:
        if event["event"] == "State" and event["state_name"] in ROUND_STEPS and event["execution_arn"] in round_of_execution:
            number = round_of_execution[event["execution_arn"]]
            key = ROUND_STEPS[event["state_name"]]
            timings.setdefault(number, {}).setdefault(key, 0.0)
            timings[number][key] += _seconds(event)
    return timings


def failing_task(history_path: Path) -> dict[str, Any] | None:
    """The history event of the task whose failure ended the run, followed into nested executions."""
    events = [json.loads(line) for line in history_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    failed = [e for e in events if e["event"] == "State" and e["state_type"] == "Task" and e["error"] is not None]
    task = failed[-1] if failed else None
    while task is not None:
        try:
            child = json.loads(task["cause"]).get("ExecutionArn")
        except (TypeError, ValueError, AttributeError):
            return task
        inner = [event for event in failed if event["execution_arn"] == child]
        if not inner:
            return task
        task = inner[-1]
    return None


def label_accuracy(storage: LocalStorage, final_uri: str, answer_key_uri: str, label_attribute: str) -> dict[str, Any]:
    """Accuracy of the final manifest's labels against the answer key, for model and human labels apart."""
    tallies = {"model": [0, 0], "human": [0, 0]}
    answers = manifest.read_records(storage, answer_key_uri)
    for record, answer in zip(manifest.read_records(storage, final_uri), answers, strict=True):
        if record.get("source") != answer.get("source"):
            raise ValueError(f"answer key and final manifest disagree at record {record.get('byoal-id')}")
        if label_attribute in record:
            human = record[f"{label_attribute}-metadata"].get("human-annotated") != "no"
            tally = tallies["human" if human else "model"]
            tally[0] += record[label_attribute] == answer[label_attribute]
            tally[1] += 1
    correct = tallies["model"][0] + tallies["human"][0]
    labeled = tallies["model"][1] + tallies["human"][1]
    return {
        "model_label_accuracy": round(tallies["model"][0] / tallies["model"][1], 4) if tallies["model"][1] else None,
        "human_label_accuracy": round(tallies["human"][0] / tallies["human"][1], 4) if tallies["human"][1] else None,
        "final_manifest_accuracy": round(correct / labeled, 4) if labeled else None,
    }


def round_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per round with the cumulative shares labeled by humans and by the model."""
    total = summary["records"]
    human = summary["input_human_labeled"]
    model = 0
    rows = []
    for entry in summary["round_details"]:
        human += entry.get("human_labeled", 0)
        model += entry.get("auto_labeled", 0)
        rows.append({
            "round": entry["round"],
            "auto_labeled": entry.get("auto_labeled", 0),
            "sent_to_humans": entry.get("sent_to_humans", 0),
            "human_share": round(human / total, 4),
            "model_share": round(model / total, 4),
            "calibration_accuracy": entry.get("calibration_accuracy"),
            "calibrated_on": entry.get("calibration_records"),
            "threshold": entry.get("threshold"),
            "expected_accuracy": entry.get("expected_accuracy"),
            "accuracy_bound": entry.get("accuracy_bound"),
            "measured_accuracy": entry.get("measured_accuracy"),
            "below_target": entry.get("below_target"),
            "no_auto_label_reason": entry.get("no_auto_label_reason"),
            **{key: round(value, 1) for key, value in entry.get("timings", {}).items()},
        })
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    columns = ["round", "auto_labeled", "sent_to_humans", "human_share", "model_share", "calibration_accuracy",
               "calibrated_on", "threshold", "expected_accuracy", "accuracy_bound", "measured_accuracy", "below_target",
               "train_seconds", "infer_seconds", "select_seconds"]
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) and value < 1.5 else str(value)
    lines = ["  ".join(f"{column:>14}" for column in columns)]
    lines += ["  ".join(f"{cell(row.get(column)):>14}" for column in columns) for row in rows]
    return "\n".join(lines)


def _plot(rows: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    rounds = [row["round"] for row in rows]
    figure, (shares, quality) = plt.subplots(1, 2, figsize=(11, 4))
    shares.stackplot(rounds, [row["human_share"] for row in rows], [row["model_share"] for row in rows],
                     labels=["labeled by humans", "labeled by the model"], alpha=0.8)
    shares.set(xlabel="round", ylabel="share of the dataset", ylim=(0, 1), title="Who labeled the records")
    shares.legend(loc="upper left")
    quality.plot(rounds, [row["calibration_accuracy"] for row in rows], marker="o", label="calibration accuracy")
    quality.plot(rounds, [row["threshold"] for row in rows], marker="s", label="auto-label threshold (confidence)")
    quality.set(xlabel="round", ylim=(0, 1.02), title="Model quality and threshold")
    quality.legend(loc="lower right")
    for axes in (shares, quality):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_report(summary: dict[str, Any], path: Path) -> None:
    rows = summary["rounds_table"]
    image = f'<img alt="per-round plot" src="data:image/png;base64,{_plot(rows)}">' if rows else "<p>No learning round ran.</p>"
    facts = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in summary.items() if not isinstance(value, (list, dict))
    )
    header = "".join(f"<th>{html.escape(column)}</th>" for column in (rows[0] if rows else {}))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows)
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>byoal offline run</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
        f"<h1>byoal offline run</h1><table>{facts}</table><h2>Per round</h2>{image}"
        f"<table><tr>{header}</tr>{body}</table></body></html>",
        encoding="utf-8",
    )
