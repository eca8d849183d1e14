"""The GroundTruth workforce offline, end to end through ``python -m scripts.run_local``; and what its loop state
measures, which bounds MaxRounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from asl_interpreter.errors import MAX_PAYLOAD_BYTES
from asl_interpreter.interpreter import payload_bytes
from byoal.errors import InputError
from byoal.request import MAX_ROUNDS, validate_active_learning_config
from scripts import run_local
from tests.conftest import prepared_sample

RECORDS = 300
BATCH = 30
LONGEST_OUTPUT_PATH = 1024
"""SageMaker's maximum length of an S3OutputPath (CreateLabelingJob's OutputConfig in botocore's model)."""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ground-truth") / "prepared"
    return prepared_sample(folder, records=RECORDS, seed=3, options=("--workforce", "GroundTruth"))


@pytest.fixture(scope="module")
def finished_run(inputs, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("run")
    # At TargetAccuracy 0.9 round 1's 36 calibration records (ValidationShare 0.3 of the 120 given labels) reach
    # the threshold test's 22, but a one-epoch model passes it with few if any: the pool keeps a whole batch.
    arguments = ["--inputs", str(inputs), "--workdir", str(workdir), "--epochs", "1", "--batch-size", str(BATCH),
                 "--max-rounds", "1", "--target-accuracy", "0.9", "--name", "gt", "--quiet"]  # fmt: skip
    assert run_local.main(arguments) == 0
    return workdir


def history(workdir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (workdir / "history.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_ground_truth_workforce_labels_the_batch_offline(inputs, finished_run) -> None:
    request = json.loads((inputs / "request.json").read_text())
    assert request["ActiveLearningConfig"]["Workforce"] == "GroundTruth"
    states = [event for event in history(finished_run) if event["event"] == "State"]
    (labeling,) = [event for event in states if event["state_name"] == "LabelWithGroundTruth"]
    assert labeling["error"] is None
    output_uri = labeling["output"]["human_labels"]["output_manifest"]
    assert output_uri.endswith("/manifests/output/output.manifest")

    summary = json.loads((finished_run / "summary.json").read_text())
    assert summary["human_labeled"] == int(RECORDS * 0.4) + BATCH
    answers = [json.loads(line) for line in (inputs / "answers.manifest").read_text().splitlines()]
    final = [json.loads(line) for line in Path(summary["final_manifest"]).read_text().splitlines()]
    labeled_by_the_job = [
        record for record in final if record.get("category-metadata", {}).get("job-name", "").endswith("-human")
    ]
    assert len(labeled_by_the_job) == BATCH
    for record in labeled_by_the_job:
        assert record["category-metadata"]["human-annotated"] == "yes"
        assert record["category"] == answers[record["byoal-id"]]["category"], "labeled from the answer key"


def test_max_rounds_is_bounded_by_what_fits_in_the_loop_state(inputs, finished_run) -> None:
    """Extrapolate the measured loop state to MAX_ROUNDS rounds with the longest S3OutputPath SageMaker takes."""
    output_path = json.loads((inputs / "request.json").read_text())["OutputConfig"]["S3OutputPath"]
    longest = "s3://" + "b" * 63 + "/" + "k" * (LONGEST_OUTPUT_PATH - len("s3://") - 63 - 2) + "/"
    loop = [
        event["output"]
        for event in history(finished_run)
        if event["event"] == "State" and ":ActiveLearningLoop:" in event["execution_arn"] and event["output"]
    ]
    largest = max(loop, key=payload_bytes)
    worst = json.loads(json.dumps(largest).replace(output_path, longest))
    (entry,) = [entry for entry in worst["counts"]["rounds"] if entry["round"] == 1]
    base = payload_bytes(worst) - payload_bytes(worst["counts"]["rounds"])

    assert base + MAX_ROUNDS * (payload_bytes(entry) + 1) + 2 <= MAX_PAYLOAD_BYTES
    assert base + 10 * MAX_ROUNDS * payload_bytes(entry) > MAX_PAYLOAD_BYTES, "the old bound (1,000) did not fit"


def test_a_request_with_more_rounds_than_fit_is_refused_naming_the_field() -> None:
    assert validate_active_learning_config({"MaxRounds": MAX_ROUNDS})["MaxRounds"] == MAX_ROUNDS
    with pytest.raises(InputError, match=r"'ActiveLearningConfig\.MaxRounds' must be in \[0, 100\]"):
        validate_active_learning_config({"MaxRounds": MAX_ROUNDS + 1})
