"""The query-strategy interface: how the next human batch is chosen from the pool.

Modelled on small-text's ``QueryStrategy`` (webis-de/small-text, ``small_text.query_strategies``):
an object with a ``name`` whose ``query`` picks ``size`` candidates. Score-based strategies
(:class:`ScoredStrategy`) rank by :meth:`ScoredStrategy.informativeness` (higher: a human label
teaches the model more) and report a selection cut, the score of the least informative record they
picked, which :class:`byoal.policy.PoolRule` uses to tell which records a round took out of the
pool. A strategy without scores (random sampling) has no cut: it removes no bias from the pool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from byoal.predictions import Prediction
from byoal.sampling import choose_positions


class QueryStrategy(ABC):
    """One way of choosing the human batch; subclasses set ``name`` and ``description``."""

    name: str
    """The ``ActiveLearningConfig.QueryStrategy`` value (and the ``--strategy`` choice) naming it."""
    description: str
    """One phrase for the docs table, the CLI help and the benchmark pages."""

    @abstractmethod
    def query(self, candidates: Sequence[tuple[int, Prediction]], *, size: int, seed: int) -> list[int]:
        """Ids of ``size`` candidates (all when fewer; none when ``size`` <= 0), in the candidates' order.

        ``candidates`` are (record id, prediction) pairs; the same candidates, size and seed give the same ids.
        """

    def informativeness(self, prediction: Prediction) -> float | None:
        """The record's score (higher: more informative); None for a strategy that does not score records."""
        return None

    def selection_cut(self, selected: Sequence[Prediction]) -> float | None:
        """The score of the least informative selected record (None without scores or without a selection).

        A record scoring at least the cut would have been selected by this round (:meth:`removes`).
        """
        scores = [self.informativeness(prediction) for prediction in selected]
        if not scores or any(score is None for score in scores):
            return None
        return min(score for score in scores if score is not None)

    def removes(self, prediction: Prediction, cut: float | None) -> bool:
        """Whether a round that selected with ``cut`` (:meth:`selection_cut`) would have selected this record."""
        score = self.informativeness(prediction)
        return cut is not None and score is not None and score >= cut

    def readable_cut(self, cut: float) -> str:
        """The cut as the records it takes, for the run report (e.g. ``margin ≤ 4.1 %``)."""
        return f"score ≥ {cut:.3g}"


class ScoredStrategy(QueryStrategy):
    """Uncertainty sampling: the ``size`` candidates of highest informativeness, ties broken by input order."""

    @abstractmethod
    def informativeness(self, prediction: Prediction) -> float:
        """The record's score; higher means a human label is expected to teach the model more."""

    def query(self, candidates: Sequence[tuple[int, Prediction]], *, size: int, seed: int) -> list[int]:
        """The ``size`` most informative candidates' ids, in input order (``seed`` unused: no random choice)."""
        if size <= 0 or not candidates:
            return []
        ranked = sorted(range(len(candidates)), key=lambda index: (-self.informativeness(candidates[index][1]), index))
        return [candidates[index][0] for index in sorted(ranked[:size])]


def seeded_sample(candidates: Sequence[tuple[int, Prediction]], *, size: int, seed: int) -> list[int]:
    """A uniform random sample of ``size`` candidate ids (``random.Random(seed)``), in input order."""
    if size <= 0 or not candidates:
        return []
    return [candidates[index][0] for index in sorted(choose_positions(len(candidates), size, seed=seed))]
