"""Margin sampling: the records whose top two class probabilities are closest (Scheffer et al., 2001)."""

from __future__ import annotations

from byoal.predictions import Prediction
from byoal.query_strategies.base import ScoredStrategy


class MarginStrategy(ScoredStrategy):
    """Picks the records with the smallest top-two margin."""

    name = "margin"
    description = "smallest top-two margin"

    def informativeness(self, prediction: Prediction) -> float:
        """Minus the top-two margin (probability units, in [-1, 0])."""
        return -prediction.margin

    def readable_cut(self, cut: float) -> str:
        """``-0.041`` reads ``margin ≤ 4.1 %``."""
        return f"margin ≤ {-cut * 100:.1f} %"
