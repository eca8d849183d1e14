"""``python -m benchmarks.active_learning.model_comparison``: the bundled model on small training sets.

What limits auto-labeling early is the model trained on the first labels. This trains the bundled
model (in-process, the container's own ``fit``) and a TF-IDF (words and bigrams) + logistic
regression reference on ``n`` labels — ``n - 400`` to train, 400 to validate, as round 1 does with
the seed's 2,000 — and scores a held-out slice of the same dataset:

* accuracy;
* coverage at 95 %: the largest most-confident share labeled at >= 95 % accuracy (an oracle cut);
* what the workflow's threshold test (``byoal.calibration``, on the 400 validation records as
  calibration records) would auto-label of the held-out slice, and how accurate those labels are.

The dataset is cleaned as ``scripts.prepare`` cleans it, so the texts are those the workflow sees.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.active_learning.metrics import accuracy, coverage_at_accuracy
from byoal.calibration import choose_threshold
from byoal.request import DEFAULTS
from local_runner.model_runtime import CONTAINER_CODE
from scripts import datasets

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "uci_news_sample.csv.gz"
VALIDATION = 400
TARGET = 0.95

Trainer = Callable[[list[str], list[int], list[str], list[int], int], Callable[[list[str]], np.ndarray]]
"""(train texts, labels, validation texts, labels, seed) -> a function from texts to class probabilities."""


@dataclass(frozen=True)
class Split:
    """One seeded split of ``(text, class index)`` rows into training, validation and held-out records."""
    train: list[tuple[str, int]]
    validation: list[tuple[str, int]]
    held_out: list[tuple[str, int]]


def make_split(rows: Sequence[tuple[str, int]], *, size: int, held_out: int, seed: int) -> Split:
    """A seeded shuffle: the held-out slice first, then 400 validation and ``size - 400`` training records."""
    if size <= VALIDATION or size + held_out > len(rows):
        raise ValueError(f"{size} labels and {held_out} held out need more than {VALIDATION} and at most {len(rows)}")
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    return Split(
        train=shuffled[held_out + VALIDATION : held_out + size],
        validation=shuffled[held_out : held_out + VALIDATION],
        held_out=shuffled[:held_out],
    )


def policy_auto_labels(
    validation_probabilities: np.ndarray, validation_labels: np.ndarray, probabilities: np.ndarray, labels: np.ndarray
) -> tuple[float, float | None]:
    """Share of ``probabilities``' records the threshold test auto-labels, and their accuracy."""
    decision = choose_threshold(
        validation_probabilities.max(axis=1),
        validation_probabilities.argmax(axis=1) == validation_labels,
        target=TARGET, risk_tolerance=DEFAULTS["RiskTolerance"],
    )
    if decision.threshold is None:
        return 0.0, None
    chosen = probabilities.max(axis=1) >= decision.threshold
    labeled_accuracy = accuracy(probabilities[chosen], labels[chosen]) if chosen.any() else None
    return float(chosen.mean()), labeled_accuracy


def score(trainer: Trainer, split: Split, seed: int) -> dict[str, float | None]:
    """Train on ``split`` and score its held-out slice.

    Returns ``accuracy``, ``coverage`` (at :data:`TARGET`), ``policy_share`` and ``policy_accuracy``
    (None when the threshold test auto-labels nothing), all shares in [0, 1].
    """
    predict = trainer(*_columns(split.train), *_columns(split.validation), seed)
    texts, labels = _columns(split.held_out)
    validation_texts, validation_labels = _columns(split.validation)
    probabilities, truth = predict(texts), np.array(labels)
    share, labeled_accuracy = policy_auto_labels(
        predict(validation_texts), np.array(validation_labels), probabilities, truth
    )
    return {
        "accuracy": accuracy(probabilities, truth),
        "coverage": coverage_at_accuracy(probabilities, truth, TARGET),
        "policy_share": share,
        "policy_accuracy": labeled_accuracy,
    }


def _columns(rows: Sequence[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [text for text, _ in rows], [label for _, label in rows]


def bundled_model(num_classes: int) -> Trainer:
    """The bundled container's ``fit`` and ``Predictor``, run in-process with default hyperparameters but the seed."""
    if str(CONTAINER_CODE) not in sys.path:
        sys.path.insert(0, str(CONTAINER_CODE))
    from byoal_model.channels import Channel
    from byoal_model.fitting import fit
    from byoal_model.hyperparameters import Hyperparameters
    from byoal_model.predictor import Predictor

    def train(texts, labels, validation_texts, validation_labels, seed):
        trained = fit(
            Hyperparameters(seed=seed, num_classes=num_classes),
            num_classes,
            Channel("train", texts, labels),
            Channel("validation", validation_texts, validation_labels),
        )
        return Predictor(trained.model, {"classes": [str(index) for index in range(num_classes)]}).predict_proba

    return train


def tfidf_logistic_regression() -> Trainer:
    """The reference model: TF-IDF of words and bigrams (on the container's cleaned text), logistic regression C=10."""
    if str(CONTAINER_CODE) not in sys.path:
        sys.path.insert(0, str(CONTAINER_CODE))
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from byoal_model.text import clean_texts

    def train(texts, labels, validation_texts, validation_labels, seed):
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        model = LogisticRegression(C=10.0, max_iter=2000).fit(vectorizer.fit_transform(clean_texts(texts)), labels)
        return lambda batch: model.predict_proba(vectorizer.transform(clean_texts(batch)))

    return train


def summarize(scores: Sequence[dict[str, float | None]]) -> dict[str, str]:
    """Mean and range over splits of each figure, formatted."""
    cells = {}
    for key in ("accuracy", "coverage", "policy_share", "policy_accuracy"):
        values = [entry[key] for entry in scores if entry[key] is not None]
        if not values:
            cells[key] = "-"
            continue
        cells[key] = f"{statistics.fmean(values):.3f} ({min(values):.3f}–{max(values):.3f})"
    return cells


def main(argv: list[str] | None = None) -> int:
    """Print the comparison as a Markdown table, one row per model and label count; returns the exit code 0."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.active_learning.model_comparison", description=__doc__)
    parser.add_argument("--dataset", type=Path, default=SAMPLE)
    parser.add_argument("--text-column", default="TITLE")
    parser.add_argument("--label-column", default="CATEGORY")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 3000, 4000], help="labels, validation included")
    parser.add_argument("--held-out", type=int, default=2000)
    parser.add_argument("--splits", type=int, default=3)
    arguments = parser.parse_args(argv)

    examples = datasets.usable_examples(
        datasets.load_examples(
            arguments.dataset, text_column=arguments.text_column, label_column=arguments.label_column
        ),
        clean=True,
    )
    classes = datasets.classes_for(examples, None, label_column=arguments.label_column)
    rows = [(example.text, classes.index(example.label)) for example in examples]
    models = {"bundled": bundled_model(len(classes.codes)), "tfidf+logreg": tfidf_logistic_regression()}
    print("| model | labels | held-out accuracy | coverage at 95 % | policy auto-labels | their accuracy |")
    print("|---|---|---|---|---|---|")
    for size in arguments.sizes:
        splits = [
            make_split(rows, size=size, held_out=arguments.held_out, seed=seed) for seed in range(arguments.splits)
        ]
        for name, trainer in models.items():
            cells = summarize([score(trainer, split, seed) for seed, split in enumerate(splits)])
            print(
                f"| {name} | {size:,} | {cells['accuracy']} | {cells['coverage']} | {cells['policy_share']} "
                f"| {cells['policy_accuracy']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
