"""The active-learning policy with a real classifier on real headlines.

A TF-IDF logistic regression stands in for the bundled model (fast); the headlines and their
true labels are the bundled UCI sample.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from byoal import policy
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


@pytest.mark.parametrize("target", [0.9, 0.95, 0.98])
def test_calibrated_auto_labels_meet_the_target_on_held_out_truth(split, target):
    train_rows, validation_rows, pool_rows, vectorizer = split
    model = train(train_rows, vectorizer)
    validation = predict(model, vectorizer, [t for t, _ in validation_rows])
    calibration = policy.fit_calibration(
        [p.confidence for p in validation], [p.label == c for p, (_, c) in zip(validation, validation_rows)]
    )
    pool = predict(model, vectorizer, [t for t, _ in pool_rows])
    order = sorted(range(len(pool)), key=lambda i: -pool[i].confidence)
    decision = policy.choose_auto_label_count([pool[i].confidence for i in order], calibration, target)
    chosen = order[: decision.count]
    accuracy = np.mean([pool[i].label == pool_rows[i][1] for i in chosen])
    overall = np.mean([p.label == c for p, (_, c) in zip(pool, pool_rows)])
    assert decision.count > 0.3 * len(pool), "calibration should still let the model label a real share"
    assert overall < target or decision.count == len(pool)
    assert accuracy >= target, f"auto-labels {accuracy:.3f} accurate for target {target}"
    assert decision.expected_accuracy >= target


def test_later_rounds_are_judged_on_the_records_left_not_the_validation_average(split):
    """Once the easy records are gone, the same threshold would auto-label worse records."""
    train_rows, validation_rows, pool_rows, vectorizer = split
    model = train(train_rows[:800], vectorizer)
    validation = predict(model, vectorizer, [t for t, _ in validation_rows])
    calibration = policy.fit_calibration(
        [p.confidence for p in validation], [p.label == c for p, (_, c) in zip(validation, validation_rows)]
    )
    pool = predict(model, vectorizer, [t for t, _ in pool_rows])
    order = sorted(range(len(pool)), key=lambda i: -pool[i].confidence)
    first = policy.choose_auto_label_count([pool[i].confidence for i in order], calibration, 0.95)
    rest = order[first.count:]
    second = policy.choose_auto_label_count([pool[i].confidence for i in rest], calibration, 0.95)
    assert second.count < len(rest) // 4
    if second.count:
        assert np.mean([pool[i].label == pool_rows[i][1] for i in rest[: second.count]]) >= 0.85


def run_active_learning(split, strategy, seed, rounds=4, batch=150):
    train_rows, _, pool_rows, vectorizer = split
    rng = random.Random(seed)
    labeled = rng.sample(range(len(pool_rows)), 200)
    test_rows = train_rows[:1500]
    for _ in range(rounds):
        model = train([pool_rows[i] for i in labeled], vectorizer)
        unlabeled = sorted(set(range(len(pool_rows))) - set(labeled))
        predictions = predict(model, vectorizer, [pool_rows[i][0] for i in unlabeled])
        chosen = policy.select_for_humans(list(zip(unlabeled, predictions)), strategy=strategy, size=batch, seed=seed)
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


def test_calibration_is_monotone_and_conservative_on_few_records():
    calibration = policy.fit_calibration([0.5, 0.6, 0.7, 0.9, 0.95, 0.99], [False, True, False, True, True, True])
    values = [calibration.accuracy(c) for c in (0.1, 0.55, 0.65, 0.8, 0.92, 0.999)]
    assert values == sorted(values)
    assert calibration.accuracy(0.999) < 0.9, "3 of 3 correct is not proof of 95 % accuracy"


def test_a_few_top_records_do_not_veto_auto_labeling():
    # 50 validation records, all right: a top block of 3 alone bounds at 0.65, the pooled 50 at 0.97.
    confidences = [0.6 + 0.008 * index for index in range(50)]
    correct = [True] * 50
    correct[46] = False  # splits the perfect top three from the rest in plain isotonic regression
    calibration = policy.fit_calibration(confidences, correct)
    values = [calibration.accuracy(c) for c in sorted(confidences)]
    assert values == sorted(values)
    decision = policy.choose_auto_label_count(sorted(confidences, reverse=True), calibration, 0.9)
    assert decision.count == 50 and decision.expected_accuracy >= 0.9


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
