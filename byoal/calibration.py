"""The auto-labeling threshold: a finite-sample test on human-labeled calibration records.

The guarantee: the records at or above the chosen confidence threshold are labeled by the model
with accuracy at least ``target`` with probability at least ``1 - risk_tolerance`` (δ), provided
the calibration records are a uniform random sample of the records the threshold is applied to
and the model never trained on them.

The procedure is "Learn then Test" (Angelopoulos, Bates, Candès, Jordan, Lei, 2021,
arXiv:2110.01052, §3: fixed-sequence testing, which controls the family-wise error rate at δ
without a multiplicity correction when the hypotheses are ordered before looking at labels), with
several starting points. For each candidate threshold t the null hypothesis is H0(t): the accuracy
of the records with confidence >= t is below ``target``. Among the n calibration records at or
above t, e are wrong; under H0 the error count is at least Binomial(n, 1 - target) in
distribution, so

    p(t) = P(Binomial(n, 1 - target) <= e)

is a valid p-value (the exact one-sided binomial test, whose inversion is the Clopper–Pearson
bound). Candidates are the calibration records' confidences, most confident first, never with
fewer records at or above them than a pass needs at all (``byoal.feasibility.min_calibration_records``);
that order uses no label, so the test stays valid.

A single sequence stops at its first non-rejection, so two wrong records among the most confident
hundred can end a round that would have passed lower down. Angelopoulos et al. discuss running a
sequence from each of several label-free starting points, each at its share of δ (Bonferroni), and
keeping what any of them rejects. This uses the uniformly more powerful form of that split, the
*fallback procedure* (Wiens, Pharmaceutical Statistics 2003; Wiens & Dmitrienko, J. Biopharm.
Stat. 2005). Each start k (``STARTS``: the first candidate with at least share s_k of the
calibration records at or above it, and at least as many as a pass at level δ_k needs) is allotted
δ_k, with Σ δ_k <= δ. Walking down the candidates, each is tested at its allotment (0 between
starts) plus the level of the candidate before it if that one was rejected: a sequence that
reaches the next start without a failure carries its level on (to the full δ at the last start),
and one that failed gets a fresh δ_k at the next start. The threshold is the lowest rejected
candidate; its bound is the Clopper–Pearson bound at the level it was tested at.

Why the family-wise error stays at most δ, for any dependence between the p-values: if a true H0
is rejected, let i be the first one. Only an unbroken run of rejections carries a level on, and
every rejection before i is of a false null, so i's level is at most δ_i plus the allotments of
the false nulls between the previous true null and i. Those stretches are disjoint for different
true nulls, so the levels of all true nulls sum to at most Σ δ_k <= δ, and by the union bound
P(some true H0 rejected) <= δ. With one start allotted all of δ it is the plain fixed sequence.

Vishwakarma, Lin, Sala, Vinayak, "Promises and Pitfalls of Threshold-based Auto-labeling"
(NeurIPS 2023) analyse this loop (threshold-based auto-labeling, TBAL): each round draws
validation data from the records still unlabeled, picks the lowest threshold whose estimated error
there, plus a confidence term, stays within the tolerated error, auto-labels the pool above it, and
drops the validation records that fall in the auto-labeled region. Their bounds show that the
validation data must come from the pool the round auto-labels and that its size limits how much can
be auto-labeled ("prohibitive validation data usage"). Here the exact binomial test takes the place
of their union-bound confidence term, which is looser for the few hundred records a run has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from byoal.feasibility import min_calibration_records

STARTS: tuple[tuple[float, float], ...] = ((0.25, 0.5), (0.5, 0.5))
"""(share of the calibration records, share of δ) of each starting point of the test, most confident first.

A start at the fewest records that can pass (45 at a 0.95 target, δ 0.1) lets one wrong record near
the top end the test; a start deep in the ranking labels nothing when the passing region is smaller.
Measured with ``benchmarks.active_learning.threshold_simulation`` (round 1 of the default model,
1,400 training labels, 600 calibration records, 200 random calibration draws on each of 3 seeds;
docs/benchmarks.md): one sequence from a quarter and this fallback from a quarter and a half labeled
the same on average (61.3 % and 61.4 % of the bundled sample, 50.0 % and 49.7 % of Banking77); with
400 calibration records the fallback labeled 57.2 % (one sequence 55.8 %) and 49.3 % (47.7 %), and
labeled nothing on 2.3 % and 3.2 % of the draws (5.7 % and 8.2 %)."""


def lower_bound(correct: int, total: int, risk_tolerance: float) -> float:
    """One-sided Clopper–Pearson lower confidence bound (level 1 - δ) on an accuracy seen as correct/total."""
    if total == 0 or correct == 0:
        return 0.0
    return float(stats.beta.ppf(risk_tolerance, correct, total - correct + 1))


def percent_rounded_down(share: float, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage rounded down (0.9498 -> ``94.9 %``).

    Rounded down so that a bound below the target never reads as equal to it.
    """
    scale = 10**decimals
    return f"{math.floor(round(share * 100 * scale, 6)) / scale:.{decimals}f} %"


def percent_exact(share: float) -> str:
    """A share in [0, 1] as a percentage with no rounding beyond float noise (0.95 -> ``95 %``, 0.975 -> ``97.5 %``)."""
    return f"{round(share * 100, 6):g} %"


@dataclass(frozen=True)
class ThresholdDecision:
    """What the threshold test decided for one round, with the figures its console line and report show."""

    threshold: float | None
    """Lowest confidence the model may auto-label; None when no candidate passed."""
    calibration_records: int
    """Calibration records the test ran on."""
    records_above: int
    """Calibration records at or above the threshold (at the first candidate when none passed)."""
    expected_accuracy: float | None
    """Share right among those records."""
    accuracy_bound: float | None
    """Their Clopper–Pearson lower bound at the level the test gave that candidate (at most δ; >= target when a
    threshold passed)."""
    reason: str | None
    """Why nothing may be auto-labeled; None when a threshold passed."""


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    *,
    target: float,
    risk_tolerance: float,
    at_least: int = 1,
    starts: Sequence[tuple[float, float]] = STARTS,
) -> ThresholdDecision:
    """The lowest confidence threshold the fallback binomial test accepts (see the module docstring).

    ``confidences`` (the model's top-class probability, in [0, 1]) and ``correct`` (whether its label
    matches the human one) describe the calibration records, in any order. Candidates need at least
    ``at_least`` records at or above them, and never fewer than ``min_calibration_records``.
    ``starts``: (share of the calibration records, share of δ) pairs, the shares of δ summing to more than 0
    and at most 1 (ValueError otherwise); ``((0.25, 1.0),)`` is a single fixed sequence from a quarter of the records.
    """
    weights = [weight for _, weight in starts]
    if (
        any(not 0 <= share <= 1 for share, _ in starts)
        or min(weights, default=-1) < 0
        or not 0 < sum(weights) <= 1 + 1e-9
    ):
        raise ValueError(f"starts must be (share in [0, 1], weight >= 0) pairs, weights summing to (0, 1]: {starts}")
    confidence = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=bool)
    needed = max(min_calibration_records(target, risk_tolerance), at_least)
    total = len(confidence)
    if total < needed:
        return ThresholdDecision(
            threshold=None, calibration_records=total, records_above=0, expected_accuracy=None, accuracy_bound=None,
            reason=(
                f"too few calibration records: {total}, a pass needs at least {needed} "
                f"(TargetAccuracy {target}, RiskTolerance {risk_tolerance})"
            ),
        )
    order = np.argsort(-confidence, kind="stable")
    sorted_confidence = confidence[order]
    errors = np.cumsum(~hits[order])
    # A candidate is a distinct confidence; the records at or above it end where the next lower value starts.
    last_of_value = np.nonzero(np.append(sorted_confidence[1:] != sorted_confidence[:-1], True))[0]
    counts = last_of_value + 1
    candidate_errors = errors[last_of_value]
    possible = counts >= needed
    counts, candidate_errors, last_of_value = counts[possible], candidate_errors[possible], last_of_value[possible]
    # Each start allots its share of δ to the first candidate with at least its share of the records above it,
    # and at least as many as can pass at that level (or to the last candidate, if there are fewer records).
    allotted: dict[int, float] = {}
    for share, weight in starts:
        if weight > 0:
            level = weight * risk_tolerance
            least = max(needed, math.ceil(share * total), min_calibration_records(target, level))
            index = min(int(np.searchsorted(counts, least)), len(counts) - 1)
            allotted[index] = allotted.get(index, 0.0) + level
    p_values = stats.binom.cdf(candidate_errors, counts, 1.0 - target)
    # Fallback procedure: a candidate's level is its allotment plus the previous candidate's level if that one
    # was rejected; between starts the allotment is 0, so after a failure nothing passes until the next start.
    checkpoints = sorted(allotted)
    chosen, chosen_level, carried = None, 0.0, 0.0
    for position, begin in enumerate(checkpoints):
        end = checkpoints[position + 1] if position + 1 < len(checkpoints) else len(counts)
        level = allotted[begin] + carried
        failures = np.nonzero(p_values[begin:end] > level)[0]
        passed = int(failures[0]) if len(failures) else end - begin
        if passed:
            chosen, chosen_level = begin + passed - 1, level
        carried = level if passed == end - begin else 0.0
    if chosen is None:
        return _nothing_passed(counts, candidate_errors, checkpoints, allotted, total, target, risk_tolerance)
    n, wrong = int(counts[chosen]), int(candidate_errors[chosen])
    return ThresholdDecision(
        threshold=float(sorted_confidence[last_of_value[chosen]]), calibration_records=total, records_above=n,
        expected_accuracy=round((n - wrong) / n, 4), accuracy_bound=round(lower_bound(n - wrong, n, chosen_level), 4),
        reason=None,
    )


def _nothing_passed(
    counts: np.ndarray, errors: np.ndarray, checkpoints: list[int], allotted: dict[int, float], total: int,
    target: float, risk_tolerance: float,
) -> ThresholdDecision:
    """The decision when no candidate passed: the figures where the test started, and at its later starts."""

    def figures(index: int) -> tuple[int, int, float]:
        n, right = int(counts[index]), int(counts[index] - errors[index])
        return n, right, lower_bound(right, n, allotted[index])

    n, right, bound = figures(checkpoints[0])
    if len(checkpoints) == 1:
        level = f"RiskTolerance {risk_tolerance}"
    else:
        level = f"at level {allotted[checkpoints[0]]:.4g} of RiskTolerance {risk_tolerance}"
    later = []
    for index in checkpoints[1:]:
        later_n, later_right, later_bound = figures(index)
        later.append(f"{later_right} of {later_n} right, bound {percent_rounded_down(later_bound)}")
    return ThresholdDecision(
        threshold=None, calibration_records=total, records_above=n,
        expected_accuracy=round(right / n, 4), accuracy_bound=round(bound, 4),
        reason=(
            f"the accuracy bound at the most confident candidate is below target: "
            f"{percent_rounded_down(bound)} < {percent_exact(target)} "
            f"({right} of the {n} most confident calibration records right, {level})"
            + (f"; nor at the test's later starts ({'; '.join(later)})" if later else "")
        ),
    )
