"""The auto-labeling threshold: a finite-sample test on human-labeled calibration records.

The guarantee: the records at or above the chosen confidence threshold are labeled by the model
with accuracy at least ``target`` with probability at least ``1 - risk_tolerance`` (δ), provided
the calibration records are a uniform random sample of the records the threshold is applied to
and the model never trained on them.

The procedure is "Learn then Test" (Angelopoulos, Bates, Candès, Jordan, Lei, 2021,
arXiv:2110.01052, §3: fixed-sequence testing, which controls the family-wise error rate at δ
without a multiplicity correction when the hypotheses are ordered before looking at labels). For
each candidate threshold t the null hypothesis is H0(t): the accuracy of the records with
confidence >= t is below ``target``. Among the n calibration records at or above t, e are wrong;
under H0 the error count is at least Binomial(n, 1 - target) in distribution, so

    p(t) = P(Binomial(n, 1 - target) <= e)

is a valid p-value (the exact one-sided binomial test, whose inversion is the Clopper–Pearson
bound). Candidates are the calibration records' confidences, most confident first, starting at the
first one with at least ``START_SHARE`` of the calibration records at or above it, and never fewer
than a pass needs at all (``byoal.feasibility.min_calibration_records``); that order uses no label, so the test stays valid.
The test rejects H0 while p <= δ and stops at the first non-rejection; the threshold is the lowest
rejected candidate.

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
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from byoal.feasibility import min_calibration_records


START_SHARE = 0.25
"""Where the fixed sequence starts, as a share of the calibration records.

Starting at the fewest records that can pass (45 at a 0.95 target, δ 0.1) lets one wrong record
near the top end the test: they must all be right. Measured on round 1 of five bundled-sample runs
(400-1,000 calibration records): a start at a quarter of them gave the same threshold on four; on
the fifth, one error at rank 51-55 of 1,000 stopped the sequence at 50 records and 362 auto-labels,
where the sequence from 250 auto-labels 4,659 (96.1 % right). The cost: a round whose passing region
holds fewer than a quarter of the calibration records auto-labels nothing."""


def lower_bound(correct: int, total: int, risk_tolerance: float) -> float:
    """One-sided Clopper–Pearson lower confidence bound (level 1 - δ) on an accuracy seen as correct/total."""
    if total == 0 or correct == 0:
        return 0.0
    return float(stats.beta.ppf(risk_tolerance, correct, total - correct + 1))


def percent_rounded_down(share: float, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage rounded down (0.9498 -> ``94.9 %``), so a bound below the target never reads as equal to it."""
    scale = 10**decimals
    return f"{math.floor(round(share * 100 * scale, 6)) / scale:.{decimals}f} %"


def percent_exact(share: float) -> str:
    """A share in [0, 1] as a percentage with no rounding beyond float noise (0.95 -> ``95 %``, 0.975 -> ``97.5 %``)."""
    return f"{round(share * 100, 6):g} %"


@dataclass(frozen=True)
class ThresholdDecision:
    threshold: float | None
    """Lowest confidence the model may auto-label; None when no candidate passed."""
    calibration_records: int
    """Calibration records the test ran on."""
    records_above: int
    """Calibration records at or above the threshold (at the first candidate when none passed)."""
    expected_accuracy: float | None
    """Share right among those records."""
    accuracy_bound: float | None
    """Their Clopper–Pearson lower bound at level 1 - δ (>= target when a threshold passed)."""
    reason: str | None
    """Why nothing may be auto-labeled; None when a threshold passed."""


def choose_threshold(
    confidences: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    *,
    target: float,
    risk_tolerance: float,
    at_least: int = 1,
) -> ThresholdDecision:
    """The lowest confidence threshold the fixed-sequence binomial test accepts (see the module docstring).

    ``confidences`` (the model's top-class probability, in [0, 1]) and ``correct`` (whether its label
    matches the human one) describe the calibration records, in any order. Candidates need at least
    ``at_least`` records at or above them, and never fewer than ``min_calibration_records``.
    """
    confidence = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=bool)
    needed = max(min_calibration_records(target, risk_tolerance), at_least)
    total = len(confidence)
    start = max(needed, math.ceil(START_SHARE * total))
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
    possible = counts >= start
    counts, candidate_errors, last_of_value = counts[possible], candidate_errors[possible], last_of_value[possible]
    p_values = stats.binom.cdf(candidate_errors, counts, 1.0 - target)
    failures = np.nonzero(p_values > risk_tolerance)[0]
    passed = int(failures[0]) if len(failures) else len(p_values)
    if passed == 0:
        n, wrong = int(counts[0]), int(candidate_errors[0])
        bound = lower_bound(n - wrong, n, risk_tolerance)
        return ThresholdDecision(
            threshold=None, calibration_records=total, records_above=n,
            expected_accuracy=round((n - wrong) / n, 4), accuracy_bound=round(bound, 4),
            reason=(
                f"the accuracy bound at the most confident candidate is below target: "
                f"{percent_rounded_down(bound)} < {percent_exact(target)} "
                f"({n - wrong} of the {n} most confident calibration records right, RiskTolerance {risk_tolerance})"
            ),
        )
    chosen = passed - 1
    n, wrong = int(counts[chosen]), int(candidate_errors[chosen])
    return ThresholdDecision(
        threshold=float(sorted_confidence[last_of_value[chosen]]), calibration_records=total, records_above=n,
        expected_accuracy=round((n - wrong) / n, 4), accuracy_bound=round(lower_bound(n - wrong, n, risk_tolerance), 4),
        reason=None,
    )
