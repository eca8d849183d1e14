"""The query strategies, by name: the one place that lists them.

Every name here is a valid ``ActiveLearningConfig.QueryStrategy`` (:mod:`byoal.request`), a
``--strategy`` choice of ``scripts.prepare`` and ``scripts.run_local``, a benchmark configuration
(:mod:`benchmarks.active_learning.configurations`) and a row of the docs' table. To add one, write a
module with a :class:`QueryStrategy` subclass beside these and register an instance below.
"""

from __future__ import annotations

from byoal.query_strategies.base import QueryStrategy, ScoredStrategy
from byoal.query_strategies.entropy import EntropyStrategy
from byoal.query_strategies.least_confidence import LeastConfidenceStrategy
from byoal.query_strategies.margin import MarginStrategy
from byoal.query_strategies.random_sampling import RandomStrategy

REGISTRY: dict[str, QueryStrategy] = {
    strategy.name: strategy
    for strategy in (MarginStrategy(), LeastConfidenceStrategy(), EntropyStrategy(), RandomStrategy())
}
"""Name -> strategy, in the order the docs and error messages list them (the default first)."""

NAMES: tuple[str, ...] = tuple(REGISTRY)


def get(name: str) -> QueryStrategy:
    """The registered strategy called ``name``; ValueError naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"no query strategy {name!r}; known: {list(NAMES)}") from None


__all__ = ["NAMES", "REGISTRY", "QueryStrategy", "ScoredStrategy", "get"]
