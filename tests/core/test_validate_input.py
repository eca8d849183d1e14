"""validate_input and assign_ids: bad input fails early with a message naming it, and writes nothing."""

from __future__ import annotations

import json

import pytest

from byoal import manifest
from byoal.errors import InputError
from byoal.storage import write_bytes
from lambdas import assign_ids, validate_input

from .conftest import BUCKET, snapshot

TITLES = ['Fed\'s "taper" talk', "back\\slash C:\\path", "line one\nline two", "Café über naïve — 東京 🚀"]


def run(request):
    return validate_input.handler({"request": request, "execution_name": "exec-1"})


def outputs(storage):
    return {uri for uri in snapshot(storage) if uri.startswith(f"s3://{BUCKET}/output/")}


def test_valid_request_is_normalized_and_the_manifest_copied(storage, put_inputs):
    records = [{"source": title, "keep": {"nested": [1, 2]}} for title in TITLES]
    result = run(put_inputs(records))
    config = result["config"]
    assert config["QueryStrategy"] == "margin" and config["ValidationShare"] == 0.3  # defaults filled in
    assert config["TargetAccuracy"] == 0.5  # as given
    assert config["RecordCount"] == 4 and config["Labels"][2] == "Health & Medicine"
    assert config["HumanBatchSize"] == 1
    assert result["run"]["root"].startswith(f"s3://{BUCKET}/output/news-")
    assert list(manifest.read_records(storage, result["run"]["input_manifest"])) == records


def test_the_seed_request_without_active_learning_config_runs(storage, put_inputs):
    request = put_inputs([{"source": f"headline {number}"} for number in range(421)])  # the defaults' smallest
    del request["ActiveLearningConfig"]
    with pytest.raises(InputError, match="HumanTaskConfig"):
        run(request)
    request["HumanTaskConfig"] = {
        "WorkteamArn": "arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default",
        "UiConfig": {"UiTemplateS3Uri": f"s3://{BUCKET}/inputs/instructions.template"},
        "PreHumanTaskLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:PRE-TextMultiClass",
        "AnnotationConsolidationConfig": {
            "AnnotationConsolidationLambdaArn": "arn:aws:lambda:us-east-1:432418664414:function:ACS-TextMultiClass"
        },
        "TaskTitle": "News", "TaskDescription": "Classify", "NumberOfHumanWorkersPerDataObject": 1,
        "TaskTimeLimitInSeconds": 300,
    }
    assert run(request)["config"]["Workforce"] == "GroundTruth"


def test_ids_are_positions_and_kept_when_given(storage, put_inputs):
    result = run(put_inputs([{"source": "a"}, {"source": "b", "byoal-id": 7}, {"source": "c"}, {"source": "d"}]))
    working = assign_ids.handler({"run": result["run"]})
    assert [r["byoal-id"] for r in manifest.read_records(storage, working["manifest"])] == [0, 7, 2, 3]


BAD_INPUTS = [
    ("empty manifest", lambda r, s: write_bytes(s, f"s3://{BUCKET}/inputs/input.manifest", b""), "holds no records"),
    (
        "not JSON",
        lambda r, s: write_bytes(s, f"s3://{BUCKET}/inputs/input.manifest", b'{"source": "a"}\n{"source": \n'),
        "line 2: not valid JSON",
    ),
    (
        "no source",
        lambda r, s: write_bytes(s, f"s3://{BUCKET}/inputs/input.manifest", b'{"source": "a"}\n{"text": "b"}\n'),
        "line 2: record has no 'source'",
    ),
    (
        "label outside the label file",
        lambda r, s: write_bytes(s, f"s3://{BUCKET}/inputs/input.manifest", b'{"source": "a", "category": 4}\n'),
        "line 1: label 'category' = 4 is outside",
    ),
    (
        "duplicate ids",
        lambda r, s: write_bytes(
            s, f"s3://{BUCKET}/inputs/input.manifest", b'{"source": "a", "byoal-id": 1}\n{"source": "b"}\n'
        ),
        "line 2: duplicate record id byoal-id=1",
    ),
    (
        "output path without /",
        lambda r, s: r["OutputConfig"].update(S3OutputPath=f"s3://{BUCKET}/output"),
        "'OutputConfig.S3OutputPath' must end with '/'",
    ),
    (
        "unknown strategy",
        lambda r, s: r["ActiveLearningConfig"].update(QueryStrategy="smartest"),
        "'ActiveLearningConfig.QueryStrategy' must be one of",
    ),
    (
        "target accuracy 0",
        lambda r, s: r["ActiveLearningConfig"].update(TargetAccuracy=0),
        "'ActiveLearningConfig.TargetAccuracy' must be in \\(0, 1\\]",
    ),
    ("target accuracy above 1", lambda r, s: r["ActiveLearningConfig"].update(TargetAccuracy=1.2), "TargetAccuracy"),
    (
        "label file without labels",
        lambda r, s: write_bytes(
            s,
            f"s3://{BUCKET}/inputs/class_labels.json",
            json.dumps({"document-version": "2018-11-28", "labels": []}).encode(),
        ),
        "'labels' must be a non-empty list",
    ),
    (
        "missing manifest field",
        lambda r, s: r["InputConfig"]["DataSource"]["S3DataSource"].clear(),
        "missing 'InputConfig.DataSource.S3DataSource.ManifestS3Uri'",
    ),
    (
        "unknown config key",
        lambda r, s: r["ActiveLearningConfig"].update(BatchSize=3),
        "unknown keys \\['BatchSize'\\]",
    ),
    (
        "answer key missing",
        lambda r, s: r["ActiveLearningConfig"].update(AnswerKeyS3Uri=f"s3://{BUCKET}/nope.manifest"),
        "AnswerKeyS3Uri': object not found",
    ),
]


@pytest.mark.parametrize("case, spoil, message", BAD_INPUTS, ids=[case for case, _, _ in BAD_INPUTS])
def test_bad_input_fails_naming_it_and_writes_nothing(storage, put_inputs, case, spoil, message):
    request = put_inputs(
        [{"source": "a", "category": 1}, {"source": "b"}, {"source": "c"}, {"source": "d"}, {"source": "e"}]
    )
    spoil(request, storage)
    with pytest.raises(InputError, match=message):
        run(request)
    assert outputs(storage) == set()


def test_validation_and_id_assignment_are_idempotent(storage, put_inputs):
    request = put_inputs([{"source": title} for title in TITLES])
    first = run(request)
    assign_ids.handler({"run": first["run"]})
    state = snapshot(storage)
    assert run(request) == first
    assign_ids.handler({"run": first["run"]})
    assert snapshot(storage) == state


def test_the_run_folder_belongs_to_one_execution(storage, put_inputs):
    request = put_inputs(
        [{"source": "a", "category": 1}, {"source": "b"}, {"source": "c"}, {"source": "d"}, {"source": "e"}]
    )
    first = validate_input.handler({"request": request, "execution_name": "e", "execution_id": "arn:execution:Loop:e"})
    # A retry or redrive of the same execution finds its own claim.
    assert (
        validate_input.handler({"request": request, "execution_name": "e", "execution_id": "arn:execution:Loop:e"})
        == first
    )
    before = snapshot(storage)
    with pytest.raises(
        InputError, match=f"the run folder {first['run']['root']} belongs to execution arn:execution:Loop:e"
    ):
        validate_input.handler({"request": request, "execution_name": "e", "execution_id": "arn:execution:OtherLoop:e"})
    assert snapshot(storage) == before
