"""The configurations the benchmark compares, and the ``scripts.run_local`` arguments of each.

Every configuration runs on the same prepared inputs (the same pre-labeled 20 %), with the
Simulated workforce. A budget (``MaxHumanShare``) puts them at equal human cost; whatever a
configuration leaves unlabeled when the budget is spent is counted as still needing humans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from byoal import query_strategies
from byoal.request import DEFAULTS

DEFAULT = "default"
REFERENCE = "reference"
RANDOM = "random"
MANUAL = "manual"
CALIBRATED_STRATEGIES = query_strategies.NAMES
"""Every registered query strategy runs, calibrated at the default target."""
DEFAULT_STRATEGY = DEFAULTS["QueryStrategy"]
REFERENCE_MARGIN = 0.5
REFERENCE_BATCH_SHARE = 0.1
DEFAULT_BUDGET_SHARE = 0.3
UNBUDGETED = "-unbudgeted"
"""Suffix of the names of configurations run without a human-label budget."""


@dataclass(frozen=True)
class Configuration:
    """One workflow setting; runs of the same ``name`` with different seeds are aggregated together."""

    name: str
    description: str
    options: dict[str, str] = field(default_factory=dict)
    """``scripts.run_local`` option -> value, e.g. ``{"--strategy": "margin"}``."""
    seed: int = 0

    @property
    def run_id(self) -> str:
        """The run's folder name: ``<name>-seed<seed>``."""
        return f"{self.name}-seed{self.seed}"

    def run_local_arguments(self, inputs: str, workdir: str) -> list[str]:
        """The ``scripts.run_local`` command line of this run over the prepared ``inputs`` folder, in ``workdir``."""
        arguments = ["--inputs", inputs, "--workdir", workdir, "--seed", str(self.seed), "--quiet"]
        for option, value in self.options.items():
            arguments += [option, value]
        return arguments


def strategy_description(strategy: str) -> str:
    """How the benchmark pages name a query strategy's configuration (calibrated at the default target)."""
    target = DEFAULTS["TargetAccuracy"]
    if strategy == DEFAULT_STRATEGY:
        return f"product default: {strategy} selection, calibrated auto-labeling at {target}"
    return f"{strategy.replace('_', '-')} selection, calibrated at {target}"


def _budget(share: float | None) -> dict[str, str]:
    return {} if share is None else {"--max-human-share": str(share)}


def _suffix(share: float | None) -> str:
    return "" if share is not None else UNBUDGETED


def comparison_configurations(
    *, records: int, seeds: int, budget_share: float | None = DEFAULT_BUDGET_SHARE
) -> list[Configuration]:
    """The product's default and the other strategies (calibrated at the default target), the reference rule.

    The default and random selection run with ``seeds`` seeds, the others with the first one.
    ``budget_share`` None runs without a human-label budget (until every record is labeled or
    the round limit).
    """
    budget, suffix = _budget(budget_share), _suffix(budget_share)
    configurations = []
    for strategy in CALIBRATED_STRATEGIES:
        name = DEFAULT if strategy == DEFAULT_STRATEGY else strategy
        for seed in range(seeds if name in (DEFAULT, RANDOM) else 1):
            configurations.append(
                Configuration(
                    name=name + suffix,
                    description=strategy_description(strategy),
                    options={"--strategy": strategy, **budget},
                    seed=seed,
                )
            )
    reference_batch = math.ceil(REFERENCE_BATCH_SHARE * records)
    configurations.append(
        Configuration(
            name=REFERENCE + suffix,
            description=(
                f"AWS sample's rule: auto-label when top-two margin > {REFERENCE_MARGIN}, "
                f"a random {REFERENCE_BATCH_SHARE:.0%} of the dataset ({reference_batch:,}) to humans per round"
            ),
            options={
                "--strategy": RANDOM,
                "--fixed-margin-threshold": str(REFERENCE_MARGIN),
                "--batch-size": str(reference_batch),
                **budget,
            },
        )
    )
    return configurations


def unbudgeted_configurations(*, records: int) -> list[Configuration]:
    """The default, random selection and the reference rule with no human-label budget, one seed each."""
    wanted = {DEFAULT, RANDOM, REFERENCE}
    return [
        configuration
        for configuration in comparison_configurations(records=records, seeds=1, budget_share=None)
        if configuration.name.removesuffix(_suffix(None)) in wanted
    ]


def learning_curve_configurations(*, seeds: int) -> list[Configuration]:
    """Margin against random selection, no budget, so each run gives a model per round up to the end."""
    return [
        Configuration(
            name=f"curve-{strategy}",
            description=f"{strategy} selection, learning curve on a held-out slice",
            options={"--strategy": strategy},
            seed=seed,
        )
        for strategy in (DEFAULT_STRATEGY, RANDOM)
        for seed in range(seeds)
    ]
