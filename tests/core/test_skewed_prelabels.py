"""Pre-labels that are not a random sample must not set the threshold (issue 10's first case, smaller).

1,000 headlines of the bundled sample, 250 pre-labeled, nearly all one class (247 Business, 2
Entertainment, 1 Science and Technology), run through the real step handlers with a TF-IDF
logistic regression standing in for the model. Before, 349 of 750 records were auto-labeled as
Business at a claimed 0.95, 24.9 % of them right.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from byoal import manifest, round_stats
from byoal.labels import label_category_document
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage, write_bytes
from lambdas import (
    active_learning,
    assign_ids,
    count_records,
    export_manifest,
    hold_out_calibration,
    merge_labels,
    prepare_human_batch,
    prepare_training,
    prepare_transform_input,
    select_seed_batch,
    simulated_workforce,
    validate_input,
)

from .conftest import make_request
from .test_steps import STARTED, fake_transform

TARGET = 0.95


def skewed_dataset(headlines):
    rows = headlines[:1000]
    by_class = {label: [i for i, (_, c) in enumerate(rows) if c == label] for label in range(4)}
    prelabeled = by_class[0][:247] + by_class[1][:2] + by_class[3][:1]
    records = [{"source": title} for title, _ in rows]
    for index in prelabeled:
        records[index]["category"] = rows[index][1]
        records[index]["category-metadata"] = {"class-name": "x", "human-annotated": "yes"}
    return records, [{"source": title, "category": label} for title, label in rows]


def run_loop(storage, request):
    """The ActiveLearningLoop's steps in order until it exports; returns the final manifest's URI and the history."""
    state = validate_input.handler({"request": request, "execution_name": "skewed"})
    state["working"] = assign_ids.handler({"run": state["run"]})
    vectorizer = TfidfVectorizer(min_df=1, sublinear_tf=True).fit(
        [r["source"] for r in manifest.read_records(storage, state["working"]["manifest"])]
    )

    def label_by_humans(selection):
        batch = prepare_human_batch.handler({**state, "selection": selection})
        labels = simulated_workforce.handler({**state, "human_batch": batch, "labeled_at": STARTED})
        state["working"] = merge_labels.handler(
            {**state, "kind": "human", "human_batch": batch, "human_labels": labels}
        )

    while True:
        counts = count_records.handler(state)
        if counts["next_step"] == "export":
            return export_manifest.handler(state)["final_manifest"], counts["rounds"]
        if counts["next_step"] == "seed":
            label_by_humans(select_seed_batch.handler({**state, "counts": counts}))
            continue
        event = {**state, "round": counts["next_round"]}
        event["working"] = hold_out_calibration.handler(event)
        training = prepare_training.handler({**event, "algorithm": "bundled", "training_image": "img"})
        folder = training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
        train = list(manifest.read_records(storage, folder + "train.manifest"))
        model = LogisticRegression(C=20, max_iter=300).fit(
            vectorizer.transform([r["source"] for r in train]), [r["category"] for r in train]
        )
        if len(model.classes_) < 4:
            model = AllClasses(model)
        transform = prepare_transform_input.handler({**event, "algorithm": "bundled"})
        fake_transform(storage, transform, None, model, vectorizer)
        result = active_learning.handler(
            {**event, "transform": transform, "batch_size": counts["batch_size"], "started_at": STARTED}
        )
        state["working"] = merge_labels.handler({**event, "kind": "model", "autolabels": result["autolabels"]})
        if result["selection"]["count"]:
            label_by_humans(result["selection"])


class AllClasses:
    """A classifier trained on fewer than 4 classes, answering with a probability for each of the 4."""

    def __init__(self, model):
        self.model = model

    def predict_proba(self, features):
        probabilities = np.zeros((features.shape[0], 4))
        probabilities[:, self.model.classes_] = self.model.predict_proba(features)
        return probabilities


@pytest.fixture
def local_storage(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCAL_ROOT_ENV, str(tmp_path / "s3"))
    return LocalStorage(tmp_path / "s3")


def test_skewed_prelabels_never_yield_an_auto_label_batch_below_target(local_storage, headlines):
    records, answers = skewed_dataset(headlines)
    manifest.write_records(local_storage, "s3://byoal-test/inputs/input.manifest", records)
    manifest.write_records(local_storage, "s3://byoal-test/inputs/answers.manifest", answers)
    write_bytes(local_storage, "s3://byoal-test/inputs/class_labels.json",
                json.dumps(label_category_document(["Business", "Entertainment", "Health", "Sci/Tech"])).encode())
    # The defaults' seed share and risk tolerance: the 250 pre-labels exceed the seed target, so no seed batch.
    # No warm-up, so that round 1 would test a threshold on the pre-labels if they were allowed to calibrate.
    request = make_request(
        HumanBatchSize=100, MaxRounds=5, TargetAccuracy=TARGET, RiskTolerance=0.1, SeedShare=0.1, WarmUpRounds=0
    )
    with threadpool_limits(limits=1):
        final_uri, history = run_loop(local_storage, request)
    tallies = round_stats.auto_labels_by_round(
        manifest.read_records(local_storage, final_uri), iter(answers), "category"
    )
    rounds = [entry for entry in history if entry["round"] > 0]
    assert len(rounds) == 5
    first = rounds[0]
    assert first["auto_labeled"] == 0, (
        "the skewed pre-labels are training data only: round 1 has no calibration records"
    )
    assert first["no_auto_label_reason"].startswith("too few calibration records: 0")
    for entry in rounds:
        given, right = tallies.get(entry["round"], [0, 0])
        assert given == entry["auto_labeled"]
        if given:
            assert right / given >= TARGET, f"round {entry['round']}: {right} of {given} auto-labels right"
            assert entry["accuracy_bound"] >= TARGET
        else:
            assert entry["no_auto_label_reason"], f"round {entry['round']} labeled nothing without saying why"
