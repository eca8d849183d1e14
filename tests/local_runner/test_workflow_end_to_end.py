"""Both real state-machine definitions through the offline runner, with the real model container.

A few hundred headlines keep it quick; the checks are the invariants (README, "Invariants") on what
the run stored: every input record exactly once, in order, its fields and given labels untouched;
auto-labels only from models that never saw those records' labels; calibration records human-labeled
and never trained on. The target accuracy (0.85) is set so that the bundled default model
auto-labels some records in round 1 but not all of them, so the run has a second round.
"""

from __future__ import annotations

import json
import re
import tarfile
import threading
import time
from pathlib import Path

import pytest

from asl_interpreter import TaskFailure
from byoal import manifest
from local_runner.runner import SUBSTITUTIONS, LocalWorkflow, function_arn
from scripts import local_callback, prepare, run_local
from statemachines import ACTIVE_LEARNING_LOOP, load_definition
from tests.conftest import prepared_sample

RECORDS = 500


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs") / "prepared"
    return prepared_sample(folder, records=RECORDS, seed=3, options=("--validation-share", "0.5"))


@pytest.fixture(scope="module")
def finished_run(inputs, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("run")
    arguments = ["--inputs", str(inputs), "--workdir", str(workdir), "--epochs", "2", "--batch-size", "40",
                 "--max-rounds", "2", "--target-accuracy", "0.85", "--name", "e2e", "--quiet"]
    assert run_local.main(arguments) == 0
    return workdir


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_final_manifest_holds_every_input_record_once_in_order_untouched(inputs, finished_run):
    summary = json.loads((finished_run / "summary.json").read_text())
    original = records_of(inputs / "input.manifest")
    final = records_of(Path(summary["final_manifest"]))
    assert len(final) == len(original) == RECORDS == summary["records"]
    assert [record["byoal-id"] for record in final] == list(range(RECORDS))
    for before, after in zip(original, final, strict=True):
        assert after["source"] == before["source"]
        if "category" in before:
            assert after["category"] == before["category"]
            assert after["category-metadata"] == before["category-metadata"]
        assert set(after) - set(before) <= {"byoal-id", "category", "category-metadata"}
    assert summary["human_labeled"] + summary["auto_labeled"] + summary["unlabeled"] == RECORDS
    assert summary["rounds"] == 2 and summary["auto_labeled"] > 0
    assert 0 <= summary["model_label_accuracy"] <= 1 and summary["wall_seconds"] > 0
    assert "<img" in (finished_run / "report.html").read_text()
    for row in summary["rounds_table"]:
        assert row["auto_labeled"] > 0 or row["no_auto_label_reason"]
        assert row["measured_accuracy"] is None or row["below_target"] == (row["measured_accuracy"] < 0.6)
    assert (
        summary["human_labeled"] >= sum(entry.get("calibration_labeled", 0) for entry in summary["round_details"]) > 0
    )


def round_folders(finished_run: Path) -> list[Path]:
    return sorted(finished_run.glob("s3/byoal-local/inputs/output/*/rounds/00[1-9]"))


def test_auto_labels_come_only_from_models_that_never_saw_those_records(finished_run):
    checked = 0
    for round_folder in round_folders(finished_run):
        stats = json.loads((round_folder / "active-learning.json").read_text())
        training = {r["source"] for r in records_of(round_folder / "training/train/train.manifest")}
        training |= {r["source"] for r in records_of(round_folder / "training/validation/validation.manifest")}
        autolabels = records_of(round_folder / "autolabels.manifest")
        transform_input = {
            r["byoal-id"]: r["source"] for r in records_of(round_folder / "transform/input/records.jsonl")
        }
        assert not training & {transform_input[label["byoal-id"]] for label in autolabels}
        assert stats["auto_labeled"] == len(autolabels)
        checked += len(autolabels)
    assert checked > 0


def test_calibration_records_are_human_labeled_never_trained_on_and_grow_from_batches(finished_run):
    final_root = next(finished_run.glob("s3/byoal-local/inputs/output/*/"))
    jobs = sorted(final_root.glob("labeling-jobs/*/calibration.manifest"))
    assert len(jobs) >= 2, "every human batch lists its calibration records in its job folder"
    drawn = {r["byoal-id"]: r["byoal-calibration"] for job in jobs for r in records_of(job)}
    assert drawn and set(drawn.values()) >= {1}
    for round_folder in round_folders(finished_run):
        training = {r["source"] for r in records_of(round_folder / "training/train/train.manifest")}
        training |= {r["source"] for r in records_of(round_folder / "training/validation/validation.manifest")}
        transform_input = {
            r["byoal-id"]: r["source"] for r in records_of(round_folder / "transform/input/records.jsonl")
        }
        calibration_sources = {transform_input[i] for i in drawn if i in transform_input}
        assert not training & calibration_sources
    summary = json.loads((finished_run / "summary.json").read_text())
    final = {r["byoal-id"]: r for r in records_of(Path(summary["final_manifest"]))}
    for identity in drawn:
        assert final[identity]["category-metadata"]["human-annotated"] == "yes"
        assert "byoal-calibration" not in final[identity]


def test_every_state_is_in_the_history_with_times(finished_run):
    events = records_of(finished_run / "history.jsonl")
    names = {event.get("state_name") for event in events if event["event"] == "State"}
    assert {"ValidateInput", "RunActiveLearningRound", "TrainModel", "PredictRecords", "PerformActiveLearning",
            "LabelWithSimulatedWorkforce", "MergeHumanLabels", "ExportFinalManifest"} <= names
    finished = [event for event in events if event["event"] == "ExecutionFinished"]
    assert [event["status"] for event in finished] == ["SUCCEEDED"] * 3


def request_for(inputs: Path, **config) -> dict:
    request = json.loads((inputs / "request.json").read_text())
    request["ActiveLearningConfig"].update(config)
    return request


def workflow_with_inputs(inputs: Path, workdir: Path, **options) -> LocalWorkflow:
    workflow = LocalWorkflow(workdir, log=lambda message: None, sleep=lambda seconds: None, **options)
    for uri, path in prepare.input_files(json.loads((inputs / "request.json").read_text()), inputs).items():
        workflow.storage.put_file(uri, path)
    return workflow


def test_a_failing_training_job_fails_the_execution_with_the_containers_reason(inputs, tmp_path):
    workflow = workflow_with_inputs(inputs, tmp_path)
    # An image of the user's own publishes no hyperparameter schema: the bad value reaches the container.
    own_image = {**SUBSTITUTIONS, "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/own-model:1"}
    workflow.loop_definition = load_definition(ACTIVE_LEARNING_LOOP, own_image)
    result = workflow.run(request_for(inputs, HyperParameters={"epochs": "-3"}, MaxRounds=1), name="bad-epochs")
    assert result.status == "FAILED"
    assert result.failed_state == "RunActiveLearningRound"
    assert "epochs" in result.cause and "FailureReason" in result.cause
    assert not list(tmp_path.glob("s3/**/final/output.manifest"))


def test_the_command_names_the_failing_state_and_the_hyperparameter_the_model_refuses(inputs, tmp_path, capsys):
    arguments = ["--inputs", str(inputs), "--workdir", str(tmp_path), "--epochs", "0", "--max-rounds", "1", "--quiet"]
    assert run_local.main(arguments) == 1
    error = capsys.readouterr().err
    assert "state ValidateInput" in error and "'ActiveLearningConfig.HyperParameters.epochs' is '0'" in error
    assert not (tmp_path / "summary.json").exists()
    assert not list(tmp_path.glob("s3/**/rounds/*"))


def test_a_transient_lambda_error_is_retried(inputs, tmp_path):
    failures = []

    def flaky(resource, parameters, context):
        if resource == function_arn("count_records") and not failures:
            failures.append(context.state_name)
            raise TaskFailure("Lambda.TooManyRequestsException", "Rate exceeded")

    workflow = workflow_with_inputs(inputs, tmp_path, on_task=flaky)
    result = workflow.run(request_for(inputs, MaxRounds=0), name="flaky")
    assert result.status == "SUCCEEDED" and failures == ["CountRecords"]
    retried = [e for e in records_of(tmp_path / "history.jsonl") if e.get("state_name") == "CountRecords"]
    assert any(event["retry_count"] == 1 for event in retried)


def test_the_callback_workforce_waits_for_a_labeled_manifest(inputs, tmp_path):
    workflow = workflow_with_inputs(inputs, tmp_path)
    workflow.inbox.poll_seconds = 0.05
    request = request_for(inputs, Workforce="Callback", MaxRounds=0, SeedShare=0.5)
    answers = {i: r for i, r in enumerate(records_of(inputs / "answers.manifest"))}

    def human_with_a_spreadsheet():
        deadline = time.monotonic() + 120
        while not (pending := list(tmp_path.glob("s3/**/callback.json"))):
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        batch_uri = json.loads(pending[0].read_text())["input_manifest"]
        batch = list(manifest.read_records(workflow.storage, batch_uri))
        labeled = tmp_path / "my-labels.jsonl"
        labeled.write_text(
            "".join(
                json.dumps({"byoal-id": r["byoal-id"], "category": answers[r["byoal-id"]]["category"]}) + "\n"
                for r in batch
            )
        )
        uri = "s3://" + str(pending[0].relative_to(tmp_path / "s3"))
        assert local_callback.main(["--workdir", str(tmp_path), "--pending", uri, "--labeled", str(labeled)]) == 0

    helper = threading.Thread(target=human_with_a_spreadsheet)
    helper.start()
    result = workflow.run(request, name="callback")
    helper.join()
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["counts"]["human_labeled"] == 250


def embedding_counts(log: Path) -> tuple[int, int, int]:
    """(encoded, from the cache, from the records) in a training or transform job's log."""
    match = re.search(r"embeddings: (\d+) encoded, (\d+) from the cache, (\d+) from the records", log.read_text())
    assert match, log.name
    return tuple(int(group) for group in match.groups())


def test_each_record_is_encoded_once_per_run(finished_run):
    """One embed transform before the first round encodes every record; no round's job encodes anything: each
    training channel and transform input record carries its embedding, joined in from that output."""
    states = [e["state_name"] for e in records_of(finished_run / "history.jsonl") if e["event"] == "State"]
    assert states.count("EmbedRecords") == states.count("CreateEmbeddingModel") == 1
    assert states.index("EmbedRecords") < states.index("RunActiveLearningRound")
    (embed_log,) = (finished_run / "logs").glob("*-r000-embed-0.log")
    assert embed_log.read_text().startswith(f"records: {RECORDS}\n")
    assert embedding_counts(embed_log) == (RECORDS, 0, 0)
    jobs = sorted((finished_run / "logs").glob("*-r00[12]-*.log"))
    assert [log.name.rsplit("-", 1)[1] for log in jobs] == ["train.log", "transform.log"] * 2
    for log in jobs:
        encoded, cached, precomputed = embedding_counts(log)
        assert (encoded, cached) == (0, 0) and precomputed > 0, log.name
    (output,) = finished_run.glob("s3/**/embeddings/output/records.jsonl.out")
    assert [record["byoal-id"] for record in records_of(output)] == list(range(RECORDS))


def test_the_from_scratch_keras_model_runs_the_loop_too(inputs, tmp_path):
    arguments = ["--inputs", str(inputs), "--workdir", str(tmp_path), "--model", "keras-scratch", "--epochs", "1",
                 "--max-rounds", "1", "--target-accuracy", "0.6", "--quiet"]
    assert run_local.main(arguments) == 0
    archives = list(tmp_path.glob("s3/**/model.tar.gz"))
    assert len(archives) == 1
    states = {e["state_name"] for e in records_of(tmp_path / "history.jsonl") if e["event"] == "State"}
    assert "ChooseEmbeddingStep" in states
    assert not states & {"PrepareEmbeddingInput", "CreateEmbeddingModel", "EmbedRecords"}
    assert not list(tmp_path.glob("s3/**/embeddings/*"))
    with tarfile.open(archives[0]) as archive:
        assert sorted(archive.getnames()) == ["metadata.json", "model.keras"]


def test_a_run_failed_at_the_embed_transform_redrives_it_under_a_new_job_name(inputs, tmp_path):
    jobs: list[str] = []

    def embed_fails_once(resource, parameters, context):
        if context.state_name == "EmbedRecords":
            jobs.append(parameters["TransformJobName"])
            if len(jobs) == 1:
                raise TaskFailure("States.TaskFailed", "the transform job failed")

    workflow = workflow_with_inputs(inputs, tmp_path, on_task=embed_fails_once)
    failed = workflow.run(request_for(inputs, MaxRounds=1), name="embed-redrive")
    assert failed.status == "FAILED" and failed.failed_state == "EmbedRecords"
    # As `python -m scripts.run_local` resumes: another process, which finds the embed model the first one created.
    resumed = LocalWorkflow(tmp_path, log=lambda message: None, sleep=lambda seconds: None, on_task=embed_fails_once)
    result = resumed.redrive(resumed.stopped_execution())
    assert result.status == "SUCCEEDED", result.cause
    assert [job.rsplit("-", 1)[1] for job in jobs] == ["0", "1"] and jobs[0][:-2] == jobs[1][:-2]
    (output,) = tmp_path.glob("s3/**/embeddings/output/records.jsonl.out")
    assert [record["byoal-id"] for record in records_of(output)] == list(range(RECORDS))
    train_logs = list((tmp_path / "logs").glob("*-r001-train-1.log"))
    assert len(train_logs) == 1 and embedding_counts(train_logs[0])[:2] == (0, 0)
