"""A stopped offline run — killed, or failed at a state — resumes like a Step Functions redrive.

Each resumed run is checked against the invariants (README, "Invariants": every input record exactly
once and untouched, human labels never replaced, calibration records never auto-labeled nor trained
on) and against an uninterrupted run with
the same seed: the same human batches, each asked once, and a summary that agrees with the final
manifest. A few hundred headlines and two epochs keep it quick.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from asl_interpreter import TaskFailure
from local_runner.sagemaker import LocalSageMaker
from scripts import run_local
from tests.conftest import REPO, prepared_sample

RECORDS = 500
# At TargetAccuracy 0.9 round 1 (40 calibration records from the 200 random pre-labels; 22 needed) auto-labels part
# of the pool and leaves enough for a human batch and a second round: two training jobs, two human batches.
OPTIONS = [
    "--epochs", "2", "--batch-size", "40", "--max-rounds", "2", "--target-accuracy", "0.9", "--name", "resume",
    "--quiet",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return prepared_sample(tmp_path_factory.mktemp("inputs") / "prepared", records=RECORDS, seed=3)


def arguments(inputs: Path, workdir: Path) -> list[str]:
    return ["--inputs", str(inputs), "--workdir", str(workdir), *OPTIONS]


@pytest.fixture(scope="module")
def uninterrupted(inputs, tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("uninterrupted")
    assert run_local.main(arguments(inputs, workdir)) == 0
    return workdir


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def events_of(workdir: Path) -> list[dict]:
    return records_of(workdir / "history.jsonl")


def labeling_jobs(workdir: Path) -> list[tuple[str, int]]:
    """(job name, records sent) of every human batch the workforce answered, in order."""
    return [
        (event["input"]["human_batch"]["job_name"], event["input"]["human_batch"]["count"])
        for event in events_of(workdir)
        if event["event"] == "State"
        and event["state_name"] == "LabelWithSimulatedWorkforce"
        and event["output"] is not None
    ]


def human_labeled(records: list[dict]) -> dict[int, int]:
    return {
        r["byoal-id"]: r["category"] for r in records if r.get("category-metadata", {}).get("human-annotated") == "yes"
    }


def check_invariants(inputs: Path, workdir: Path, uninterrupted: Path) -> None:
    summary = json.loads((workdir / "summary.json").read_text())
    original = records_of(inputs / "input.manifest")
    answers = records_of(inputs / "answers.manifest")
    final = records_of(Path(summary["final_manifest"]))
    # Every input record exactly once, in input order, its own fields untouched.
    assert [record["byoal-id"] for record in final] == list(range(len(original)))
    for before, after in zip(original, final, strict=True):
        assert {key: after.get(key) for key in before} == before
    # Human labels are the answers given (never replaced by a model label); the same records as uninterrupted.
    humans = human_labeled(final)
    assert all(label == answers[identity]["category"] for identity, label in humans.items())
    baseline_summary = json.loads((uninterrupted / "summary.json").read_text())
    assert humans == human_labeled(records_of(Path(baseline_summary["final_manifest"])))
    # No human batch asked twice: the same batches as the uninterrupted run, each answered once.
    assert labeling_jobs(workdir) == labeling_jobs(uninterrupted)
    assert (
        sum(count for _, count in labeling_jobs(workdir)) == summary["human_labeled"] - summary["input_human_labeled"]
    )
    # Calibration records never auto-labeled nor trained on; auto-labels only on records no human labeled.
    read_by_round = {  # the working manifest each round's PerformActiveLearning read
        event["input"]["round"]: workdir / "s3" / event["input"]["working"]["manifest"].removeprefix("s3://")
        for event in events_of(workdir)
        if event["event"] == "State" and event["state_name"] == "PerformActiveLearning" and event["output"] is not None
    }
    assert sorted(read_by_round) == [1, 2]
    for round_number, working_manifest in read_by_round.items():
        round_folder = Path(summary["final_manifest"]).parents[1] / "rounds" / f"{round_number:03d}"
        working = records_of(working_manifest)
        calibration = {r["byoal-id"] for r in working if r.get("byoal-calibration") is not None}
        assert calibration, f"{round_folder.name}: no calibration records"
        auto = {r["byoal-id"] for r in records_of(round_folder / "autolabels.manifest")}
        assert not auto & calibration and not auto & set(humans)
        trained = {r["source"] for r in records_of(round_folder / "training" / "train" / "train.manifest")}
        other_sources = {r["source"] for r in working if r["byoal-id"] not in calibration}
        assert {r["source"] for r in working if r["byoal-id"] in calibration} & trained <= other_sources
    # summary.json agrees with the final manifest and with the uninterrupted run.
    auto_labeled = sum(1 for r in final if r.get("category-metadata", {}).get("human-annotated") == "no")
    assert (summary["human_labeled"], summary["auto_labeled"], summary["records"]) == (
        len(humans),
        auto_labeled,
        len(final),
    )
    assert summary["unlabeled"] == sum(1 for r in final if "category" not in r)
    for key in ("human_labeled", "auto_labeled", "unlabeled", "rounds", "input_human_labeled", "stop_reason"):
        assert summary[key] == baseline_summary[key], key
    assert summary["rounds"] == 2
    # The run time covers every leg, not only the last one.
    events = events_of(workdir)
    top = events[0]["execution_arn"]
    resumed = [
        index
        for index, event in enumerate(events)
        if event["event"] == "ExecutionRedriven" and event["execution_arn"] == top
    ]
    assert resumed and summary["run_legs"] == len(resumed) + 1 and baseline_summary["run_legs"] == 1
    first_leg = [
        datetime.fromisoformat(event.get("exited_time") or event["time"]) for event in events[: resumed[0]]
    ]
    last_leg = [datetime.fromisoformat(event.get("exited_time") or event["time"]) for event in events[resumed[-1] :]]
    assert summary["wall_seconds"] >= (max(first_leg) - min(first_leg)).total_seconds() + (
        max(last_leg) - min(last_leg)
    ).total_seconds() - 0.1
    assert not (workdir / "tmp").exists(), "a temporary folder was left in the work directory"


def test_a_killed_run_resumes_where_it_stopped_and_asks_no_batch_twice(inputs, uninterrupted, tmp_path):
    workdir = tmp_path / "run"
    command = [sys.executable, "-m", "scripts.run_local", *arguments(inputs, workdir)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        # Kill it as soon as a learning round's human batch has been merged.
        while process.poll() is None and time.monotonic() < deadline:
            history = workdir / "history.jsonl"
            if history.exists() and '"state_name": "MergeHumanLabels"' in history.read_text() and any(
                event["event"] == "State" and event["state_name"] == "MergeHumanLabels" and event["output"] is not None
                and event["input"]["human_batch"]["round"] >= 1
                for event in events_of(workdir)
            ):
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (workdir / "summary.json").exists()

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert resumed.returncode == 0, resumed.stderr
    first_line = resumed.stdout.splitlines()[0]
    assert first_line.startswith(f"resuming execution resume in {workdir} from state "), first_line
    redriven = [event for event in events_of(workdir) if event["event"] == "ExecutionRedriven"]
    assert len(redriven) == 1 and redriven[0]["redrive_count"] == 1
    check_invariants(inputs, workdir, uninterrupted)


def test_a_run_failed_at_a_state_resumes_from_that_state_once_the_cause_is_gone(
    inputs, uninterrupted, tmp_path, monkeypatch, capsys
):
    workdir = tmp_path / "run"
    train = LocalSageMaker.create_training_job
    jobs: list[str] = []

    def fails_in_round_two(self, parameters, context):
        jobs.append(parameters["TrainingJobName"])
        if len(jobs) == 2:
            raise TaskFailure(
                "States.TaskFailed",
                json.dumps({"TrainingJobStatus": "Failed", "FailureReason": "InternalServerError: injected"}),
            )
        return train(self, parameters, context)

    monkeypatch.setattr(LocalSageMaker, "create_training_job", fails_in_round_two)
    assert run_local.main(arguments(inputs, workdir)) == 1
    error = capsys.readouterr().err
    assert "state TrainModel" in error and "injected" in error and "run the same command again" in error
    assert not (workdir / "summary.json").exists()
    merged_before = labeling_jobs(workdir)
    assert [job for job, _ in merged_before] == [jobs[0].replace("-train", "-human")], (
        "round 1 was labeled before the failure"
    )

    assert run_local.main(arguments(inputs, workdir)) == 0

    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith(
        f"resuming execution resume in {workdir} from state RunActiveLearningRound (redrive 1)"
    )
    assert jobs[0].endswith("-r001-train") and jobs[1:] == [jobs[1], jobs[1] + "-1"] and jobs[1].endswith("-r002-train")
    assert labeling_jobs(workdir)[:1] == merged_before
    check_invariants(inputs, workdir, uninterrupted)


def test_a_finished_work_directory_is_not_run_again_without_restart(inputs, uninterrupted, capsys):
    summary = (uninterrupted / "summary.json").read_text()
    assert run_local.main(arguments(inputs, uninterrupted)) == 2
    error = capsys.readouterr().err
    assert "execution resume succeeded" in error and "--restart" in error
    assert (uninterrupted / "summary.json").read_text() == summary


def test_restart_discards_the_work_directorys_execution_and_nothing_else(inputs, tmp_path, capsys):
    workdir = tmp_path / "run"
    quick = ["--inputs", str(inputs), "--workdir", str(workdir), "--max-rounds", "0", "--quiet"]
    assert run_local.main([*quick, "--name", "first"]) == 0
    (workdir / "notes.txt").write_text("mine")
    capsys.readouterr()

    assert run_local.main([*quick, "--name", "second", "--restart"]) == 0

    assert capsys.readouterr().out.splitlines()[0] == f"starting execution second in {workdir}"
    started = [event["execution_name"] for event in events_of(workdir) if event["event"] == "ExecutionStarted"]
    assert started == ["second"] and (workdir / "notes.txt").read_text() == "mine"
    assert len(list(workdir.glob("s3/byoal-local/inputs/output/*/final/output.manifest"))) == 1


def test_labels_sent_while_a_callback_run_was_down_are_kept_and_never_asked_again(inputs, tmp_path):
    folder = tmp_path / "inputs"
    folder.mkdir()
    for path in inputs.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    request = json.loads((inputs / "request.json").read_text())
    request["ActiveLearningConfig"].update(Workforce="Callback", MaxRounds=0, SeedShare=0.5)
    (folder / "request.json").write_text(json.dumps(request))
    workdir = tmp_path / "run"
    command = [
        sys.executable, "-m", "scripts.run_local", "--inputs", str(folder), "--workdir", str(workdir),
        "--name", "callback", "--quiet",
    ]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while not list(workdir.glob("s3/**/callback.json")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    [pending] = workdir.glob("s3/**/callback.json")
    pending_uri = "s3://" + pending.relative_to(workdir / "s3").as_posix()
    batch_uri = json.loads(pending.read_text())["input_manifest"]
    batch = records_of(workdir / "s3" / batch_uri[len("s3://"):])
    answers = records_of(inputs / "answers.manifest")
    labeled = tmp_path / "labels.jsonl"
    labeled.write_text(
        "".join(
            json.dumps({"byoal-id": r["byoal-id"], "category": answers[r["byoal-id"]]["category"]}) + "\n"
            for r in batch
        )
    )
    submit = [
        sys.executable, "-m", "scripts.local_callback", "--workdir", str(workdir), "--pending", pending_uri,
        "--labeled", str(labeled),
    ]
    # The person labels the batch while the run is down.
    assert subprocess.run(submit, cwd=REPO, capture_output=True, timeout=120).returncode == 0

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)

    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[0].startswith(
        f"resuming execution callback in {workdir} from state LabelWithCallback (redrive 1)"
    )
    summary = json.loads((workdir / "summary.json").read_text())
    assert summary["human_labeled"] == RECORDS // 2 and summary["human_labeled"] - summary[
        "input_human_labeled"
    ] == len(batch)
    assert human_labeled(records_of(Path(summary["final_manifest"]))) == {
        identity: answers[identity]["category"]
        for identity in human_labeled(records_of(Path(summary["final_manifest"])))
    }
    again = subprocess.run(submit, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already has its labels" in again.stderr


def test_a_work_directory_is_used_by_one_run_at_a_time(inputs, tmp_path, capsys):
    import fcntl

    workdir = tmp_path / "run"
    workdir.mkdir()
    with open(workdir / run_local.LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert run_local.main(["--inputs", str(inputs), "--workdir", str(workdir), "--max-rounds", "0", "--quiet"]) == 2
    assert "another run is using it" in capsys.readouterr().err
    assert not (workdir / "history.jsonl").exists()
