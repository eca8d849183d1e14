"""Each record embedded once per run: the PrecomputeEmbeddings setting, the embed transform's input, and the
join of its output into every round's channels and transform input (never into the working manifest)."""

from __future__ import annotations

import json

import pytest

from byoal import embeddings, layout, manifest
from byoal.errors import InputError
from byoal.hyperparameters import LOCAL_BUNDLED_IMAGE
from lambdas import (
    assign_ids,
    export_manifest,
    hold_out_calibration,
    prepare_embedding_input,
    prepare_training,
    prepare_transform_input,
    validate_input,
)

from .conftest import snapshot

OWN_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/own-model:1"
CDK_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets-123456789012-eu-west-1:abc"


def vector(record_id: int) -> dict[str, str]:
    return {"encoder": "enc@1", "float16": f"vector-of-{record_id}"}


@pytest.mark.parametrize(
    ("setting", "algorithm", "image", "model", "expected"),
    [
        ("auto", "bundled", LOCAL_BUNDLED_IMAGE, None, True),
        ("auto", "bundled", CDK_IMAGE, "minilm-tfidf", True),
        ("auto", "bundled", LOCAL_BUNDLED_IMAGE, "keras-scratch", False),
        ("auto", "blazingtext", "blazingtext-image", None, False),
        ("auto", "bundled", OWN_IMAGE, None, False),
        (True, "bundled", OWN_IMAGE, None, True),
        (False, "bundled", LOCAL_BUNDLED_IMAGE, None, False),
    ],
)
def test_the_setting_resolves_for_the_model_that_will_train(setting, algorithm, image, model, expected):
    config = {"PrecomputeEmbeddings": setting, "HyperParameters": {} if model is None else {"model": model}}
    assert embeddings.precompute_embeddings(config, algorithm=algorithm, image=image) is expected


@pytest.mark.parametrize(
    ("setting", "algorithm", "model", "message"),
    [
        (True, "blazingtext", None, "'blazingtext' reads no embeddings"),
        (True, "bundled", "keras-scratch", "'keras-scratch' reads no embeddings"),
        ("yes", "bundled", None, "must be \"auto\", true or false, got 'yes'"),
        (1, "bundled", None, "got 1"),
    ],
)
def test_a_setting_no_model_could_use_is_refused_naming_the_key(setting, algorithm, model, message):
    config = {"PrecomputeEmbeddings": setting, "HyperParameters": {} if model is None else {"model": model}}
    with pytest.raises(InputError, match="ActiveLearningConfig.PrecomputeEmbeddings") as error:
        embeddings.precompute_embeddings(config, algorithm=algorithm, image=LOCAL_BUNDLED_IMAGE)
    assert message in str(error.value)


def joined(records, output):
    return list(embeddings.with_embeddings(records, output, uri="s3://b/run/embeddings/output/records.jsonl.out"))


def embed_output(ids):
    return [{"byoal-id": i, "SageMakerOutput": {"byoal-embedding": vector(i)}} for i in ids]


def test_the_join_gives_each_record_its_own_embedding_and_leaves_the_records_unchanged():
    records = [{"source": f"text {i}", "byoal-id": i} for i in (7, 3, 9)]
    result = joined(records, embed_output([7, 3, 9]))
    assert [r["byoal-embedding"] for r in result] == [vector(7), vector(3), vector(9)]
    assert all("byoal-embedding" not in r for r in records)


@pytest.mark.parametrize(
    ("output_ids", "message"),
    [
        ([7, 9, 3], "line 2: 'byoal-id' is 9, but the working manifest's record 2 is 3"),
        ([7, 3], "ends after 2 lines, but the working manifest has a record 9 at line 3"),
        ([7, 3, 9, 11], "has a line 4 (record 11) after the working manifest's 3 records"),
    ],
)
def test_ids_out_of_line_are_a_clear_error(output_ids, message):
    records = [{"source": f"text {i}", "byoal-id": i} for i in (7, 3, 9)]
    with pytest.raises(embeddings.EmbeddingJoinError) as error:
        joined(records, embed_output(output_ids))
    assert message in str(error.value) and "records.jsonl.out" in str(error.value)


def test_an_output_line_without_an_embedding_is_a_clear_error():
    records = [{"source": "text", "byoal-id": 0}]
    with pytest.raises(embeddings.EmbeddingJoinError, match=r"line 1: no 'SageMakerOutput.byoal-embedding'.*embed"):
        joined(records, [{"byoal-id": 0, "SageMakerOutput": {"label": 1, "probabilities": [0.1, 0.9]}}])


def run_embed_transform(storage, embedding_step):
    """What the embed transform writes with JoinSource=Input and the loop's OutputFilter."""
    rows = list(manifest.read_records(storage, embedding_step["input_prefix"] + "records.jsonl"))
    output = (
        {"byoal-id": row["byoal-id"], "SageMakerOutput": {"byoal-embedding": vector(row["byoal-id"])}} for row in rows
    )
    manifest.write_records(storage, embedding_step["output_prefix"] + "records.jsonl.out", output)
    return rows


def start(storage, put_inputs, records, **config):
    request = put_inputs(records, SeedShare=0.0, MinValidationRecords=5, **config)
    event = {
        "request": request,
        "execution_name": "e1",
        "model": {"algorithm": "bundled", "image": LOCAL_BUNDLED_IMAGE},
    }
    started = validate_input.handler(event)
    return {**started, "working": assign_ids.handler({"run": started["run"]})}


def labeled_records(count=40, labeled=20, own_embedding=None):
    records = [{"source": f"headline {index}"} for index in range(count)]
    for index in range(labeled):
        records[index].update(
            category=index % 2, **{"category-metadata": {"class-name": "x", "human-annotated": "yes"}}
        )
    if own_embedding is not None:
        records[0]["byoal-embedding"] = own_embedding
    return records


def test_channels_and_transform_input_carry_the_joined_embeddings_and_the_final_manifest_none(storage, put_inputs):
    own = {"encoder": "another-encoder@0", "float16": "AAA8"}
    event = start(storage, put_inputs, labeled_records(own_embedding=own))
    assert event["config"]["PrecomputeEmbeddings"] is True
    step = {"config": event["config"], "run": event["run"], "working": event["working"], "attempt": 0}
    embedding_step = prepare_embedding_input.handler(step)
    state = snapshot(storage)
    assert prepare_embedding_input.handler(step) == embedding_step and snapshot(storage) == state
    rows = run_embed_transform(storage, embedding_step)
    assert rows == [{"byoal-id": i, "source": f"headline {i}"} for i in range(40)] and embedding_step["records"] == 40
    assert embedding_step["output_prefix"] + "records.jsonl.out" == layout.embeddings_output(event["run"]["root"])
    assert embedding_step["encoder_path"] == ""

    event = {**event, "round": 1}
    event["working"] = hold_out_calibration.handler(event)
    training = prepare_training.handler({**event, "algorithm": "bundled", "training_image": "img"})
    folder = training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    train = list(manifest.read_records(storage, folder + "train.manifest"))
    transform = prepare_transform_input.handler({**event, "algorithm": "bundled"})
    inputs = list(manifest.read_records(storage, transform["input_prefix"] + "records.jsonl"))
    by_source = {f"headline {i}": i for i in range(40)}
    assert train and len(inputs) >= 20
    for record in train + inputs:
        assert record["byoal-embedding"] == vector(by_source[record["source"]])
    working = list(manifest.read_records(storage, event["working"]["manifest"]))
    assert working[0]["byoal-embedding"] == own and not any("byoal-embedding" in record for record in working[1:])

    final = export_manifest.handler(event)
    exported = list(manifest.read_records(storage, final["final_manifest"]))
    assert exported[0]["byoal-embedding"] == own, "an input record's own field is kept as it was"
    assert all("byoal-embedding" not in record for record in exported[1:])


def test_a_run_without_embeddings_writes_the_channels_as_before(storage, put_inputs):
    event = start(storage, put_inputs, labeled_records(), PrecomputeEmbeddings=False)
    assert event["config"]["PrecomputeEmbeddings"] is False
    event = {**event, "round": 1}
    event["working"] = hold_out_calibration.handler(event)
    training = prepare_training.handler({**event, "algorithm": "bundled", "training_image": "img"})
    folder = training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    transform = prepare_transform_input.handler({**event, "algorithm": "bundled"})
    written = list(manifest.read_records(storage, folder + "train.manifest")) + list(
        manifest.read_records(storage, transform["input_prefix"] + "records.jsonl")
    )
    assert written and all("byoal-embedding" not in record for record in written)
    assert not storage.exists(layout.embeddings_output(event["run"]["root"]))


def test_a_working_manifest_out_of_line_with_the_embeddings_fails_the_round_step(storage, put_inputs):
    event = start(storage, put_inputs, labeled_records())
    embedding_step = prepare_embedding_input.handler({**event, "attempt": 0})
    run_embed_transform(storage, embedding_step)
    output = layout.embeddings_output(event["run"]["root"])
    lines = list(manifest.read_records(storage, output))
    manifest.write_records(storage, output, [lines[1], lines[0], *lines[2:]])
    event = {**event, "round": 1}
    event["working"] = hold_out_calibration.handler(event)
    out_of_line = "line 1: 'byoal-id' is 1, but the working manifest's record 1 is 0"
    with pytest.raises(embeddings.EmbeddingJoinError, match=out_of_line):
        prepare_training.handler({**event, "algorithm": "bundled", "training_image": "img"})


def test_the_embed_model_and_job_are_named_per_redrive(storage, put_inputs):
    event = start(storage, put_inputs, labeled_records(), HyperParameters={"encoder_path": "/opt/encoders/mine"})
    first = prepare_embedding_input.handler({**event, "attempt": 0})
    redriven = prepare_embedding_input.handler({**event, "attempt": 2})
    run = event["run"]["id"]
    assert (first["model_name"], redriven["model_name"]) == (f"{run}-r000-embed", f"{run}-r000-embed-2")
    assert first["job_name"] == redriven["job_name"] == f"{run}-r000-embed"
    assert first["encoder_path"] == "/opt/encoders/mine"
    assert json.loads(json.dumps(first)) == first
