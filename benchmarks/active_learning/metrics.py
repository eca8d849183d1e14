"""Model-quality figures on held-out records that need only NumPy."""

from __future__ import annotations

import numpy as np


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows whose most probable class is the label.

    ``probabilities`` has shape ``(n, classes)``, ``labels`` shape ``(n,)`` of class indices.
    """
    return float((probabilities.argmax(axis=1) == labels).mean())


def coverage_at_accuracy(probabilities: np.ndarray, labels: np.ndarray, target: float) -> float:
    """Largest share of records that, taken most confident first, are labeled with accuracy >= target.

    An oracle figure (it picks the cut with the true labels): how well the model's confidence
    ranks its own correctness, whatever the calibration that has to find the cut in practice.
    """
    return oracle_coverage(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels, target)


def oracle_coverage(confidence: np.ndarray, correct: np.ndarray, target: float) -> float:
    """:func:`coverage_at_accuracy` from each record's confidence and whether its label is right."""
    order = np.argsort(-confidence, kind="stable")
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    reached = np.nonzero(running >= target)[0]
    return float((reached[-1] + 1) / len(order)) if len(reached) else 0.0
