"""The round step: calibration draws, the screening of earlier calibration records, and why nothing is auto-labeled.

A TF-IDF logistic regression on the bundled sample plays the bundled model.
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
from byoal.round_decision import decide

CONFIG = {
    "QueryStrategy": "margin",
    "TargetAccuracy": 0.95,
    "RiskTolerance": 0.1,
    "CalibrationShare": 0.2,
    "MinValidationRecords": None,
    "WarmUpRounds": 0,
    "MaxRounds": 10,
}


def prediction(*probabilities):
    return parse_prediction(
        {"label": int(np.argmax(probabilities)), "probabilities": list(probabilities)}, num_classes=4, where="t"
    )


@pytest.fixture(scope="module")
def rows(headlines):
    rows = list(headlines)
    random.Random(7).shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def two_rounds(rows):
    """Round 1 calibrates on a random sample; round 2 on round 1's draw plus what survives round 1's rules."""
    vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True).fit([text for text, _ in rows])

    def train(ids):
        return LogisticRegression(C=20, max_iter=300).fit(
            vectorizer.transform([rows[i][0] for i in ids]), [rows[i][1] for i in ids]
        )

    def predict(model, ids):
        probabilities = model.predict_proba(vectorizer.transform([rows[i][0] for i in ids]))
        return [(i, prediction(*map(float, p))) for i, p in zip(ids, probabilities, strict=True)]

    with threadpool_limits(limits=1):
        labeled = list(range(800))
        calibration = {i: rows[i][1] for i in range(800, 1200)}
        pool = list(range(1200, 10000))
        first = decide(predict(train(labeled), [*calibration, *pool]), calibration, CONFIG, batch_size=500, seed="s",
                       round_number=1)
        taken = {first["pool"][k][0] for k in first["auto"]} | set(first["selected"]) | set(first["drawn"])
        calibration_2 = {**calibration, **{i: rows[i][1] for i in first["drawn"]}}
        left = [i for i in pool if i not in taken]
        second_model = train(labeled + first["selected"])
        second = decide(predict(second_model, [*calibration_2, *left]), calibration_2, CONFIG, batch_size=500, seed="s",
                        round_number=2, screened=frozenset(first["screened"]))
    return {"first": first, "second": second, "calibration": calibration}


def accuracy(result, rows):
    pool = result["pool"]
    return np.mean([pool[k][1].label == rows[pool[k][0]][1] for k in result["auto"]])


def test_a_round_auto_labels_at_the_target_and_spends_its_batch_on_picks_and_a_random_draw(two_rounds, rows):
    first = two_rounds["first"]
    stats = first["stats"]
    assert stats["calibration_records"] == 400 and stats["no_auto_label_reason"] is None
    assert len(first["auto"]) > 1000 and accuracy(first, rows) >= 0.95
    assert stats["accuracy_bound"] >= 0.95 and stats["expected_accuracy"] >= stats["accuracy_bound"]
    assert len(first["selected"]) == 400 and len(first["drawn"]) == 100 == stats["calibration_drawn"]
    assert stats["selected"] == 500
    auto_ids = {first["pool"][k][0] for k in first["auto"]}
    assert not (auto_ids | set(first["selected"])) & set(first["drawn"]), "draws come from the pool left"


def test_the_calibration_draw_is_a_uniform_sample_of_the_pool_left():
    # Confidence rises with the id; the draw must not favour any part of what is left.
    predictions = [(i, prediction(0.3 + 0.6 * i / 1000, 0.7 - 0.6 * i / 1000, 0.0, 0.0)) for i in range(1000)]
    config = {**CONFIG, "CalibrationShare": 0.5}
    means = []
    for seed in range(40):
        result = decide(predictions, {}, config, batch_size=200, seed=str(seed), round_number=1)
        assert result["stats"]["no_auto_label_reason"].startswith("too few calibration records: 0")
        selected = set(result["selected"])
        left = [i for i in range(1000) if i not in selected]
        assert set(result["drawn"]) <= set(left) and len(result["drawn"]) == 100
        means.append(np.mean(result["drawn"]) - np.mean(left))
    assert abs(np.mean(means)) < 10, "the draws' mean id matches the pool left's"
    assert (
        len(
            {
                tuple(decide(predictions, {}, config, batch_size=200, seed=str(s), round_number=1)["drawn"])
                for s in range(3)
            }
        )
        == 3
    )
    assert (
        decide(predictions, {}, config, batch_size=200, seed="x", round_number=1)["drawn"]
        == decide(predictions, {}, config, batch_size=200, seed="x", round_number=1)["drawn"]
    )


def test_earlier_calibration_records_are_screened_by_the_rules_that_took_records_out_of_the_pool(two_rounds):
    first, second = two_rounds["first"], two_rounds["second"]
    threshold = first["stats"]["threshold"]
    cut = first["stats"]["selection_cut"]
    calibration_predictions = {}
    for identity, p in first["pool"]:
        calibration_predictions[identity] = p
    screened = set(first["screened"])
    assert 0 < len(screened) < 400
    assert second["stats"]["calibration_records"] == 400 - len(screened) + 100, "survivors plus round 1's draw"
    rule = policy.PoolRule(strategy="margin", threshold=threshold, selection_cut=cut)
    pool_predictions = dict(first["pool"])
    # The rule reproduces the round's own decisions on the pool...
    assert {first["pool"][k][0] for k in first["auto"]} == {i for i, p in first["pool"] if rule.auto_labels(p)}
    assert all(rule.removes(pool_predictions[i]) for i in first["selected"])
    assert not any(rule.removes(pool_predictions[i]) for i in first["drawn"])


def test_screened_records_follow_the_rule_on_each_records_own_prediction():
    calibration = {i: 0 for i in range(100)}
    confident = prediction(0.99, 0.01, 0.0, 0.0)
    torn = prediction(0.5, 0.49, 0.01, 0.0)
    middle = prediction(0.8, 0.2, 0.0, 0.0)
    predictions = (
        [(i, confident) for i in range(50)] + [(i, torn) for i in range(50, 60)] + [(i, middle) for i in range(60, 100)]
    )
    predictions += [(i, confident if i % 2 else middle) for i in range(100, 300)] + [(i, torn) for i in range(300, 320)]
    result = decide(predictions, calibration, CONFIG, batch_size=20, seed="s", round_number=1)
    assert result["stats"]["threshold"] is not None and result["stats"]["threshold"] <= 0.99
    expected = set(range(50)) | ({i for i in range(60, 100)} if result["stats"]["threshold"] <= 0.8 else set())
    expected |= set(range(50, 60))  # as torn as the records selected for humans
    assert set(result["screened"]) == expected
    again = decide(
        predictions,
        calibration,
        CONFIG,
        batch_size=20,
        seed="s",
        round_number=1,
        screened=frozenset(result["screened"]),
    )
    assert again["stats"]["calibration_records"] == 100 - len(expected)


def test_random_selection_screens_only_what_auto_labeling_takes():
    calibration = {i: 0 if i < 60 else 1 for i in range(100)}
    torn = prediction(0.5, 0.49, 0.01, 0.0)
    predictions = [(i, prediction(0.99, 0.01, 0.0, 0.0)) for i in range(60)] + [(i, torn) for i in range(60, 100)]
    predictions += [(i, torn) for i in range(100, 200)]
    result = decide(
        predictions, calibration, {**CONFIG, "QueryStrategy": "random"}, batch_size=20, seed="s", round_number=1
    )
    assert result["stats"]["selection_cut"] is None and set(result["screened"]) == set(range(60))


def test_too_few_calibration_records_auto_label_nothing_and_say_how_many_a_pass_needs():
    confident = prediction(0.97, 0.01, 0.01, 0.01)
    predictions = [(identity, confident) for identity in range(200)]
    calibration = {identity: 0 for identity in range(60)}
    result = decide(
        predictions, calibration, CONFIG, batch_size=10, seed="s", round_number=1, screened=frozenset(range(20))
    )
    assert result["auto"] == []
    assert result["stats"]["no_auto_label_reason"] == (
        "too few calibration records: 40, a pass needs at least 45 (TargetAccuracy 0.95, RiskTolerance 0.1)"
    )
    assert (
        decide(predictions, calibration, CONFIG, batch_size=10, seed="s", round_number=1)["stats"]["auto_labeled"]
        == 140
    )


def test_a_bound_below_target_at_the_most_confident_candidate_auto_labels_nothing_and_says_so():
    confident = prediction(0.97, 0.01, 0.01, 0.01)
    predictions = [(identity, confident) for identity in range(300)]
    calibration = {identity: (1 if identity % 10 == 0 else 0) for identity in range(100)}
    result = decide(predictions, calibration, CONFIG, batch_size=10, seed="s", round_number=1)
    reason = result["stats"]["no_auto_label_reason"]
    assert result["auto"] == [] and reason.startswith(
        "the accuracy bound at the most confident candidate is below target"
    )
    assert "90 of the 100 most confident calibration records right" in reason
    assert result["stats"]["accuracy_bound"] < 0.95 and result["stats"]["expected_accuracy"] == 0.9


def test_the_fixed_margin_rule_still_auto_labels_and_screens_by_margin():
    calibration = {i: 0 for i in range(10)}
    predictions = [(i, prediction(0.9, 0.1, 0, 0)) for i in range(5)] + [
        (i, prediction(0.6, 0.4, 0, 0)) for i in range(5, 10)
    ]
    predictions += [(i, prediction(0.9, 0.1, 0, 0)) for i in range(10, 40)] + [
        (i, prediction(0.6, 0.4, 0, 0)) for i in range(40, 60)
    ]
    result = decide(
        predictions,
        calibration,
        {**CONFIG, "FixedMarginThreshold": 0.5, "QueryStrategy": "random"},
        batch_size=10,
        seed="s", round_number=1,
    )
    assert result["stats"]["auto_labeled"] == 30 and set(result["screened"]) == set(range(5))


def test_a_warm_up_round_auto_labels_nothing_and_its_selection_screens_only_what_it_picked():
    confident = prediction(0.99, 0.01, 0.0, 0.0)
    torn = prediction(0.5, 0.49, 0.01, 0.0)
    calibration = {identity: 0 if identity < 90 else 1 for identity in range(100)}
    predictions = [(i, confident) for i in range(90)] + [(i, torn) for i in range(90, 100)]
    predictions += [(i, confident) for i in range(100, 400)] + [(i, torn) for i in range(400, 420)]
    config = {**CONFIG, "WarmUpRounds": 2}
    result = decide(predictions, calibration, config, batch_size=20, seed="s", round_number=2)
    assert result["auto"] == [] and result["stats"]["rule"] == "warm-up"
    assert result["stats"]["no_auto_label_reason"].startswith("warm-up round 2 of 2 (WarmUpRounds)")
    assert len(result["selected"]) + len(result["drawn"]) == 20
    assert set(result["screened"]) == set(range(90, 100)), "only records as torn as the picks stop calibrating"
    after = decide(predictions, calibration, config, batch_size=20, seed="s", round_number=3)
    assert after["stats"]["auto_labeled"] == 300


def test_a_warm_up_round_auto_labels_when_no_human_batch_can_follow_it():
    confident = prediction(0.99, 0.01, 0.0, 0.0)
    calibration = {identity: 0 for identity in range(100)}
    predictions = [(i, confident) for i in range(400)]
    config = {**CONFIG, "WarmUpRounds": 2}
    spent = decide(predictions, calibration, config, batch_size=0, seed="s", round_number=1)
    assert spent["stats"]["auto_labeled"] == 300, "the budget is spent: this round is the last chance to auto-label"
    last = decide(predictions, calibration, {**config, "MaxRounds": 1}, batch_size=20, seed="s", round_number=1)
    assert last["stats"]["auto_labeled"] > 0, "MaxRounds: no later round will test the threshold"
    emptied = decide(predictions, calibration, config, batch_size=300, seed="s", round_number=1)
    assert emptied["stats"]["auto_labeled"] == 300, "a batch taking the whole pool leaves nothing to test later"
