"""Least-confidence sampling: the records whose predicted class has the lowest probability (Lewis & Gale, 1994)."""

from __future__ import annotations

from byoal.predictions import Prediction
from byoal.query_strategies.base import ScoredStrategy


class LeastConfidenceStrategy(ScoredStrategy):
    """Picks the records whose predicted class has the lowest probability."""

    name = "least_confidence"
    description = "lowest top-class probability"

    def informativeness(self, prediction: Prediction) -> float:
        """Minus the top-class probability (in [-1, 0])."""
        return -prediction.confidence

    def readable_cut(self, cut: float) -> str:
        """``-0.61`` reads ``confidence ≤ 61.0 %``."""
        return f"confidence ≤ {-cut * 100:.1f} %"
