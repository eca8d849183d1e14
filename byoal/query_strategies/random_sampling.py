"""Random sampling: a seeded uniform sample of the pool, the baseline every other strategy is measured against."""

from __future__ import annotations

from collections.abc import Sequence

from byoal.predictions import Prediction
from byoal.query_strategies.base import QueryStrategy, seeded_sample


class RandomStrategy(QueryStrategy):
    """Picks a seeded uniform random sample; it scores nothing, so it has no selection cut."""

    name = "random"
    description = "a uniform random sample (the baseline)"

    def query(self, candidates: Sequence[tuple[int, Prediction]], *, size: int, seed: int) -> list[int]:
        """A uniform random sample of ``size`` ids drawn with ``random.Random(seed)``, in input order."""
        return seeded_sample(candidates, size=size, seed=seed)
