"""What a finished offline run reports: ``summary.json`` and ``report.html`` with a plot per round."""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from asl_interpreter import read_events
from byoal import manifest, query_strategies
from byoal.calibration import percent_rounded_down
from byoal.storage import LocalStorage

ROUND_STEPS = {
    "TrainModel": "train_seconds",
    "PredictRecords": "infer_seconds",
    "PerformActiveLearning": "select_seconds",
}


def _seconds(event: dict[str, Any]) -> float:
    entered = datetime.fromisoformat(event["entered_time"].replace("Z", "+00:00"))
    exited = datetime.fromisoformat(event["exited_time"].replace("Z", "+00:00"))
    return (exited - entered).total_seconds()


def round_timings(history_path: Path) -> dict[int, dict[str, float]]:
    """Seconds spent training, predicting and selecting in each round, from the execution history."""
    round_of_execution: dict[str, int] = {}
    timings: dict[int, dict[str, float]] = {}
    events = read_events(history_path)
    for event in events:
        if event["event"] == "ExecutionStarted" and isinstance(event.get("input"), dict) and "round" in event["input"]:
            round_of_execution[event["execution_arn"]] = event["input"]["round"]
    for event in events:
        in_round = event.get("execution_arn") in round_of_execution
        if event["event"] == "State" and event["state_name"] in ROUND_STEPS and in_round:
            number = round_of_execution[event["execution_arn"]]
            key = ROUND_STEPS[event["state_name"]]
            timings.setdefault(number, {}).setdefault(key, 0.0)
            timings[number][key] += _seconds(event)
    return timings


def _event_times(event: dict[str, Any]) -> list[datetime]:
    return [
        datetime.fromisoformat(event[key].replace("Z", "+00:00"))
        for key in ("time", "entered_time", "exited_time")
        if isinstance(event.get(key), str)
    ]


def run_time(history_path: Path) -> tuple[float, int]:
    """(seconds, legs): the time the top-level execution ran, summed over its legs, from the execution history.

    A leg starts at the execution's ``ExecutionStarted`` or an ``ExecutionRedriven`` and ends at the last event
    before the next one (or at the end of the file), so the time the run stood stopped between legs — waiting
    for labels, or after a failure — is not counted. (0.0, 0) for a history with no execution.
    """
    events = read_events(history_path)
    top = next((event["execution_arn"] for event in events if event["event"] == "ExecutionStarted"), None)
    legs: list[list[datetime]] = []
    for event in events:
        if event["event"] in ("ExecutionStarted", "ExecutionRedriven") and event["execution_arn"] == top:
            legs.append([])
        if legs:
            legs[-1].extend(_event_times(event))
    seconds = sum((max(times) - min(times)).total_seconds() for times in legs if times)
    return seconds, len(legs)


def failing_task(history_path: Path) -> dict[str, Any] | None:
    """The history event of the task whose failure ended the run, followed into nested executions."""
    events = read_events(history_path)
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


_MESSAGE_KEYS = ("errorMessage", "FailureReason", "Cause", "cause", "message")
_ADVICE = {
    "ValidateInput": "fix the field the message names in the request (or the prepared inputs), then run again",
    "TrainModel": "fix the hyperparameter or the training data the message names (or, with --model-train-command, "
    "the training program or the python that runs it), then run the same command again: it resumes from that "
    "state (add --restart if the cause is in its inputs)",
    "PredictRecords": "check the model's serving code against the message, then run the same command again: "
    "it resumes from that state",
}
DEFAULT_ADVICE = (
    "fix what the message names, then run the same command again: it resumes from that state "
    "(add --restart if the cause is in its inputs)"
)


MAX_CAUSE_LINES = 12
"""Lines of a failure's reason the console shows (a crashed program's last log lines); the rest: the history."""


def failure_message(cause: str | None) -> str:
    """The person-readable reason inside a failure cause: a Lambda's errorMessage, a job's FailureReason, ...

    Its first ``MAX_CAUSE_LINES`` non-blank lines, each cut at 400 characters; lines after the first are
    indented by four spaces so that they read as part of the same message.
    """
    text = cause or ""
    for _ in range(5):  # causes nest: a nested execution's cause holds the task's cause
        try:
            document = json.loads(text)
        except (TypeError, ValueError):
            break
        if not isinstance(document, dict):
            break
        inner = next(
            (document[key] for key in _MESSAGE_KEYS if isinstance(document.get(key), str) and document[key]), None
        )
        if inner is None:
            break
        text = inner
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()] or ["no reason was given"]
    shown = [line if len(line) <= 400 else line[:399] + "…" for line in lines[:MAX_CAUSE_LINES]]
    if len(lines) > MAX_CAUSE_LINES:
        shown.append(f"… {len(lines) - MAX_CAUSE_LINES} more lines")
    return "\n    ".join(shown)


def failure_lines(
    task: dict[str, Any] | None, *, failed_state: str | None, error: str | None, cause: str | None, history_path: Path
) -> list[str]:
    """Two lines for a person: the failing state and its message; what to do and where the full cause is."""
    if task is not None:
        state, error, cause = task["state_name"], task["error"], task["cause"]
        where = task["execution_arn"].rsplit(":", 1)[-1]
        location = f"state {state} ({where})"
    else:
        state = failed_state or "?"
        location = f"state {state}"
    advice = (
        "the labels did not arrive in time; run the same command again: it resumes and waits for them again "
        "(labels already submitted are kept)"
        if error == "States.Timeout"
        else (_ADVICE.get(state, DEFAULT_ADVICE))
    )
    return [
        f"the run failed at {location}: {failure_message(cause)}",
        f"what to do: {advice}. The full cause ({error}) is in {history_path}",
    ]


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
    """The round table (one row per round of ``round_table``) as fixed-width console text; ``-`` for no value."""
    columns = ["round", "auto_labeled", "sent_to_humans", "human_share", "model_share", "calibration_accuracy",
               "calibrated_on", "threshold", "expected_accuracy", "accuracy_bound", "measured_accuracy", "below_target",
               "train_seconds", "infer_seconds", "select_seconds"]
    def cell(value: Any, column: str) -> str:
        if value is None:
            return "-"
        if column == "accuracy_bound":  # rounded down, as the reasons state it: 0.9498 is 0.949, never 0.950
            return f"{math.floor(round(value * 1000, 6)) / 1000:.3f}"
        return f"{value:.3f}" if isinstance(value, float) and value < 1.5 else str(value)
    lines = ["  ".join(f"{column:>14}" for column in columns)]
    lines += ["  ".join(f"{cell(row.get(column), column):>14}" for column in columns) for row in rows]
    return "\n".join(lines)


# Summary figures: (key, name, kind, the sentence that explains it).
SUMMARY_FIGURES = [
    ("records", "Records", "count", "Every record of the input manifest; the final manifest holds each exactly once."),
    (
        "human_labeled",
        "Labeled by people",
        "count",
        "Records a person labeled: before the run, in the seed batch or in a human batch.",
    ),
    (
        "auto_labeled",
        "Labeled by the model",
        "count",
        "Records the model labeled, in rounds where its calibrated accuracy met the target.",
    ),
    ("unlabeled", "Still unlabeled", "count", "Records without a label when the run stopped."),
    ("human_share", "Share labeled by people", "percent", "People's labels as a share of all records."),
    ("model_share", "Share labeled by the model", "percent", "The model's labels as a share of all records."),
    ("input_human_labeled", "Labeled before the run", "count", "Labels the input manifest already carried."),
    (
        "rounds",
        "Learning rounds",
        "count",
        "Rounds of train, predict, auto-label and select that ran; the seed batch is not counted.",
    ),
    (
        "stop_reason",
        "Why the run stopped",
        "text",
        "What ended the loop: every record labeled, or a budget or round limit.",
    ),
    (
        "target_accuracy",
        "Target accuracy",
        "percent",
        "The accuracy the model's labels must reach, judged on held-out human labels.",
    ),
    (
        "risk_tolerance",
        "Risk tolerance",
        "percent",
        "The chance allowed that a round's auto-labels fall below the target even though its calibration test passed.",
    ),
    (
        "query_strategy",
        "Query strategy",
        "text",
        "How each human batch is chosen: "
        + "; ".join(
            f"{name.replace('_', ' ')}, {strategy.description}" for name, strategy in query_strategies.REGISTRY.items()
        )
        + ".",
    ),
    (
        "model_label_accuracy",
        "Model's labels right",
        "percent",
        "Share of the model's labels that match the answer key (only when the data came with one).",
    ),
    (
        "human_label_accuracy",
        "People's labels right",
        "percent",
        "Share of the human labels that match the answer key; below 100 % when annotators make mistakes.",
    ),
    (
        "final_manifest_accuracy",
        "Final manifest right",
        "percent",
        "Share of all labels in the final manifest that match the answer key.",
    ),
    (
        "wall_seconds",
        "Run time",
        "seconds",
        "Sum over the run's legs (start or resume to its last event in the history); time stopped between legs, "
        "e.g. waiting for labels, is not counted.",
    ),
    (
        "final_manifest",
        "Final manifest",
        "text",
        "The result: every input record once, in input order, each label marked as given by a person or the model.",
    ),
    (
        "model",
        "Last model",
        "model",
        "The artifacts of the last trained model, to serve or to start the next run from.",
    ),
]

# Per-round figures: key -> (name, kind, the sentence that explains it). Fields not listed here are
# shown too, with a name made from their key.
ROUND_FIGURES: dict[str, tuple[str, str, str]] = {
    "round": ("Round", "count", "Round 0 is the seed batch, labeled by people before any model is trained."),
    "auto_labeled": ("Auto-labeled", "count", "Records the model labeled in the round."),
    "sent_to_humans": ("Sent to people", "count", "Records of the round's human batch."),
    "human_labeled": ("Labeled by people", "count", "Labels people gave for the round's batch."),
    "human_share": ("People so far", "percent", "Share of all records labeled by people up to the end of the round."),
    "model_share": ("Model so far", "percent", "Share of all records labeled by the model up to the end of the round."),
    "calibration_accuracy": (
        "Calibration accuracy",
        "percent",
        "Share of the round's calibration records (drawn at random from the pool, never trained on) the model got "
        "right.",
    ),
    "calibration_records": (
        "Calibrated on",
        "count",
        "Calibration records still like the pool that the auto-label threshold was tested on.",
    ),
    "calibrated_on": (
        "Calibrated on",
        "count",
        "Calibration records still like the pool that the auto-label threshold was tested on.",
    ),
    "threshold": (
        "Confidence threshold",
        "percent",
        "The model labels a record only when its confidence is at least this.",
    ),
    "calibration_above": (
        "Calibration above threshold",
        "count",
        "Calibration records at or above the confidence threshold (at the most confident candidate when none passed): "
        "the records the expected accuracy and the bound are computed on.",
    ),
    "expected_accuracy": (
        "Expected accuracy",
        "percent",
        "Share of the calibration records at or above the threshold that the model got right.",
    ),
    "measured_accuracy": (
        "Measured accuracy",
        "percent",
        "Share of the round's auto-labels that match the answer key (only with an answer key).",
    ),
    "accuracy_bound": (
        "Accuracy bound",
        "percent_down",
        "Lower confidence bound (Clopper–Pearson, at the level the test gave that threshold: 1 − risk tolerance, "
        "or 1 − half of it) on the accuracy of the calibration records "
        "above the threshold, rounded down; the model auto-labels only when it meets the target.",
    ),
    "lower_bound": (
        "Accuracy bound",
        "percent_down",
        "Lower confidence bound (Clopper–Pearson, at the level the test gave that threshold: 1 − risk tolerance, "
        "or 1 − half of it) on the accuracy of the calibration records "
        "above the threshold, rounded down; the model auto-labels only when it meets the target.",
    ),
    "below_target": (
        "Below target",
        "flag",
        "Whether the measured accuracy of the round's auto-labels fell short of the target.",
    ),
    "pool": ("Pool", "count", "Unlabeled records the round's model predicted."),
    "selected": (
        "Next human batch",
        "count",
        "Records sent to people for the next round: those the query strategy picked plus those drawn for calibration.",
    ),
    "selected_by_strategy": (
        "Picked by strategy",
        "count",
        "Records of the next human batch the query strategy picked as the most informative of the rest of the pool.",
    ),
    "calibration_drawn": (
        "Drawn for calibration",
        "count",
        "Records of the next human batch drawn uniformly at random from the rest of the pool; once labeled they become "
        "calibration records, never trained on.",
    ),
    "calibration_labeled": (
        "Calibration labeled",
        "count",
        "Calibration records of the round's human batch that people labeled.",
    ),
    "calibration_screened": (
        "Calibration screened out",
        "count",
        "Calibration records this round's cuts would have taken out of the pool (at or above the threshold, or at "
        "least as informative as the selection cut): no longer like the pool, later rounds do not calibrate on them.",
    ),
    "selection_cut": (
        "Selection cut",
        "text",
        "The query strategy's score of the least informative record it picked; calibration records scoring at least "
        "as high are screened out (none for random selection).",
    ),
    "train_records": ("Training records", "count", "Human labels the round's model was trained on."),
    "train_seconds": ("Training", "seconds", "Time spent training the round's model."),
    "infer_seconds": ("Predicting", "seconds", "Time spent predicting the unlabeled and held-out records."),
    "select_seconds": ("Selecting", "seconds", "Time spent calibrating, auto-labeling and choosing the next batch."),
}
# The per-round tables, each narrow enough for a laptop screen; new fields join the second.
ROUND_GROUPS = [
    (
        "Who labeled what",
        ["auto_labeled", "sent_to_humans", "human_labeled", "human_share", "model_share", "pool", "selected"],
    ),
    (
        "The model and its auto-labels",
        [
            "train_records",
            "calibration_accuracy",
            "calibration_records",
            "calibrated_on",
            "threshold",
            "calibration_above",
            "expected_accuracy",
            "accuracy_bound",
            "lower_bound",
            "measured_accuracy",
            "below_target",
        ],
    ),
    (
        "The next human batch and the calibration records",
        ["selected_by_strategy", "calibration_drawn", "calibration_labeled", "calibration_screened", "selection_cut"],
    ),
    ("Time", ["train_seconds", "infer_seconds", "select_seconds"]),
]
OTHER_FIGURES_TITLE = "Other figures"
MAX_TABLE_COLUMNS = 10
# Fields that explain rather than measure: shown as the round's note, not as a column.
ROUND_NOTE_FIELDS = ("reason", "no_auto_label_reason", "rule")


def is_note_field(key: str, value: Any) -> bool:
    """A sentence rather than a figure: a known note field, any ``*reason*`` field, or a long text."""
    return key in ROUND_NOTE_FIELDS or "reason" in key.lower() or (isinstance(value, str) and len(value) > 24)
# Per-run constants (shown once, as summary cards) and bookkeeping fields.
ROUND_HIDDEN_FIELDS = ("job_name", "timings", "target_accuracy", "risk_tolerance")
_PERCENT_WORDS = ("accuracy", "share", "rate", "bound", "threshold", "confidence", "fraction", "coverage", "risk")


def readable_name(key: str) -> str:
    """``calibration_records`` / ``calibrationRecords`` / ``calibration-records`` -> ``Calibration records``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


def _kind_of(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, float) and 0 <= value <= 1 and any(word in key.lower() for word in _PERCENT_WORDS):
        return "percent"
    if key.endswith("_seconds"):
        return "seconds"
    if isinstance(value, int):
        return "count"
    return "number" if isinstance(value, float) else "text"


def format_value(value: Any, kind: str) -> str:
    """A figure as people read it: 12,345 · 96.4 % · 1 min 05 s · yes/no · — for none."""
    if value is None or value == "":
        return "—"
    if kind == "model" and isinstance(value, dict):
        return str(value.get("artifacts") or value.get("name") or "—")
    if kind == "flag" or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if kind == "percent":
            return f"{value * 100:.1f} %"
        if kind == "percent_down":
            return percent_rounded_down(value)
        if kind == "seconds":
            minutes, seconds = divmod(float(value), 60)
            return f"{seconds:.1f} s" if minutes == 0 else f"{int(minutes)} min {seconds:02.0f} s"
        if kind == "count" and float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def readable_cut(cut: float | None, strategy: str | None) -> str | None:
    """The query strategy's selection cut (``byoal.policy.selection_cut``) as the records it takes.

    Each strategy words its own cut (:meth:`byoal.query_strategies.QueryStrategy.readable_cut`): ``-0.041``
    under margin reads ``margin ≤ 4.1 %``; a strategy not registered (an older summary's) reads ``score ≥ …``.
    None when there is no cut.
    """
    if cut is None:
        return None
    known = query_strategies.REGISTRY.get(strategy) if strategy is not None else None
    return known.readable_cut(cut) if known is not None else f"score ≥ {cut:.3g}"


def _round_fields(entry: dict[str, Any], table_row: dict[str, Any], strategy: str | None = None) -> dict[str, Any]:
    """One round's figures: its details, the cumulative shares of the round table, timings flattened."""
    fields = {key: value for key, value in entry.items() if key not in ROUND_HIDDEN_FIELDS}
    if "selection_cut" in fields:
        fields["selection_cut"] = readable_cut(fields["selection_cut"], strategy)
    fields.update(entry.get("timings", {}))
    for key in ("human_share", "model_share"):
        if key in table_row:
            fields[key] = table_row[key]
    if "calibration_records" in fields:
        fields.pop("calibrated_on", None)
    return fields


def round_note(fields: dict[str, Any]) -> str | None:
    """Why a round auto-labeled nothing (or fell short of the target), in words; None when nothing needs saying."""
    notes = []
    if fields.get("round") == 0:
        return "Seed batch: people label a random sample before any model is trained."
    if not fields.get("auto_labeled"):
        candidates = [*ROUND_NOTE_FIELDS, *(key for key in fields if "reason" in key.lower())]
        reason = next(
            (fields[key] for key in candidates if isinstance(fields.get(key), str) and fields[key] != "calibrated"),
            None,
        )
        if reason is None and fields.get("threshold") is None:
            reason = "no confidence level reached the target accuracy on the calibration records"
        notes.append(f"Auto-labeled nothing: {reason or 'the model was not sure enough of any record'}.")
    if fields.get("below_target"):
        notes.append("The measured accuracy of its auto-labels fell below the target.")
    notes += [
        f"{readable_name(key)}: {value.rstrip('.')}."
        for key, value in fields.items()
        if is_note_field(key, value) and key not in ROUND_NOTE_FIELDS and "reason" not in key.lower()
    ]
    return " ".join(notes) or None


def round_progress(stats: dict[str, Any]) -> str:
    """One progress line for a finished round: calibration, auto-labels (or why none), the next human batch."""
    accuracy = format_value(stats.get("calibration_accuracy"), "percent")
    calibration = f"{stats.get('calibration_records', 0):,} calibration records ({accuracy} right)"
    auto = stats.get("auto_labeled", 0)
    if auto and stats.get("threshold") is not None:
        labeled = f"auto-labeled {auto:,} at confidence ≥ {format_value(stats['threshold'], 'percent')}"
        if stats.get("accuracy_bound") is not None:
            labeled += (
                f" (expected accuracy {format_value(stats.get('expected_accuracy'), 'percent')}, "
                f"bound {format_value(stats['accuracy_bound'], 'percent_down')})"
            )
    elif auto:
        labeled = f"auto-labeled {auto:,} ({stats.get('rule')})"
    else:
        labeled = round_note({**stats, "round": stats.get("round", 1)}) or "auto-labeled nothing"
        labeled = labeled.removesuffix(".").replace("Auto-labeled nothing", "auto-labeled nothing")
    drawn = stats.get("calibration_drawn")
    people = f"{stats.get('selected', 0):,} to people" + (
        f" ({drawn:,} of them drawn at random for calibration)" if drawn else ""
    )
    return f"{calibration}; {labeled}; {people}"


def report_html(summary: dict[str, Any]) -> str:
    """The run's report as one self-contained HTML page (plots embedded), sized for a 1,400-pixel screen."""
    escape = html.escape
    rows = summary.get("rounds_table", [])
    details = summary.get("round_details", [])
    table_rows = {row["round"]: row for row in rows}
    strategy = summary.get("query_strategy")
    rounds = [_round_fields(entry, table_rows.get(entry.get("round"), {}), strategy) for entry in details]

    headline = (
        f"{format_value(summary.get('records'), 'count')} records: "
        f"{format_value(summary.get('human_share'), 'percent')} labeled by people, "
        f"{format_value(summary.get('model_share'), 'percent')} by the model, "
        f"{format_value(summary.get('unlabeled'), 'count')} still unlabeled, after "
        f"{format_value(summary.get('rounds'), 'count')} learning rounds "
        f"({escape(str(summary.get('stop_reason', '—')))})."
    )
    known = {key for key, *_ in SUMMARY_FIGURES}
    figures = [(key, name, kind, text) for key, name, kind, text in SUMMARY_FIGURES if key in summary]
    legs = summary.get("run_legs") or 1
    if legs > 1:  # a resumed run: its run time covers every leg
        figures = [
            (key, f"{name} ({legs} legs)" if key == "wall_seconds" else name, kind, text)
            for key, name, kind, text in figures
        ]
    figures += [
        (key, readable_name(key), _kind_of(key, value), "")
        for key, value in summary.items()
        if key not in known
        and key not in ("final_manifest_uri", "round_details", "rounds_table", "run_legs")
        and not isinstance(value, (list, dict))
    ]

    def card_class(key: str, kind: str) -> str:
        return "figure wide" if len(format_value(summary[key], kind)) > 24 else "figure"

    cards = "".join(
        f"<div class='{card_class(key, kind)}'>"
        f"<div class='value'>{escape(format_value(summary[key], kind))}</div>"
        f"<div class='name'>{escape(name)}</div>"
        + (f"<div class='explain'>{escape(text)}</div>" if text else "")
        + "</div>"
        for key, name, kind, text in figures
    )

    columns: list[str] = []
    for fields in rounds:
        for key, value in fields.items():
            if key not in columns and not is_note_field(key, value) and not isinstance(value, (list, dict)):
                columns.append(key)
    order = list(ROUND_FIGURES)
    columns.sort(key=lambda key: order.index(key) if key in order else len(order))

    def column(key: str) -> tuple[str, str, str]:
        if key in ROUND_FIGURES:
            return ROUND_FIGURES[key]
        sample = next((fields[key] for fields in rounds if fields.get(key) is not None), None)
        return readable_name(key), _kind_of(key, sample), ""

    def table(title: str, keys: list[str], *, notes: bool) -> str:
        header = "".join(f"<th scope='col'>{escape(column(key)[0])}</th>" for key in ["round", *keys])

        def round_rows(fields: dict[str, Any]) -> str:
            cells = "".join(
                f"<td>{escape(format_value(fields.get(key), column(key)[1]))}</td>" for key in ["round", *keys]
            )
            note = round_note(fields) if notes else None
            below = f"<tr class='note'><td colspan='{len(keys) + 1}'>{escape(note)}</td></tr>" if note else ""
            return f"<tr class='{'noted' if note else ''}'>{cells}</tr>{below}"

        body = "".join(round_rows(fields) for fields in rounds)
        return (
            f"<h3>{escape(title)}</h3><div class='table'><table><thead><tr>{header}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )

    groups: list[tuple[str, list[str]]] = []
    placed = {"round"}
    for title, keys in ROUND_GROUPS:
        chosen = [key for key in keys if key in columns]
        placed.update(chosen)
        groups.append((title, chosen))
    groups.append((OTHER_FIGURES_TITLE, [key for key in columns if key not in placed]))
    chunks = [
        (
            title if start == 0 else f"{title} (part {start // MAX_TABLE_COLUMNS + 1})",
            keys[start : start + MAX_TABLE_COLUMNS],
        )
        for title, keys in groups
        for start in range(0, max(len(keys), 1), MAX_TABLE_COLUMNS)
        if keys
    ]
    tables = "".join(table(title, keys, notes=index == 0) for index, (title, keys) in enumerate(chunks))
    legend = "".join(
        f"<dt>{escape(column(key)[0])}</dt>"
        f"<dd>{escape(column(key)[2] or 'Reported by the workflow for each round.')}</dd>"
        for key in columns
    )
    image = (
        f"<img alt='Per-round plot: who labeled the records, and model quality and threshold' "
        f"src='data:image/png;base64,{_plot(rows)}'>"
        if rows
        else "<p>No learning round ran.</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>byoal run report</title><style>"
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:24px 32px;"
        "max-width:1360px;"
        "color:#1d2330;font-size:15px;line-height:1.45}"
        "h1{font-size:1.6rem;margin:0 0 6px}h2{font-size:1.2rem;margin:28px 0 10px}h3{font-size:1rem;margin:18px 0 6px}"
        ".lede{font-size:1.1rem;margin:0 0 18px}"
        ".figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));grid-auto-flow:dense;gap:12px}"
        ".figure{border:1px solid #d9dde5;border-radius:8px;padding:10px 14px;overflow-wrap:anywhere}"
        ".figure.wide{grid-column:span 2}.figure.wide .value{font-size:0.95rem;font-weight:500}"
        ".value{font-size:1.3rem;font-weight:600}.name{font-weight:600;color:#2f4a7a}"
        ".explain{font-size:0.85rem;color:#5b6475}"
        "img{max-width:100%;height:auto}"
        ".table{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:0.9rem}"
        "th,td{border-bottom:1px solid #e4e7ee;padding:5px 8px;text-align:right;vertical-align:top}"
        "th{background:#f5f6f8;font-weight:600}tr.noted td{border-bottom:none}"
        "tr.note td{text-align:left;color:#8a4b00;padding-top:0;font-size:0.85rem}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;font-size:0.9rem}"
        "dt{font-weight:600}dd{margin:0}"
        "</style></head><body>"
        f"<h1>Active-learning run</h1><p class='lede'>{headline}</p>"
        f"<section class='figures'>{cards}</section>"
        f"<h2>Per round</h2>{image}"
        f"{tables}"
        f"<h2>What the columns mean</h2><dl>{legend}</dl>"
        "</body></html>"
    )


def _plot(rows: list[dict[str, Any]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    rounds = [row["round"] for row in rows]
    figure, (shares, quality) = plt.subplots(1, 2, figsize=(12, 4))
    shares.stackplot(
        rounds,
        [row["human_share"] for row in rows],
        [row["model_share"] for row in rows],
        labels=["labeled by people", "labeled by the model"],
        alpha=0.8,
    )
    shares.set(xlabel="round", ylabel="share of the records", ylim=(0, 1), title="Who labeled the records")
    shares.legend(loc="upper left")
    nan = float("nan")
    quality.plot(
        rounds,
        [nan if row.get("calibration_accuracy") is None else row["calibration_accuracy"] for row in rows],
        marker="o",
        label="accuracy on the calibration records",
    )
    quality.plot(
        rounds,
        [nan if row["threshold"] is None else row["threshold"] for row in rows],
        marker="s",
        label="auto-label confidence threshold",
    )
    quality.set(xlabel="round", ylim=(0, 1.02), title="Model quality and threshold")
    quality.legend(loc="lower right")
    for axes in (shares, quality):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_report(summary: dict[str, Any], path: Path) -> None:
    """Write :func:`report_html` of the run's summary to ``path`` (UTF-8)."""
    path.write_text(report_html(summary), encoding="utf-8")
