"""Entropy sampling: the records whose predicted class distribution has the highest entropy (Settles, 2009, §3.1)."""

from __future__ import annotations

from byoal.predictions import Prediction
from byoal.query_strategies.base import ScoredStrategy


class EntropyStrategy(ScoredStrategy):
    """Picks the records whose class probabilities have the highest entropy."""

    name = "entropy"
    description = "highest entropy of the class probabilities"

    def informativeness(self, prediction: Prediction) -> float:
        """The entropy of the class probabilities, in nats (>= 0)."""
        return prediction.entropy

    def readable_cut(self, cut: float) -> str:
        """``1.2345`` reads ``entropy ≥ 1.234 nats``."""
        return f"entropy ≥ {cut:.3f} nats"
