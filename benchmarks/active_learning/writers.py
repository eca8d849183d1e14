"""The benchmark's outputs: a Markdown table, the JSON document, and the plots (PNG)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.active_learning.configurations import UNBUDGETED

TABLE_COLUMNS = (
    "configuration",
    "runs",
    "human labels used",
    "human labels needed",
    "model labels",
    "model-label accuracy",
    "wrong model labels",
    "final accuracy",
    "rounds",
    "wall s",
    "s/round train / infer / select",
)


def _spread(stat: dict[str, Any], form: str) -> str:
    """``mean`` alone, or ``mean (min–max)`` when the seeds disagree."""
    if stat["mean"] is None:
        return "-"
    text = form.format(stat["mean"])
    if stat["min"] != stat["max"]:
        text += f" ({form.format(stat['min'])}–{form.format(stat['max'])})"
    return text


def _share_and_count(row: dict[str, Any], share: str, count: str) -> str:
    return f"{_spread(row[share], '{:.1%}')}, {row[count]['mean']:,.0f}"


def _timings(row: dict[str, Any]) -> str:
    values = [row[key]["mean"] for key in ("train_seconds", "infer_seconds", "select_seconds")]
    return "-" if None in values else " / ".join(f"{value:.1f}" for value in values)


def table_cells(row: dict[str, Any]) -> list[str]:
    """One aggregated configuration row (``results.aggregate``) as table cells, in :data:`TABLE_COLUMNS` order."""
    return [
        row["name"],
        str(len(row["seeds"])),
        _share_and_count(row, "human_share", "human_labels"),
        _share_and_count(row, "human_needed_share", "human_needed"),
        _share_and_count(row, "model_share", "model_labels"),
        _spread(row["model_accuracy"], "{:.2%}"),
        _spread(row["model_wrong_share"], "{:.1%}"),
        _spread(row["final_accuracy"], "{:.2%}"),
        _spread(row["rounds"], "{:.0f}") if row["rounds"]["mean"] else "-",
        _spread(row["wall_seconds"], "{:.0f}"),
        _timings(row),
    ]


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The aggregated rows as a Markdown table with the :data:`TABLE_COLUMNS` header."""
    lines = ["| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    lines += ["| " + " | ".join(table_cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def curve_table(points: Sequence[dict[str, Any]]) -> str:
    """Per strategy and human labels spent: held-out accuracy and coverage, and the run's own calibration accuracy.

    Each cell is the mean over the seeds that reached that many labels.
    """
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for point in sorted(points, key=lambda point: (point["name"], point["human_labels"])):
        groups.setdefault((point["name"], point["human_labels"]), []).append(point)
    lines = [
        "| strategy | human labels spent | runs | held-out accuracy | held-out coverage at target "
        "| calibration accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for (name, labels), group in groups.items():
        means = [statistics.fmean(point[key] for point in group) for key in ("accuracy", "coverage")]
        validation = [point["calibration_accuracy"] for point in group if point.get("calibration_accuracy") is not None]
        lines.append(
            f"| {name} | {labels:,} | {len(group)} | {means[0]:.3f} | {means[1]:.3f} | "
            + (f"{statistics.fmean(validation):.3f} |" if validation else "- |")
        )
    return "\n".join(lines)


def checks_text(checks: Sequence[dict[str, Any]]) -> str:
    """The checks (``results.checks``) as a Markdown list, each marked PASS or MISS with its figures."""
    return "\n".join(
        f"- {'PASS' if check['passed'] else 'MISS'}: {check['check']} — {check['figures']}" for check in checks
    )


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` as indented UTF-8 JSON, creating the parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colors(names: Sequence[str]) -> dict[str, Any]:
    palette = _pyplot().get_cmap("tab10")
    return {name: palette(index % 10) for index, name in enumerate(dict.fromkeys(names))}


def plot_rounds(results: Sequence[dict[str, Any]], path: Path, *, target: float, aim_share: float = 0.7) -> None:
    """Cumulative model-labeled share and its accuracy by round: one line per run.

    A configuration keeps its color with and without a budget; runs without one are dashed.
    """
    plt = _pyplot()
    runs = [result for result in results if result["per_round"]]
    colors = _colors([run["name"].removesuffix(UNBUDGETED) for run in runs])
    figure, (shares, accuracies) = plt.subplots(1, 2, figsize=(13, 4.8))
    labeled: set[str] = set()
    for run in runs:
        rounds = [row["round"] for row in run["per_round"]]
        style = {
            "color": colors[run["name"].removesuffix(UNBUDGETED)],
            "linestyle": "--" if run["name"].endswith(UNBUDGETED) else "-",
            "marker": "o",
            "markersize": 3,
            "linewidth": 1.2,
            "label": None if run["name"] in labeled else run["name"],
        }
        labeled.add(run["name"])
        shares.plot(rounds, [row["model_share"] for row in run["per_round"]], **style)
        accuracies.plot(rounds, [row["model_accuracy"] for row in run["per_round"]], **style)
    shares.axhline(aim_share, color="black", linestyle=":", linewidth=1)
    accuracies.axhline(
        target, color="black", linestyle=":", linewidth=1, label=f"target {target:.0%} / aim {aim_share:.0%}"
    )
    shares.set(xlabel="round", ylabel="share of the dataset", ylim=(0, 1), title="Labeled by the model (cumulative)")
    accuracies.set(
        xlabel="round",
        ylabel="accuracy against the answer key",
        ylim=(0.8, 1.0),
        title="Accuracy of the model labels (cumulative)",
    )
    for axes in (shares, accuracies):
        axes.grid(alpha=0.3)
        axes.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    accuracies.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_learning_curve(points: Sequence[dict[str, Any]], path: Path, *, target: float) -> None:
    """Held-out accuracy and coverage at the target against human labels spent, one line per run."""
    plt = _pyplot()
    colors = _colors([point["name"] for point in points])
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for point in points:
        runs.setdefault((point["name"], point["seed"]), []).append(point)
    figure, (accuracies, coverages) = plt.subplots(1, 2, figsize=(12, 4.5))
    labeled: set[str] = set()
    for (name, _), run in runs.items():
        run = sorted(run, key=lambda point: point["human_labels"])
        labels = [point["human_labels"] for point in run]
        style = {"color": colors[name], "marker": "o", "markersize": 3, "label": None if name in labeled else name}
        labeled.add(name)
        accuracies.plot(labels, [point["accuracy"] for point in run], **style)
        coverages.plot(labels, [point["coverage"] for point in run], **style)
    accuracies.set(
        xlabel="human labels spent (pre-labeled seed included)",
        ylabel="held-out accuracy",
        title="Accuracy of each round's model on a held-out slice",
    )
    coverages.set(
        xlabel="human labels spent (pre-labeled seed included)",
        ylabel="share of the held-out slice",
        ylim=(0, 1),
        title=f"Held-out share labelable at {target:.0%} accuracy (oracle cut)",
    )
    for axes in (accuracies, coverages):
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
