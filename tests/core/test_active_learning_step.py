"""The round step's calibration set: later rounds calibrate on validation records still 'in the pool'.

A TF-IDF logistic regression on the bundled sample plays two rounds of the bundled model.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from byoal.predictions import parse_prediction
from lambdas.active_learning import decide

CONFIG = {"QueryStrategy": "margin", "MinValidationRecords": 50, "TargetAccuracy": 0.95}
VALIDATION = range(2000, 2400)
POOL = range(3000, 10000)


@pytest.fixture(scope="module")
def two_rounds(headlines):
    rows = list(headlines)
    random.Random(7).shuffle(rows)
    vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True).fit([text for text, _ in rows])
    truth = {identity: rows[identity][1] for identity in VALIDATION}

    def train(ids):
        return LogisticRegression(C=20, max_iter=300).fit(
            vectorizer.transform([rows[i][0] for i in ids]), [rows[i][1] for i in ids]
        )

    def predict(model, ids):
        probabilities = model.predict_proba(vectorizer.transform([rows[i][0] for i in ids]))
        return [
            (i, parse_prediction({"label": int(p.argmax()), "probabilities": [float(x) for x in p]}, num_classes=4, where="t"))
            for i, p in zip(ids, probabilities)
        ]

    def accuracy(result):
        pool = result["pool"]
        return np.mean([pool[k][1].label == rows[pool[k][0]][1] for k in result["auto"]]) if result["auto"] else None

    with threadpool_limits(limits=1):
        first_labels = list(range(1200))
        first = decide(predict(train(first_labels), [*VALIDATION, *POOL]), truth, CONFIG, batch_size=300, seed="s")
        pool = first["pool"]
        taken = {pool[k][0] for k in first["auto"]} | set(first["selected"])
        second_model = train(first_labels + first["selected"])
        left = [*VALIDATION, *(i for i in POOL if i not in taken)]
        unscreened = decide(predict(second_model, left), truth, CONFIG, batch_size=300, seed="s")
        screened = decide(
            predict(second_model, left), truth, CONFIG, batch_size=300, seed="s", screened=frozenset(first["screened"])
        )
    return {"first": first, "unscreened": unscreened, "screened": screened, "accuracy": accuracy}


def test_a_round_screens_the_validation_records_its_rule_would_auto_label(two_rounds):
    first = two_rounds["first"]
    threshold = first["stats"]["threshold"]
    assert first["stats"]["calibration_records"] == len(VALIDATION)
    assert 0 < len(first["screened"]) < len(VALIDATION)
    assert two_rounds["accuracy"](first) >= 0.95
    assert threshold is not None


def test_a_later_round_calibrates_only_on_validation_records_still_in_the_pool(two_rounds):
    first, unscreened, screened = two_rounds["first"], two_rounds["unscreened"], two_rounds["screened"]
    accuracy = two_rounds["accuracy"]
    assert accuracy(unscreened) < 0.95, "calibrated on every validation record, round 2 misses the target"
    assert screened["stats"]["calibration_records"] == len(VALIDATION) - len(first["screened"])
    assert screened["stats"]["validation_records"] == len(VALIDATION)
    assert not screened["auto"] or accuracy(screened) >= 0.95


def test_too_few_unscreened_validation_records_auto_label_nothing():
    confident = parse_prediction({"label": 0, "probabilities": [0.97, 0.01, 0.01, 0.01]}, num_classes=4, where="t")
    predictions = [(identity, confident) for identity in range(200)]
    truth = {identity: 0 for identity in range(60)}
    result = decide(predictions, truth, CONFIG, batch_size=10, seed="s", screened=frozenset(range(20)))
    assert result["auto"] == [] and result["screened"] == []
    assert "fewer than 50 validation records left to calibrate on" in result["stats"]["rule"]
    assert decide(predictions, truth, CONFIG, batch_size=10, seed="s")["stats"]["auto_labeled"] == 140
