"""The active-learning policy with a real classifier on real headlines.

A TF-IDF logistic regression stands in for the bundled model (fast); the headlines and their
true labels are the bundled UCI sample.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from scipy import stats
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from byoal import policy
from byoal.calibration import STARTS, choose_threshold, lower_bound, percent_rounded_down
from byoal.feasibility import min_calibration_records
from byoal.predictions import parse_prediction


def predict(model, vectorizer, texts):
    return [
        parse_prediction({"label": int(p.argmax()), "probabilities": list(map(float, p))}, num_classes=4, where="test")
        for p in model.predict_proba(vectorizer.transform(texts))
    ]


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Small fits run far faster on one thread than with BLAS threads fighting over two cores."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def split(headlines):
    rows = list(headlines)
    random.Random(7).shuffle(rows)
    vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True).fit([t for t, _ in rows])
    return rows[:2000], rows[2000:2600], rows[2600:], vectorizer


def train(rows, vectorizer):
    return LogisticRegression(C=20, max_iter=300).fit(vectorizer.transform([t for t, _ in rows]), [c for _, c in rows])


@pytest.mark.parametrize("target", [0.9, 0.95, 0.97])
def test_auto_labels_above_the_tested_threshold_meet_the_target_on_held_out_truth(split, target):
    train_rows, calibration_rows, pool_rows, vectorizer = split
    model = train(train_rows, vectorizer)
    calibration = predict(model, vectorizer, [t for t, _ in calibration_rows])
    # δ 0.01: one draw, and the statistical test below checks the rate at δ 0.1.
    decision = choose_threshold(
        [p.confidence for p in calibration],
        [p.label == c for p, (_, c) in zip(calibration, calibration_rows, strict=True)],
        target=target,
        risk_tolerance=0.01,
    )
    pool = predict(model, vectorizer, [t for t, _ in pool_rows])
    chosen = [i for i, p in enumerate(pool) if p.confidence >= decision.threshold]
    accuracy = np.mean([pool[i].label == pool_rows[i][1] for i in chosen])
    overall = np.mean([p.label == c for p, (_, c) in zip(pool, pool_rows, strict=True)])
    assert len(chosen) > 0.3 * len(pool), "the test should still let the model label a real share"
    assert overall < target or len(chosen) == len(pool)
    assert accuracy >= target, f"auto-labels {accuracy:.3f} accurate for target {target}"
    assert decision.accuracy_bound >= target and decision.expected_accuracy >= decision.accuracy_bound


def accuracy_above(threshold: float, intercept: float, slope: float) -> float:
    """Accuracy of records with confidence >= threshold.

    Confidence c ~ U(0, 1) and P(right | c) = intercept + slope c.
    """
    return intercept + slope * (1 + threshold) / 2


@pytest.mark.parametrize(
    ("intercept", "slope", "calibration_size"), [(0.8, 0.2, 1000), (0.85, 0.15, 300), (0.85, 0.15, 1000)]
)
def test_rounds_below_target_are_at_most_the_risk_tolerance_on_synthetic_scores(intercept, slope, calibration_size):
    """Thousands of simulated rounds with a known accuracy curve: the guarantee holds at δ, up to sampling error.

    (0.85, 0.15) crosses the target slowly (0.95 above confidence 1/3), so many thresholds are nearly
    at target: the hardest case for a sequential test. Sampling error of a share over 2,000 rounds
    at δ = 0.1 is about 0.0067; the margin allows 3 of those. The test runs from the default starts.
    """
    rng = np.random.default_rng(2024)
    target, delta, rounds = 0.95, 0.1, 2000
    below = labeled = 0
    for _ in range(rounds):
        confidence = rng.uniform(0, 1, calibration_size)
        correct = rng.uniform(0, 1, calibration_size) < intercept + slope * confidence
        decision = choose_threshold(confidence, correct, target=target, risk_tolerance=delta)
        if decision.threshold is None:
            continue
        labeled += 1
        below += accuracy_above(decision.threshold, intercept, slope) < target
    assert labeled > rounds // 5, "the test should pass in a real share of the rounds"
    assert below / rounds <= delta + 3 * (delta * (1 - delta) / rounds) ** 0.5, (
        f"{below} of {rounds} rounds below target"
    )


def test_a_test_from_several_starts_splits_the_risk_tolerance_between_them():
    """Accuracy 0.949 at every confidence, just below the 0.95 target: every pass is an error, and each
    start is a fresh chance of one. Four sequences each at the full δ (keeping whatever any of them
    passes) would pass about 15 % of the rounds; the fallback test, splitting δ, at most δ."""
    rng = np.random.default_rng(11)
    target, delta, rounds, size, accuracy = 0.95, 0.1, 2000, 1000, 0.949
    assert len(STARTS) > 1, "the default test has several starts"
    unsplit_starts = (250, 500, 750, 1000)
    passed = unsplit = 0
    for _ in range(rounds):
        confidence = rng.uniform(0, 1, size)
        correct = rng.uniform(0, 1, size) < accuracy
        passed += choose_threshold(confidence, correct, target=target, risk_tolerance=delta).threshold is not None
        # An unsplit sequence passes somewhere only if its first candidate passes.
        wrong_ranked = np.cumsum(~correct[np.argsort(-confidence)])
        unsplit += any(stats.binom.cdf(wrong_ranked[n - 1], n, 1 - target) <= delta for n in unsplit_starts)
    margin = 3 * (delta * (1 - delta) / rounds) ** 0.5
    assert passed / rounds <= delta + margin, f"{passed} of {rounds} rounds passed below target"
    assert unsplit / rounds > delta + margin, "the scenario should catch a test that does not split δ"


def test_with_many_calibration_records_the_bound_is_close_to_the_observed_accuracy():
    rng = np.random.default_rng(5)
    confidence = rng.uniform(0.5, 1, 3000)
    correct = rng.uniform(0, 1, 3000) < 0.92 + 0.08 * confidence
    decision = choose_threshold(confidence, correct, target=0.95, risk_tolerance=0.1)
    assert decision.records_above == 3000, "every record passes at 98 % for a 95 % target"
    assert decision.expected_accuracy - decision.accuracy_bound < 0.005


def test_the_threshold_test_needs_enough_records_and_says_how_many():
    assert min_calibration_records(0.95, 0.1) == 45 and min_calibration_records(0.9, 0.05) == 29
    few = choose_threshold([0.99] * 44, [True] * 44, target=0.95, risk_tolerance=0.1)
    assert few.threshold is None and few.reason.startswith("too few calibration records: 44, a pass needs at least 45")
    enough = choose_threshold([0.99] * 45, [True] * 45, target=0.95, risk_tolerance=0.1)
    assert enough.threshold == 0.99 and enough.accuracy_bound >= 0.95 and enough.reason is None
    floor = choose_threshold([0.99] * 45, [True] * 45, target=0.95, risk_tolerance=0.1, at_least=60)
    assert floor.threshold is None and "at least 60" in floor.reason


def test_a_failure_ends_a_sequence_until_the_next_start():
    # 1,000 right at the top, then 60 wrong, then 3,000 right.
    confidences = [0.99 - 0.0002 * i for i in range(4060)]
    correct = [True] * 1000 + [False] * 60 + [True] * 3000
    single = choose_threshold(confidences, correct, target=0.95, risk_tolerance=0.1, starts=((0.25, 1.0),))
    assert 1000 <= single.records_above < 1060 and single.threshold > confidences[1059], "one sequence stops"
    assert single.expected_accuracy >= 0.95
    # The default's second start (half the records, 2,030) tests again at its δ/2 and passes down to the last record.
    decision = choose_threshold(confidences, correct, target=0.95, risk_tolerance=0.1)
    assert decision.records_above == 4060 and decision.accuracy_bound == round(lower_bound(4000, 4060, 0.05), 4)


def test_a_sequence_that_reaches_the_next_start_carries_its_level_on():
    # The 300 most confident of 600 all right, 22 wrong spread over the other 300: 578 of 600 pass at δ, not at δ/2.
    confidences = [1.0 - i / 1000 for i in range(600)]
    wrong = {599 - 13 * k for k in range(22)}
    correct = [i not in wrong for i in range(600)]
    assert correct.count(False) == 22
    assert lower_bound(578, 600, 0.1) >= 0.95 > lower_bound(578, 600, 0.05)
    decision = choose_threshold(confidences, correct, target=0.95, risk_tolerance=0.1)
    assert decision.records_above == 600 and decision.accuracy_bound == round(lower_bound(578, 600, 0.1), 4)


def test_the_starts_must_split_at_most_the_risk_tolerance():
    for starts in (((0.25, 1.0), (0.5, 1.0)), ((0.25, 0.0),), (), ((1.5, 0.5),), ((0.25, -0.5), (0.5, 1.0))):
        with pytest.raises(ValueError, match=r"weights summing to \(0, 1\]"):
            choose_threshold([0.9] * 100, [True] * 100, target=0.95, risk_tolerance=0.1, starts=starts)


def test_tied_confidences_are_one_candidate():
    decision = choose_threshold(
        [0.9] * 50 + [0.8] * 50, [True] * 50 + [True] * 49 + [False], target=0.95, risk_tolerance=0.1
    )
    assert decision.threshold == 0.8 and decision.records_above == 100


def test_the_bound_is_the_clopper_pearson_lower_bound():
    assert lower_bound(95, 100, 0.1) == pytest.approx(0.9092, abs=1e-4)
    assert lower_bound(0, 10, 0.1) == 0.0 and lower_bound(10, 10, 0.1) == pytest.approx(0.1 ** 0.1)


def run_active_learning(split, strategy, seed, rounds=4, batch=150):
    train_rows, _, pool_rows, vectorizer = split
    rng = random.Random(seed)
    labeled = rng.sample(range(len(pool_rows)), 200)
    test_rows = train_rows[:1500]
    for _ in range(rounds):
        model = train([pool_rows[i] for i in labeled], vectorizer)
        unlabeled = sorted(set(range(len(pool_rows))) - set(labeled))
        predictions = predict(model, vectorizer, [pool_rows[i][0] for i in unlabeled])
        chosen = policy.select_for_humans(
            list(zip(unlabeled, predictions, strict=True)), strategy=strategy, size=batch, seed=seed
        )
        labeled += chosen
    model = train([pool_rows[i] for i in labeled], vectorizer)
    predictions = model.predict(vectorizer.transform([t for t, _ in test_rows]))
    return float(np.mean(predictions == np.array([c for _, c in test_rows])))


def test_the_default_strategy_learns_at_least_as_well_as_random(split):
    margin = np.mean([run_active_learning(split, "margin", seed) for seed in range(3)])
    random_choice = np.mean([run_active_learning(split, "random", seed) for seed in range(3)])
    assert margin >= random_choice - 0.005, (margin, random_choice)


def test_strategies_rank_the_uncertain_first():
    confident = parse_prediction({"label": 0, "probabilities": [0.97, 0.01, 0.01, 0.01]}, num_classes=4, where="t")
    torn = parse_prediction({"label": 0, "probabilities": [0.45, 0.44, 0.06, 0.05]}, num_classes=4, where="t")
    flat = parse_prediction({"label": 0, "probabilities": [0.3, 0.25, 0.25, 0.2]}, num_classes=4, where="t")
    candidates = [(10, confident), (11, torn), (12, flat)]
    assert policy.select_for_humans(candidates, strategy="margin", size=1, seed=0) == [11]
    assert policy.select_for_humans(candidates, strategy="least_confidence", size=1, seed=0) == [12]
    assert policy.select_for_humans(candidates, strategy="entropy", size=1, seed=0) == [12]
    assert policy.select_for_humans(candidates, strategy="margin", size=2, seed=0) == [11, 12]
    picks = {tuple(policy.select_for_humans(candidates, strategy="random", size=2, seed=s)) for s in range(20)}
    assert len(picks) > 1 and picks == {tuple(sorted(p)) for p in picks}


def test_the_calibration_draw_is_seeded_and_sized_by_the_share():
    assert policy.calibration_draw_size(100, 0.2) == 20 and policy.calibration_draw_size(3, 0.9) == 3
    candidates = list(range(100, 200))
    draw = policy.draw_calibration(candidates, 10, seed="a")
    assert len(draw) == 10 and draw == sorted(draw) and set(draw) <= set(candidates)
    assert (
        draw == policy.draw_calibration(candidates, 10, seed="a") != policy.draw_calibration(candidates, 10, seed="b")
    )
    assert policy.draw_calibration(candidates[:5], 10, seed="a") == candidates[:5]


def test_blazingtext_output_is_read_like_the_bundled_one():
    bundled = parse_prediction({"label": 2, "probabilities": [0.1, 0.1, 0.7, 0.1]}, num_classes=4, where="t")
    blazing = parse_prediction({"label": ["__label__2", "__label__0"], "prob": [0.7, 0.1]}, num_classes=4, where="t")
    assert (blazing.label, blazing.confidence) == (bundled.label, bundled.confidence)
    assert blazing.margin == pytest.approx(0.6) and blazing.entropy == pytest.approx(bundled.entropy)
    from byoal.errors import InputError

    with pytest.raises(InputError, match="BlazingText label '__label__9'"):
        parse_prediction({"label": ["__label__9"], "prob": [0.9]}, num_classes=4, where="t")
    with pytest.raises(InputError, match="3 probabilities for a label file of 4 classes"):
        parse_prediction({"label": 0, "probabilities": [0.5, 0.3, 0.2]}, num_classes=4, where="t")


def test_the_no_pass_reason_states_the_bound_rounded_down_below_the_target():
    # 100 calibration records, 2 wrong among the 45 most confident: the bound falls short of 95 %.
    confidences = [1.0 - index / 1000 for index in range(100)]
    correct = [index not in (3, 7) for index in range(100)]
    decision = choose_threshold(confidences, correct, target=0.95, risk_tolerance=0.1)
    shown = re.search(r"below target: (\d+\.\d) % < 95 % \((\d+) of the (\d+) ", decision.reason)
    assert shown, decision.reason
    right, total = int(shown[2]), int(shown[3])
    # With 100 records both starts fall on the 59 most confident (the fewest that can pass at δ/2): one test at δ.
    assert total == 59 and "RiskTolerance 0.1)" in decision.reason
    exact = lower_bound(right, total, 0.1)
    assert float(shown[1]) < 95 and shown[1] + " %" == percent_rounded_down(exact)
    assert percent_rounded_down(0.9498) == "94.9 %" and percent_rounded_down(0.94999999) == "94.9 %"
