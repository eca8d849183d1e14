"""The configurations the benchmark compares, and the ``scripts.run_local`` arguments of each.

Every configuration runs on the same prepared inputs (the same pre-labeled 20 %), with the
Simulated workforce. A budget (``MaxHumanShare``) puts them at equal human cost; whatever a
configuration leaves unlabeled when the budget is spent is counted as still needing humans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DEFAULT = "default"
REFERENCE = "reference"
RANDOM = "random"
MANUAL = "manual"
CALIBRATED_STRATEGIES = ("margin", "least_confidence", "entropy", "random")
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
        return f"{self.name}-seed{self.seed}"

    def run_local_arguments(self, inputs: str, workdir: str) -> list[str]:
        arguments = ["--inputs", inputs, "--workdir", workdir, "--seed", str(self.seed), "--quiet"]
        for option, value in self.options.items():
            arguments += [option, value]
        return arguments


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
    strategy_descriptions = {
        "margin": "product default: margin selection, calibrated auto-labeling at 0.95",
        "least_confidence": "least-confidence selection, calibrated at 0.95",
        "entropy": "entropy selection, calibrated at 0.95",
        "random": "random selection, calibrated at 0.95",
    }
    configurations = []
    for strategy in CALIBRATED_STRATEGIES:
        name = DEFAULT if strategy == "margin" else strategy
        for seed in range(seeds if name in (DEFAULT, RANDOM) else 1):
            configurations.append(
                Configuration(
                    name=name + suffix,
                    description=strategy_descriptions[strategy],
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
                "--strategy": "random",
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
        for strategy in ("margin", "random")
        for seed in range(seeds)
    ]
