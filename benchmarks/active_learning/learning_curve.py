"""Learning curves: accuracy of each round's model on records the workflow never sees.

A stratified slice of the dataset is held out before ``scripts.prepare`` runs on the rest, so no
human label, validation record or auto-label ever comes from it. Each round's trained model is
then scored on that slice: plain accuracy, and the share it could label at the target accuracy
(``coverage_at_accuracy``). The x axis is the human labels spent when the model was trained, the
pre-labeled seed included (the round's validation records among them).
"""

from __future__ import annotations

import csv
import gzip
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.active_learning.metrics import accuracy, coverage_at_accuracy
from benchmarks.active_learning.runs import BenchmarkError
from byoal.storage import LocalStorage
from local_runner.model_runtime import load_packed_model
from local_runner.sagemaker import EMBEDDING_CACHE
from scripts import datasets

HELD_OUT_SEED = 7


@dataclass(frozen=True)
class HeldOut:
    """The held-out slice the curve is scored on: ``texts[i]`` has class index ``labels[i]`` (shape ``(n,)``)."""
    texts: list[str]
    """As the workflow's records are: cleaned the way ``scripts.prepare`` cleans them."""
    labels: np.ndarray
    class_names: list[str]


def split_dataset(dataset: Path, workflow_csv: Path, *, size: int, text_column: str, label_column: str) -> HeldOut:
    """Write the dataset minus a stratified held-out slice of ``size`` records to ``workflow_csv``."""
    examples = datasets.usable_examples(
        datasets.load_examples(dataset, text_column=text_column, label_column=label_column), clean=False
    )
    if not 0 < size < len(examples):
        raise BenchmarkError(
            f"a held-out slice of {size} records needs a dataset of more than {size} (it has {len(examples)})"
        )
    classes = datasets.classes_for(examples, None, label_column=label_column)
    labels = [classes.index(example.label) for example in examples]
    held_out = datasets.choose_labeled(
        labels, num_classes=len(classes.codes), fraction=size / len(examples), seed=HELD_OUT_SEED
    )
    workflow_csv.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(workflow_csv, "wt", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([text_column, label_column])
        writer.writerows(
            [example.text, example.label] for position, example in enumerate(examples) if position not in held_out
        )
    positions = sorted(held_out)
    return HeldOut(
        texts=[datasets.clean_text(examples[position].text) for position in positions],
        labels=np.array([labels[position] for position in positions]),
        class_names=classes.names,
    )


def _load_predictor(archive: Path, directory: Path, embedding_cache: Path) -> Any:
    """A round's model as the offline runner loads it (sharing the run's sentence-embedding cache, so
    the held-out texts are encoded once per run), without TensorFlow's retracing warnings."""
    import tensorflow as tf

    # Each round's model is a new Predictor with its own traced function; TensorFlow warns about retracing.
    tf.get_logger().setLevel("ERROR")
    return load_packed_model(archive, directory, embedding_cache=embedding_cache)


def curve_points(result: dict[str, Any], held_out: HeldOut, *, target: float) -> list[dict[str, Any]]:
    """One point per round of a finished run: human labels spent, held-out accuracy and coverage."""
    storage = LocalStorage(Path(result["workdir"]) / "s3")
    points = []
    for row in result["per_round"]:
        with tempfile.TemporaryDirectory(prefix="byoal-curve-") as scratch:
            predictor = _load_predictor(
                storage.path(row["model_artifacts"]), Path(scratch), Path(result["workdir"]) / EMBEDDING_CACHE
            )
            if predictor.classes != held_out.class_names:
                raise ValueError(
                    f"the model's classes {predictor.classes} are not the held-out slice's {held_out.class_names}"
                )
            probabilities = predictor.predict_proba(held_out.texts)
        points.append(
            {
                "name": result["name"],
                "seed": result["seed"],
                "round": row["round"],
                "human_labels": row["human_labels_before"],
                "accuracy": round(accuracy(probabilities, held_out.labels), 4),
                "coverage": round(coverage_at_accuracy(probabilities, held_out.labels, target), 4),
                "calibration_accuracy": row["calibration_accuracy"],
            }
        )
    return points
