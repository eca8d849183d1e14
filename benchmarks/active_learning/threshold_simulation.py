"""``python -m benchmarks.active_learning.threshold_simulation``: threshold procedures on many calibration draws.

A whole workflow run draws one calibration set per round, so comparing threshold procedures run by
run needs hundreds of runs. This trains the default model (``minilm-tfidf``: the container's own
``fit_linear`` on the bundled encoder's embeddings) once per seed on what round 1 trains on — the
pre-labels (``--prelabeled`` of the records, drawn at random) less the ``ValidationShare`` held out
for calibration — and then, ``--draws`` times, draws a calibration set of that size at random from
the records the model never trained on, runs each procedure on it, and applies its threshold to the
rest. Per procedure it prints the round-1 model-labeled share of all records (mean, lowest, highest
over draws and seeds), the true accuracy of those auto-labels (mean and lowest), the share of draws
whose auto-labels fall below target (the guarantee allows δ per seed, up to sampling error), and
the oracle: the largest most-confident share at a true ``TargetAccuracy``.

``--later-round`` also estimates round 2: after the round-1 threshold of the product's procedure,
the model is retrained with a human batch (``--batch`` records: ``CalibrationShare`` of them drawn at
random, the rest chosen by margin) and tested on calibration sets drawn from the pool round 1 left,
of the size round 2 has (round 1's calibration records below its threshold plus the new draw).

``--warm-up-rounds N [N ...]`` (default ``WarmUpRounds``) simulates the warm-up: N rounds that only
send a human batch (``--batch`` records: ``CalibrationShare`` of them drawn at random for calibration,
the rest the margin picks of the current model's predictions of the pool; the model is retrained on
the picks after each batch) and then the first threshold test, by the product's procedure, on the
pool left. Its calibration set has the size the product's would have: round 1's held-out records and
each batch's draw, less those the later picks screen out (taken proportional to the pool the picks
leave). One table per ``--calibration-share``, one row per N: the human labels spent and the
calibration records (means over seeds), the same columns as the round-1 tables, the share of draws
auto-labeling at least ``--share-goal`` of all records, and the oracle. N = 0 is round 1 (same split
and calibration draws); every N draws from the same random stream.

Each record is encoded once (``--embedding-cache`` keeps the vectors between invocations).
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.active_learning.guarantee import BANKING77, SAMPLE
from benchmarks.active_learning.metrics import oracle_coverage
from byoal.calibration import STARTS, choose_threshold
from byoal.policy import calibration_draw_size
from byoal.request import DEFAULTS
from local_runner.model_runtime import CONTAINER_CODE
from scripts import datasets

PRODUCT = "fallback from 25 % and 50 %, δ/2 each (default)"
"""The name of the product's threshold procedure in :data:`PROCEDURES`."""

PROCEDURES: dict[str, tuple[tuple[float, float], ...]] = {
    "one sequence from 25 % (before)": ((0.25, 1.0),),
    "one sequence from 50 %": ((0.50, 1.0),),
    PRODUCT: STARTS,
    "fallback from 25/50/75 %, δ/4, δ/2, δ/4": ((0.25, 0.25), (0.50, 0.5), (0.75, 0.25)),
    "fallback from 10/25/50/75 %, δ/4 each": ((0.10, 0.25), (0.25, 0.25), (0.50, 0.25), (0.75, 0.25)),
}
"""Name -> ``starts`` of ``byoal.calibration.choose_threshold`` ((share of calibration records, share of δ))."""


@dataclass(frozen=True)
class Dataset:
    """A labeled dataset with one sentence embedding per text (``embeddings``: one row of floats per text)."""

    texts: list[str]
    labels: np.ndarray
    embeddings: np.ndarray
    num_classes: int


@dataclass(frozen=True)
class Outcome:
    """One simulated round's result under one threshold procedure."""

    share: float
    """Auto-labeled records as a share of all records."""
    accuracy: float | None
    """True accuracy of the auto-labels; None when there are none."""


@dataclass(frozen=True)
class WarmUp:
    """One seed's first threshold test after ``rounds`` warm-up rounds, by the product's procedure."""

    rounds: int
    human_share: float
    """Human labels spent before the test (pre-labels and warm-up batches) as a share of all records."""
    calibration_records: int
    """Size of each calibration draw."""
    oracle: float
    """The largest most-confident share of all records at a true ``TargetAccuracy``."""
    outcomes: list[Outcome]
    """One per calibration draw."""


def load(path: Path, *, text_column: str, label_column: str, cache: Path | None) -> Dataset:
    """The dataset cleaned as ``scripts.prepare`` cleans it, with each text's sentence embedding."""
    if str(CONTAINER_CODE) not in sys.path:
        sys.path.insert(0, str(CONTAINER_CODE))
    from byoal_model.embeddings import Embedder, EmbeddingCache
    from byoal_model.encoder import load_bundled_encoder

    examples = datasets.usable_examples(
        datasets.load_examples(path, text_column=text_column, label_column=label_column), clean=True
    )
    classes = datasets.classes_for(examples, None, label_column=label_column)
    texts = [example.text for example in examples]
    encoder = load_bundled_encoder()
    embedder = Embedder(encoder, EmbeddingCache(cache, encoder.encoder_id) if cache else None)
    print(f"{path.name}: {len(texts):,} records, {len(classes.codes)} classes; encoding...", flush=True)
    vectors = embedder.embed(texts)
    labels = np.array([classes.index(example.label) for example in examples])
    return Dataset(texts, labels, vectors, len(classes.codes))


def train(data: Dataset, indices: Sequence[int], seed: int):
    """The default model fitted on ``indices``: returns a function from indices to class probabilities."""
    from byoal_model.hyperparameters import Hyperparameters
    from byoal_model.linear import fit_linear

    defaults = Hyperparameters(seed=seed)
    model = fit_linear(
        [data.texts[i] for i in indices], data.embeddings[list(indices)], data.labels[list(indices)].tolist(),
        num_classes=data.num_classes, logistic_c=defaults.logistic_c, embedding_weight=defaults.embedding_weight,
    )
    return lambda chosen: model.predict_proba([data.texts[i] for i in chosen], data.embeddings[list(chosen)])


def evaluate(
    confidence: np.ndarray, correct: np.ndarray, *, size: int, draws: int, scale: float, rng: np.random.Generator,
    target: float, delta: float, procedures: Mapping[str, tuple[tuple[float, float], ...]] | None = None,
) -> dict[str, list[Outcome]]:
    """Each procedure on ``draws`` calibration sets of ``size`` drawn from these records, applied to the rest.

    ``scale`` turns a share of the rest into a share of all records. ``procedures`` (name ->
    ``starts``) defaults to :data:`PROCEDURES`; the random draws do not depend on it.
    """
    procedures = PROCEDURES if procedures is None else procedures
    outcomes: dict[str, list[Outcome]] = {name: [] for name in procedures}
    for _ in range(draws):
        drawn = np.zeros(len(confidence), dtype=bool)
        drawn[rng.choice(len(confidence), size=size, replace=False)] = True
        rest_confidence, rest_correct = confidence[~drawn], correct[~drawn]
        for name, starts in procedures.items():
            decision = choose_threshold(
                confidence[drawn], correct[drawn], target=target, risk_tolerance=delta, starts=starts
            )
            if decision.threshold is None:
                outcomes[name].append(Outcome(0.0, None))
                continue
            above = rest_confidence >= decision.threshold
            outcomes[name].append(
                Outcome(scale * float(above.mean()), float(rest_correct[above].mean()) if above.any() else None)
            )
    return outcomes


def margin_picks(probabilities: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` smallest top-two margins (the default query strategy)."""
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    return np.argsort(top_two[:, 1] - top_two[:, 0], kind="stable")[:count]


def split_first_round(
    data: Dataset, seed: int, *, prelabeled: float, validation_share: float
) -> tuple[np.random.Generator, np.ndarray, np.ndarray, int]:
    """Round 1's records for one seed: (the seed's generator, training indices, unseen indices, calibration size).

    ``prelabeled`` of the records, drawn at random, are the pre-labels; ``validation_share`` of them
    are held out for calibration and stay among the unseen records (the ones the model never trains on).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data.texts))
    labeled = math.floor(prelabeled * len(data.texts))
    calibration_size = round(validation_share * labeled)
    return rng, order[: labeled - calibration_size], order[labeled - calibration_size :], calibration_size


def simulate_seed(
    data: Dataset, seed: int, *, prelabeled: float, validation_share: float, calibration_shares: Sequence[float],
    batch: int, draws: int, target: float, delta: float, later_round: bool,
) -> dict[str, dict[str, list[Outcome]]]:
    """One seed: round 1 (and with ``later_round`` round 2, per ``calibration_shares``) under every procedure.

    Returns setting name ("round 1", "round 2, CalibrationShare s") -> procedure name -> one
    :class:`Outcome` per random calibration draw (``draws`` of them).
    """
    rng, training, unseen, calibration_size = split_first_round(
        data, seed, prelabeled=prelabeled, validation_share=validation_share
    )
    records = len(data.texts)
    labeled = len(training) + calibration_size
    probabilities = train(data, training, seed)(unseen)
    confidence, correct = probabilities.max(axis=1), probabilities.argmax(axis=1) == data.labels[unseen]
    rest = len(unseen) - calibration_size
    results = {
        "round 1": evaluate(
            confidence, correct, size=calibration_size, draws=draws, scale=(records - labeled) / records, rng=rng,
            target=target, delta=delta,
        )
    }
    print(
        f"  seed {seed}: round-1 model on {len(training):,} labels, accuracy {correct.mean():.3f} on the "
        f"{len(unseen):,} it never saw; oracle share of all records at {target}: "
        f"{oracle_coverage(confidence, correct, target) * rest / records:.3f}",
        flush=True,
    )
    if not later_round:
        return results
    # Round 2 starts from one round-1 draw of the product's procedure: its threshold takes the pool above it.
    drawn = rng.choice(len(unseen), size=calibration_size, replace=False)
    decision = choose_threshold(confidence[drawn], correct[drawn], target=target, risk_tolerance=delta, starts=STARTS)
    threshold = decision.threshold if decision.threshold is not None else np.inf
    kept_calibration = int(np.sum(confidence[drawn] < threshold))
    in_draw = np.zeros(len(unseen), dtype=bool)
    in_draw[drawn] = True
    left = unseen[(confidence < threshold) & ~in_draw]
    left_probabilities = probabilities[(confidence < threshold) & ~in_draw]
    for share in calibration_shares:
        new_calibration = calibration_draw_size(batch, share)
        picks = margin_picks(left_probabilities, batch - new_calibration)
        retrained = train(data, np.concatenate([training, left[picks]]), seed)
        pool = np.delete(left, picks)
        pool_probabilities = retrained(pool)
        pool_confidence = pool_probabilities.max(axis=1)
        pool_correct = pool_probabilities.argmax(axis=1) == data.labels[pool]
        results[f"round 2, CalibrationShare {share}"] = evaluate(
            pool_confidence, pool_correct,
            size=min(kept_calibration + new_calibration, len(pool) - 1), draws=draws,
            scale=(len(pool) - kept_calibration - new_calibration) / records, rng=rng, target=target, delta=delta,
        )
        print(
            f"  seed {seed}, round 2 with CalibrationShare {share}: {len(pool):,} records left, "
            f"{kept_calibration} + {new_calibration} calibration records; the retrained model is "
            f"{pool_correct.mean():.3f} right on them, oracle share of all records at {target}: "
            f"{oracle_coverage(pool_confidence, pool_correct, target) * len(pool) / records:.3f}",
            flush=True,
        )
    return results


def simulate_warm_up(
    data: Dataset, seed: int, *, warm_up_rounds: Sequence[int], prelabeled: float, validation_share: float,
    calibration_share: float, batch: int, draws: int, target: float, delta: float,
) -> dict[int, WarmUp]:
    """One seed: the first threshold test after each number of warm-up rounds in ``warm_up_rounds``.

    Each warm-up round spends a human batch of ``batch`` records: ``calibration_draw_size(batch,
    calibration_share)`` calibration records drawn at random, the rest the margin picks of the current
    model's predictions of the pool, which the model is then retrained with. The test runs the
    product's procedure on ``draws`` calibration sets drawn from the pool left and applies it to the
    rest. Returns rounds -> :class:`WarmUp`. ValueError when the batches would leave no record to label.
    """
    rng, training, unseen, calibration_size = split_first_round(
        data, seed, prelabeled=prelabeled, validation_share=validation_share
    )
    draw_size = calibration_draw_size(batch, calibration_share)
    unlabeled = len(unseen) - calibration_size - max(warm_up_rounds) * batch
    if unlabeled <= 0:
        raise ValueError(f"{max(warm_up_rounds)} warm-up batches of {batch} leave no record of "
                         f"{len(data.texts):,} to label")
    pool, calibration = unseen, float(calibration_size)
    probabilities = train(data, training, seed)(pool)
    results: dict[int, WarmUp] = {}
    for rounds in range(max(warm_up_rounds) + 1):
        if rounds in warm_up_rounds:  # every N draws from the stream round 1 of simulate_seed draws from
            results[rounds] = first_test(
                data, pool, probabilities, seed=seed, rounds=rounds, trained_on=len(training),
                human_labels=len(training) + calibration_size + rounds * draw_size,
                calibration_records=round(calibration), draws=draws, rng=copy.deepcopy(rng), target=target,
                delta=delta,
            )
        if rounds < max(warm_up_rounds):
            picks = margin_picks(probabilities, batch - draw_size)
            # The picks screen out the calibration records they would have taken: in proportion, here.
            calibration = calibration * (len(pool) - len(picks)) / len(pool) + draw_size
            training, pool = np.concatenate([training, pool[picks]]), np.delete(pool, picks)
            probabilities = train(data, training, seed)(pool)
    return results


def first_test(
    data: Dataset, pool: np.ndarray, probabilities: np.ndarray, *, seed: int, rounds: int, trained_on: int,
    human_labels: int, calibration_records: int, draws: int, rng: np.random.Generator, target: float, delta: float,
) -> WarmUp:
    """The product's procedure on ``draws`` calibration sets from ``pool`` (its records' class probabilities).

    The pool holds the calibration records and the unlabeled ones (and, approximately, those the
    picks screened out); a share of the rest counts as that share of the records no human labeled.
    """
    records = len(data.texts)
    confidence, correct = probabilities.max(axis=1), probabilities.argmax(axis=1) == data.labels[pool]
    scale = (records - human_labels) / records
    size = min(calibration_records, len(pool) - 1)
    outcomes = evaluate(confidence, correct, size=size, draws=draws, scale=scale, rng=rng, target=target,
                        delta=delta, procedures={PRODUCT: STARTS})[PRODUCT]
    oracle = oracle_coverage(confidence, correct, target) * scale
    print(f"  seed {seed}, {rounds} warm-up rounds: model on {trained_on:,} labels, accuracy {correct.mean():.3f} "
          f"on the {len(pool):,} records left, {size} calibration records; oracle share of all records at {target}: "
          f"{oracle:.3f}", flush=True)
    return WarmUp(rounds, human_labels / records, size, oracle, outcomes)


def summary_cells(by_seed: list[list[Outcome]], target: float) -> list[str]:
    """Table cells over every seed's draws: model share (mean, per seed, lowest, 10th percentile, highest),
    accuracy (mean, lowest), and the shares of draws below ``target`` and labeling nothing."""
    outcomes = [outcome for seed in by_seed for outcome in seed]
    shares = [outcome.share for outcome in outcomes]
    accuracies = [outcome.accuracy for outcome in outcomes if outcome.accuracy is not None]
    below = sum(1 for accuracy in accuracies if accuracy < target)
    return [
        f"{statistics.fmean(shares):.3f}",
        ", ".join(f"{statistics.fmean(outcome.share for outcome in seed):.3f}" for seed in by_seed),
        f"{min(shares):.3f}", f"{float(np.percentile(shares, 10)):.3f}", f"{max(shares):.3f}",
        f"{statistics.fmean(accuracies):.4f}" if accuracies else "-", f"{min(accuracies):.4f}" if accuracies else "-",
        f"{below / len(outcomes):.3f}", f"{(len(outcomes) - len(accuracies)) / len(outcomes):.3f}",
    ]


def report(title: str, by_seed: list[dict[str, list[Outcome]]], target: float) -> None:
    """Print one Markdown table row per procedure: shares and accuracies over every seed's draws."""
    print(f"\n{title}")
    print("| procedure | model share: mean | per seed (mean) | lowest | 10th percentile | highest | accuracy: mean "
          "| lowest | draws below target | draws labeling nothing |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in PROCEDURES:
        print(f"| {name} | {' | '.join(summary_cells([seed[name] for seed in by_seed], target))} |", flush=True)


def report_warm_up(title: str, by_seed: list[dict[int, WarmUp]], target: float, share_goal: float) -> None:
    """Print one Markdown table row per number of warm-up rounds: the first test's shares and accuracies."""
    print(f"\n{title}")
    print("| warm-up rounds | human labels | calibration records | model share: mean | per seed (mean) | lowest "
          "| 10th percentile | highest | accuracy: mean | lowest | draws below target | draws labeling nothing "
          f"| P(share ≥ {share_goal:.2f}) | oracle |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for rounds in sorted(by_seed[0]):
        tests = [seed[rounds] for seed in by_seed]
        shares = [outcome.share for test in tests for outcome in test.outcomes]
        print(
            f"| {rounds} | {statistics.fmean(test.human_share for test in tests):.3f} "
            f"| {statistics.fmean(test.calibration_records for test in tests):.0f} "
            f"| {' | '.join(summary_cells([test.outcomes for test in tests], target))} "
            f"| {sum(share >= share_goal for share in shares) / len(shares):.3f} "
            f"| {statistics.fmean(test.oracle for test in tests):.3f} |",
            flush=True,
        )


def warm_up(
    data: Dataset, name: str, validation_share: float, arguments: argparse.Namespace, *, target: float, delta: float
) -> None:
    """Simulate and report the warm-up settings on the command line for one dataset and ``ValidationShare``."""
    from threadpoolctl import threadpool_limits

    print(f"\n## {name}, ValidationShare {validation_share}, warm-up rounds {arguments.warm_up_rounds}", flush=True)
    for calibration_share in arguments.calibration_share:
        with threadpool_limits(limits=1):
            by_seed = [
                simulate_warm_up(
                    data, seed, warm_up_rounds=arguments.warm_up_rounds, prelabeled=arguments.prelabeled,
                    validation_share=validation_share, calibration_share=calibration_share, batch=arguments.batch,
                    draws=arguments.draws, target=target, delta=delta,
                )
                for seed in range(arguments.seeds)
            ]
        report_warm_up(f"{name}, ValidationShare {validation_share}, first test after the warm-up, "
                       f"CalibrationShare {calibration_share} ({arguments.draws} draws x {arguments.seeds} seeds)",
                       by_seed, target, arguments.share_goal)


def main(argv: list[str] | None = None) -> int:
    """Run the simulation for the datasets and settings on the command line; exit status 0."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.active_learning.threshold_simulation", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dataset", choices=("sample", "banking77"), action="append",
                        help="repeatable; default both")
    parser.add_argument("--banking77", type=Path, default=BANKING77)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--draws", type=int, default=300, help="calibration draws per seed and round")
    parser.add_argument("--prelabeled", type=float, default=0.2, help="share of the records pre-labeled at random")
    parser.add_argument("--validation-share", type=float, nargs="+", default=[DEFAULTS["ValidationShare"]])
    parser.add_argument("--later-round", action="store_true")
    parser.add_argument("--calibration-share", type=float, nargs="+", default=[DEFAULTS["CalibrationShare"]])
    parser.add_argument("--batch", type=int, default=500,
                        help="each round's human batch (HumanBatchShare 0.05 of 10,000)")
    parser.add_argument("--warm-up-rounds", type=int, nargs="+", default=[DEFAULTS["WarmUpRounds"]],
                        help="warm-up rounds before the first threshold test; 0 is round 1")
    parser.add_argument("--share-goal", type=float, default=0.6,
                        help="the warm-up tables give the share of draws auto-labeling at least this share")
    parser.add_argument("--embedding-cache", type=Path)
    arguments = parser.parse_args(argv)
    if min(arguments.warm_up_rounds) < 0:
        parser.error("--warm-up-rounds: N must be 0 or more")
    target, delta = DEFAULTS["TargetAccuracy"], DEFAULTS["RiskTolerance"]
    sources = {
        "sample": (SAMPLE, "TITLE", "CATEGORY"),
        "banking77": (arguments.banking77, "text", "category"),
    }
    from threadpoolctl import threadpool_limits

    for name in arguments.dataset or list(sources):
        path, text_column, label_column = sources[name]
        data = load(path, text_column=text_column, label_column=label_column, cache=arguments.embedding_cache)
        for validation_share in arguments.validation_share:
            print(f"\n## {name}, ValidationShare {validation_share}", flush=True)
            with threadpool_limits(limits=1):
                by_seed = [
                    simulate_seed(
                        data, seed, prelabeled=arguments.prelabeled, validation_share=validation_share,
                        calibration_shares=arguments.calibration_share, batch=arguments.batch,
                        draws=arguments.draws, target=target, delta=delta, later_round=arguments.later_round,
                    )
                    for seed in range(arguments.seeds)
                ]
            for round_name in by_seed[0]:
                report(f"{name}, ValidationShare {validation_share}, {round_name} "
                       f"({arguments.draws} draws x {arguments.seeds} seeds)", [seed[round_name] for seed in by_seed],
                       target)
            warm_up(data, name, validation_share, arguments, target=target, delta=delta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
