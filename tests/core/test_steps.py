"""The workflow steps in the order the state machines call them, on local storage and on S3.

The model here is a TF-IDF logistic regression standing in for the batch transform; everything
else is the real handlers. Checks the invariants (README, "Invariants": every input record exactly
once, in order, fields untouched; human labels never replaced by model labels; calibration records
never auto-labeled nor trained on) and that every step re-runs idempotently.
"""

from __future__ import annotations

import json

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from byoal import manifest
from byoal.errors import InputError
from byoal.round_decision import read_screened
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

from .conftest import BUCKET, snapshot

STARTED = "2026-11-27T10:00:00.000Z"
TRICKY = ['He said "no" \\ twice', "new\nline", "Ünïcödé — 東京 🚀"]


def idempotent(storage, handler, event):
    """Call a handler twice; the second call must store exactly what the first did and answer the same."""
    first = handler(event)
    state = snapshot(storage)
    assert handler(event) == first
    assert snapshot(storage) == state
    return first


def fake_transform(storage, transform, records_by_id, model, vectorizer):
    """What the batch transform writes with JoinSource=Input and the OutputFilter of the definition."""
    rows = list(manifest.read_records(storage, transform["input_prefix"] + "records.jsonl"))
    probabilities = model.predict_proba(vectorizer.transform([row["source"] for row in rows]))
    output = (
        {
            "byoal-id": row["byoal-id"],
            "SageMakerOutput": {"label": int(p.argmax()), "probabilities": [float(x) for x in p]},
        }
        for row, p in zip(rows, probabilities, strict=True)
    )
    manifest.write_records(storage, transform["output_prefix"] + "records.jsonl.out", output)


@pytest.fixture
def dataset(headlines):
    rows = headlines[:600] + [(title, 1) for title in TRICKY]
    records = [{"source": title, "extra": {"n": index}} for index, (title, _) in enumerate(rows)]
    for index in range(0, 60):
        records[index]["category"] = rows[index][1]
        records[index]["category-metadata"] = {"class-name": "x", "human-annotated": "yes"}
    answers = [{"source": title, "category": label} for title, label in rows]
    return records, answers


def test_a_whole_run_keeps_every_record_once_and_never_overwrites_humans(storage, put_inputs, dataset):
    records, answers = dataset
    request = put_inputs(
        records, answers, SeedShare=0.25, HumanBatchSize=40, TargetAccuracy=0.6, CalibrationShare=0.2, WarmUpRounds=0
    )
    start = idempotent(storage, lambda e: validate_input.handler(e), {"request": request, "execution_name": "e1"})
    state = {**start, "working": idempotent(storage, assign_ids.handler, {"run": start["run"]})}

    counts = idempotent(storage, count_records.handler, state)
    assert counts["next_step"] == "seed" and counts["batch_size"] == 151 - 60
    selection = idempotent(storage, select_seed_batch.handler, {**state, "counts": counts})
    assert selection["count"] == 91 and selection["calibration"] == 18
    drawn_by_round = {}

    def label_by_humans(selection):
        batch = idempotent(storage, prepare_human_batch.handler, {**state, "selection": selection})
        labels = idempotent(
            storage, simulated_workforce.handler, {**state, "human_batch": batch, "labeled_at": STARTED}
        )
        merged = idempotent(
            storage, merge_labels.handler, {**state, "kind": "human", "human_batch": batch, "human_labels": labels}
        )
        assert merged["merged"] == batch["count"]
        listed = {
            r["byoal-id"]: r["byoal-calibration"] for r in manifest.read_records(storage, batch["calibration_manifest"])
        }
        assert batch["calibration_manifest"].startswith(batch["input_manifest"].rsplit("/", 1)[0])
        assert len(listed) == batch["calibration"] and set(listed.values()) <= {selection["round"]}
        flags = {r["byoal-id"]: r.get("byoal-calibration") for r in manifest.read_records(storage, merged["manifest"])}
        assert all(flags[identity] == selection["round"] for identity in listed)
        drawn_by_round[selection["round"]] = set(listed)
        state["working"] = merged

    label_by_humans(selection)
    vectorizer = TfidfVectorizer().fit([r["source"] for r in records])
    for round_number in (1, 2):
        counts = count_records.handler(state)
        assert counts["next_step"] == "round" and counts["next_round"] == round_number
        event = {**state, "round": round_number}
        event["working"] = idempotent(storage, hold_out_calibration.handler, event)
        training = idempotent(
            storage, prepare_training.handler, {**event, "algorithm": "bundled", "training_image": "img"}
        )
        train = list(
            manifest.read_records(
                storage, training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] + "train.manifest"
            )
        )
        early_stopping = list(
            manifest.read_records(
                storage, training["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] + "validation.manifest"
            )
        )
        calibration_sources = {
            r["source"]
            for r in manifest.read_records(storage, event["working"]["manifest"])
            if "byoal-calibration" in r
        }
        assert calibration_sources and not calibration_sources & {r["source"] for r in train + early_stopping}
        model = LogisticRegression(max_iter=500).fit(
            vectorizer.transform([r["source"] for r in train]), [r["category"] for r in train]
        )
        transform = idempotent(storage, prepare_transform_input.handler, {**event, "algorithm": "bundled"})
        fake_transform(storage, transform, None, model, vectorizer)
        result = idempotent(
            storage,
            active_learning.handler,
            {**event, "transform": transform, "batch_size": counts["batch_size"], "started_at": STARTED},
        )
        screened_before = read_screened(storage, state["run"]["root"], round_number)
        drawn_before = set().union(*(drawn_by_round[r] for r in drawn_by_round if r < round_number))
        assert result["stats"]["calibration_records"] == len(drawn_before - screened_before) > 0
        assert result["stats"]["calibration_drawn"] == round(0.2 * counts["batch_size"])
        autolabeled = {r["byoal-id"] for r in manifest.read_records(storage, result["autolabels"]["manifest"])}
        assert not autolabeled & drawn_before, "a calibration record was auto-labeled"
        state["working"] = idempotent(
            storage, merge_labels.handler, {**event, "kind": "model", "autolabels": result["autolabels"]}
        )
        if result["selection"]["count"]:
            label_by_humans(result["selection"])

    final = idempotent(storage, export_manifest.handler, state)
    exported = list(manifest.read_records(storage, final["final_manifest"]))
    assert [r["source"] for r in exported] == [r["source"] for r in records]
    assert [r["byoal-id"] for r in exported] == list(range(len(records)))
    for original, result in zip(records, exported, strict=True):
        assert {key: result[key] for key in original if not key.startswith("category")} == {
            key: value for key, value in original.items() if not key.startswith("category")
        }
        assert "byoal-calibration" not in result
        if "category" in original:
            assert (
                result["category"] == original["category"]
                and result["category-metadata"] == original["category-metadata"]
            )
    counts = final["counts"]
    assert (
        counts["input_total"] == len(records) == counts["human_labeled"] + counts["auto_labeled"] + counts["unlabeled"]
    )
    assert counts["auto_labeled"] > 0
    for record in exported:
        if record.get("category-metadata", {}).get("human-annotated") == "no":
            meta = record["category-metadata"]
            assert (
                meta["type"] == "groundtruth/text-classification"
                and meta["creation-date"] == "2026-11-27T10:00:00.000000"
            )


def test_a_model_label_never_replaces_a_human_one_nor_lands_on_calibration(storage, put_inputs):
    # Batches of one: CalibrationShare 0.6 draws each as a calibration record.
    request = put_inputs(
        [{"source": "a", "category": 0}, {"source": "b"}, {"source": "c", "category": 2}, {"source": "d"}],
        CalibrationShare=0.6,
    )
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    autolabels = f"s3://{BUCKET}/auto.manifest"
    manifest.write_records(storage, autolabels, [
        {"byoal-id": 0, "byoal-position": 0, "category": 1, "confidence": 0.99},
        {"byoal-id": 1, "byoal-position": 1, "category": 1, "confidence": 0.99},
    ])
    round_info = {"manifest": autolabels, "job_name": "news-r001-auto", "creation_date": "2026-11-27T10:00:00.000000"}
    merged = merge_labels.handler({**state, "kind": "model", "autolabels": {**round_info, "round": 1}})
    result = list(manifest.read_records(storage, merged["manifest"]))
    assert result[0]["category"] == 0 and result[1]["category"] == 1 and merged["kept_human"] == 1

    flagged = [
        {**r, "byoal-calibration": 0} if r["byoal-id"] == 1 else r
        for r in manifest.read_records(storage, state["working"]["manifest"])
    ]
    manifest.write_records(storage, state["working"]["manifest"], flagged)
    with pytest.raises(InputError, match="calibration record"):
        merge_labels.handler({**state, "kind": "model", "autolabels": {**round_info, "round": 2}})


def test_model_labels_made_for_another_manifest_are_refused(storage, put_inputs):
    request = put_inputs([{"source": "a"}, {"source": "b"}, {"source": "c"}, {"source": "d"}])
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    autolabels = f"s3://{BUCKET}/auto.manifest"
    round_info = {
        "manifest": autolabels,
        "job_name": "news-r001-auto",
        "creation_date": "2026-11-27T10:00:00.000000",
        "round": 1,
    }
    for position, identity, message in [(1, 2, "record 2 has id 1, not 2"), (5, 5, "beyond the end")]:
        manifest.write_records(
            storage, autolabels, [{"byoal-id": identity, "byoal-position": position, "category": 1, "confidence": 0.9}]
        )
        with pytest.raises(InputError, match=message):
            merge_labels.handler({**state, "kind": "model", "autolabels": round_info})
    assert not storage.list(start["run"]["root"] + "rounds/")


def test_human_labels_for_records_not_sent_are_rejected(storage, put_inputs):
    request = put_inputs([{"source": "a"}, {"source": "b"}, {"source": "c"}, {"source": "d"}])
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    selection = f"s3://{BUCKET}/sel.manifest"
    manifest.write_records(storage, selection, [{"byoal-id": 0}])
    batch = prepare_human_batch.handler({**state, "selection": {"manifest": selection, "count": 1, "round": 0}})
    output = f"s3://{BUCKET}/out.manifest"
    manifest.write_records(storage, output, [{"source": "b", "byoal-id": 1, "category": 0, "category-metadata": {}}])
    with pytest.raises(InputError, match="line 1: 'byoal-id' 1 is not a record of batch"):
        merge_labels.handler(
            {**state, "kind": "human", "human_batch": batch, "human_labels": {"output_manifest": output}}
        )


def test_simulated_workforce_applies_the_error_rate_reproducibly(storage, put_inputs, headlines):
    rows = headlines[:400]
    answers = [{"source": t, "category": c} for t, c in rows]
    request = put_inputs([{"source": t} for t, _ in rows], answers, AnnotatorErrorRate=0.25)
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    selection = f"s3://{BUCKET}/sel.manifest"
    manifest.write_records(storage, selection, [{"byoal-id": i} for i in range(400)])
    batch = prepare_human_batch.handler({**state, "selection": {"manifest": selection, "count": 400, "round": 0}})
    event = {**state, "human_batch": batch, "labeled_at": STARTED}
    labels = simulated_workforce.handler(event)
    labeled = list(manifest.read_records(storage, labels["output_manifest"]))
    wrong = sum(r["category"] != c for r, (_, c) in zip(labeled, rows, strict=True))
    assert 60 <= wrong <= 140
    assert all(r["category-metadata"]["human-annotated"] == "yes" for r in labeled)
    simulated_workforce.handler(event)
    assert list(manifest.read_records(storage, labels["output_manifest"])) == labeled


def test_simulated_workforce_refuses_an_answer_key_for_other_records(storage, put_inputs):
    records = [{"source": "a"}, {"source": "b"}, {"source": "c"}, {"source": "d"}]
    good = [
        {"source": "a", "category": 0},
        {"source": "b", "category": 1},
        {"source": "c", "category": 0},
        {"source": "d", "category": 1},
    ]
    request = put_inputs(records, [good[0], {"source": "B!", "category": 1}, *good[2:]])
    with pytest.raises(InputError, match="answer key .* line 2: its 'source' differs"):
        validate_input.handler({"request": request, "execution_name": "e"})
    request = put_inputs(records, good)
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    manifest.write_records(
        storage,
        request["ActiveLearningConfig"]["AnswerKeyS3Uri"],
        [{"source": "a", "category": 0}, {"source": "B!", "category": 1}],
    )
    selection = f"s3://{BUCKET}/sel.manifest"
    manifest.write_records(storage, selection, [{"byoal-id": 1}])
    batch = prepare_human_batch.handler({**state, "selection": {"manifest": selection, "count": 1, "round": 0}})
    with pytest.raises(InputError, match="answer key .* line 2: its 'source' differs"):
        simulated_workforce.handler({**state, "human_batch": batch, "labeled_at": STARTED})


@pytest.mark.parametrize("algorithm", ["bundled", "blazingtext"])
def test_a_records_embedding_reaches_the_bundled_containers_channels_and_transform_input(
    storage, put_inputs, algorithm
):
    embedding = {"encoder": "all-MiniLM-L6-v2-int8@0f44f2adeae233cb", "float16": "AAA8"}
    records = [{"source": f"headline {index}", "byoal-embedding": embedding} for index in range(40)]
    for index in range(20):
        records[index].update(
            category=index % 2, **{"category-metadata": {"class-name": "x", "human-annotated": "yes"}}
        )
    request = put_inputs(records, SeedShare=0.0, MinValidationRecords=5)
    start = validate_input.handler({"request": request, "execution_name": "e1"})
    event = {**start, "working": assign_ids.handler({"run": start["run"]}), "round": 1}
    event["working"] = hold_out_calibration.handler(event)
    training = prepare_training.handler({**event, "algorithm": algorithm, "training_image": "img"})
    channel_uri = training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    train = list(
        manifest.read_records(storage, channel_uri if algorithm == "blazingtext" else channel_uri + "train.manifest")
    )
    transform = prepare_transform_input.handler({**event, "algorithm": algorithm})
    inputs = list(manifest.read_records(storage, transform["input_prefix"] + "records.jsonl"))
    assert train and inputs
    expected = [embedding] if algorithm == "bundled" else [None]
    assert {json.dumps(record.get("byoal-embedding")) for record in train + inputs} == {json.dumps(e) for e in expected}
