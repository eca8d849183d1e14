"""The active-learning policy: which records the model may label, and which go to humans next.

A round auto-labels the pool records at or above a confidence threshold chosen by a
finite-sample test on calibration records (:mod:`byoal.calibration`), then sends the most
informative of the rest to humans (``select_for_humans``), together with a uniform random
calibration sample of what is left (``draw_calibration``). The rules by which a round takes records
out of the pool (:class:`PoolRule`) also screen the earlier rounds' calibration records: one that a
rule would have taken out is no longer a sample of the pool and stops calibrating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from byoal import query_strategies
from byoal.predictions import Prediction
from byoal.sampling import choose_positions


@dataclass(frozen=True)
class PoolRule:
    """How one round took records out of the pool, as cuts on that round's predictions.

    A record leaves the pool when it is auto-labeled (confidence >= ``threshold``, or margin >
    ``minimum_margin`` under the fixed-margin rule) or selected by the query strategy
    (informativeness >= ``selection_cut``; None for random selection, which removes no bias).
    ``strategy`` names a registered query strategy (:mod:`byoal.query_strategies`).
    """

    strategy: str
    threshold: float | None = None
    minimum_margin: float | None = None
    selection_cut: float | None = None

    def auto_labels(self, prediction: Prediction) -> bool:
        """Whether the round auto-labeled a record with this prediction."""
        if self.minimum_margin is not None:
            return prediction.margin > self.minimum_margin
        return self.threshold is not None and prediction.confidence >= self.threshold

    def removes(self, prediction: Prediction) -> bool:
        """Whether this round would have taken a record with this prediction out of the pool."""
        if self.auto_labels(prediction):
            return True
        return query_strategies.get(self.strategy).removes(prediction, self.selection_cut)


def select_for_humans(
    candidates: Sequence[tuple[int, Prediction]], *, strategy: str, size: int, seed: int
) -> list[int]:
    """Ids of ``size`` candidates ((id, prediction) pairs) the named query strategy picks, in input order.

    ValueError for an unregistered strategy (:func:`byoal.query_strategies.get`).
    """
    return query_strategies.get(strategy).query(candidates, size=size, seed=seed)


def selection_cut(selected: Sequence[Prediction], strategy: str) -> float | None:
    """The informativeness of the least informative selected record: the query strategy's cut (None for random)."""
    return query_strategies.get(strategy).selection_cut(selected)


def draw_calibration(candidates: Sequence[int], size: int, *, seed: int | str) -> list[int]:
    """A uniform random sample of ``size`` ids (all of them when fewer), in the candidates' order."""
    if size <= 0:
        return []
    chosen = choose_positions(len(candidates), size, seed=seed)
    return [identity for index, identity in enumerate(candidates) if index in chosen]


def calibration_draw_size(batch_size: int, share: float) -> int:
    """Records of a human batch of ``batch_size`` drawn at random for calibration (``CalibrationShare``)."""
    return min(batch_size, round(share * batch_size))
