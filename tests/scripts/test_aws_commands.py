"""``scripts.start`` and ``scripts.callback`` against AWS mocked by moto.

The stack is a minimal CloudFormation template (an S3 bucket and the byoal outputs) and a state
machine made of Pass states. moto runs Lambda code only in Docker, so the resume function is a
fake Lambda client that calls ``lambdas.callback_resume.handler`` in-process, against moto's S3,
with a resumer that records the task token instead of calling Step Functions.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from byoal import layout, manifest
from byoal.request import validate_request
from byoal.storage import S3Storage, read_bytes
from lambdas import callback_batch, callback_resume
from scripts import aws_stack, callback, prepare, start, watch
from tests.conftest import SAMPLE

from .conftest import read_jsonl

ROLE = "arn:aws:iam::123456789012:role/Byoal-dev-SageMakerRole"
RESUME_FUNCTION = "Byoal-dev-CallbackResume"
LABELS = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]
WAITING = {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}


def loop_definition(records: int) -> dict:
    """Pass states named like the real loop's, with outputs shaped like theirs."""
    counts = {
        "input_total": records,
        "human_labeled": 40,
        "auto_labeled": 0,
        "unlabeled": records - 40,
        "calibration": 8,
        "next_step": "round",
        "next_round": 1,
        "batch_size": 10,
    }
    last_round = {
        "round": 1,
        "autolabels": {"count": 120},
        "selection": {"count": 10},
        "stats": {
            "calibration_accuracy": 0.9,
            "calibration_records": 50,
            "expected_accuracy": 0.96,
            "accuracy_bound": 0.93,
        },
    }
    return {
        "StartAt": "CountRecords",
        "States": {
            "CountRecords": {
                "Type": "Pass",
                "Result": counts,
                "ResultPath": "$.counts",
                "Next": "RunActiveLearningRound",
            },
            "RunActiveLearningRound": {
                "Type": "Pass",
                "Result": last_round,
                "ResultPath": "$.last_round",
                "Next": "Done",
            },
            "Done": {
                "Type": "Pass",
                "Result": {"final_manifest": "s3://bucket/run/final/output.manifest"},
                "End": True,
            },
        },
    }


def deploy_stack(definition: dict = WAITING, stack_name: str = aws_stack.DEFAULT_STACK_NAME) -> dict[str, str]:
    sfn = boto3.client("stepfunctions")
    loop = sfn.create_state_machine(
        name=f"{stack_name}-ActiveLearningLoop",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    outputs = {
        "ActiveLearningLoopStateMachineArn": loop,
        "ActiveLearningStateMachineArn": loop.replace("Loop", ""),
        "SageMakerRoleArn": ROLE,
        "ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/byoal:latest",
        "CallbackResumeFunctionName": RESUME_FUNCTION,
    }
    template = {
        "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "BucketName": {"Value": {"Ref": "Bucket"}},
            **{key: {"Value": value} for key, value in outputs.items()},
        },
    }
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    return aws_stack.stack_outputs(cloudformation, stack_name).values


def prepare_inputs(directory: Path, *args: str) -> dict:
    # CalibrationShare 0.5: 200 records reach the threshold test's 45 calibration records at the default target.
    calibration = [] if "--calibration-share" in args else ["--calibration-share", "0.5"]
    assert (
        prepare.main(["--dataset", str(SAMPLE), "--sample", "200", "--output-dir", str(directory), *calibration, *args])
        == 0
    )
    return json.loads((directory / "request.json").read_text())


def bucket_objects(bucket: str) -> dict[str, bytes]:
    s3 = boto3.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def test_stack_outputs(aws, capsys):
    outputs = deploy_stack()
    assert outputs["BucketName"] and outputs["SageMakerRoleArn"] == ROLE
    read = aws_stack.stack_outputs(boto3.client("cloudformation"), "Byoal-dev")
    assert read[aws_stack.CALLBACK_RESUME_FUNCTION_NAME] == RESUME_FUNCTION
    with pytest.raises(ValueError, match="stack Byoal-dev has no output 'Missing'"):
        read["Missing"]


def test_start_uploads_rewrites_and_starts(aws, tmp_path, capsys):
    outputs = deploy_stack()
    request = prepare_inputs(tmp_path / "inputs")
    assert start.main(["--input-dir", str(tmp_path / "inputs"), "--name", "first-run"]) == 0
    printed = capsys.readouterr().out
    bucket = outputs["BucketName"]
    objects = bucket_objects(bucket)
    assert objects == {
        f"inputs/{name}": (tmp_path / "inputs" / name).read_bytes()
        for name in ("input.manifest", "class_labels.json", "instructions.template", "answers.manifest")
    }
    sfn = boto3.client("stepfunctions")
    [execution] = sfn.list_executions(stateMachineArn=outputs["ActiveLearningLoopStateMachineArn"])["executions"]
    assert execution["name"] == "first-run"
    assert f"started {execution['executionArn']}" in printed
    assert f"#/v2/executions/details/{execution['executionArn']}" in printed
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["RoleArn"] == ROLE
    assert (
        started["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] == f"s3://{bucket}/inputs/input.manifest"
    )
    assert started["OutputConfig"]["S3OutputPath"] == f"s3://{bucket}/inputs/output/"
    assert started["HumanTaskConfig"]["UiConfig"]["UiTemplateS3Uri"] == f"s3://{bucket}/inputs/instructions.template"
    assert started["ActiveLearningConfig"]["AnswerKeyS3Uri"] == f"s3://{bucket}/inputs/answers.manifest"
    rewritten = (
        "RoleArn",
        "InputConfig",
        "OutputConfig",
        "HumanTaskConfig",
        "LabelCategoryConfigS3Uri",
        "ActiveLearningConfig",
    )
    assert {key: value for key, value in started.items() if key not in rewritten} == {
        key: value for key, value in request.items() if key not in rewritten
    }
    validate_request(started)


@pytest.mark.parametrize(
    "definition, status, code",
    [
        ("loop", "SUCCEEDED", 0),
        (
            {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "InputError", "Cause": "bad field"}}},
            "FAILED",
            1,
        ),
    ],
)
def test_start_watch_follows_the_execution(tmp_path, capsys, monkeypatch, definition, status, code):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        deploy_stack(loop_definition(200) if definition == "loop" else definition)
        prepare_inputs(tmp_path / "inputs")
        capsys.readouterr()
        assert start.main(["--input-dir", str(tmp_path / "inputs"), "--watch", "--poll-seconds", "0.05"]) == code
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"execution {status}"
    if definition == "loop":
        progress = [line[9:] for line in lines if re.match(r"\d\d:\d\d:\d\d ", line)]
        assert progress == [
            "entered CountRecords",
            "exited  CountRecords: 200 records: 40 human-labeled, 0 auto-labeled, 160 unlabeled; "
            "next: round 1, human batch up to 10",
            "entered RunActiveLearningRound",
            "exited  RunActiveLearningRound: round 1: calibration accuracy 0.9 on 50 records, auto-labeled 120 "
            "(expected accuracy 0.96, bound 0.93), selected 10 for humans",
            "entered Done",
            "exited  Done",
            "execution succeeded: final manifest s3://bucket/run/final/output.manifest",
        ]
    else:
        assert any("ExecutionFailed: InputError bad field" in line for line in lines)


def test_watch_describes_real_event_shapes():
    from datetime import datetime

    moment = datetime(2026, 11, 27, 21, 30, 59, tzinfo=UTC)
    assert watch.describe_event({"type": "LambdaFunctionScheduled", "timestamp": moment}) is None
    assert (
        watch.describe_event(
            {"type": "TaskStateEntered", "timestamp": moment, "stateEnteredEventDetails": {"name": "AssignIds"}}
        )
        == "21:30:59 entered AssignIds"
    )
    failed = {
        "type": "TaskFailed",
        "timestamp": moment,
        "taskFailedEventDetails": {"resourceType": "lambda", "error": "InputError", "cause": "line 3: bad"},
    }
    assert watch.describe_event(failed) == "21:30:59 TaskFailed: InputError line 3: bad"
    truncated = {
        "type": "TaskStateExited",
        "timestamp": moment,
        "stateExitedEventDetails": {
            "name": "CountRecords",
            "output": '{"counts": {"input_t',
            "outputDetails": {"truncated": True},
        },
    }
    assert watch.describe_event(truncated) == "21:30:59 exited  CountRecords"
    exported = {
        "input_total": 5,
        "human_labeled": 2,
        "auto_labeled": 3,
        "unlabeled": 0,
        "next_step": "export",
        "stop_reason": "every record is labeled",
    }
    assert watch.describe_counts(exported).endswith("next: export (every record is labeled)")


def test_start_refuses_a_missing_stack_or_folder_or_region_mismatch(aws, tmp_path, capsys):
    assert start.main(["--input-dir", str(tmp_path / "nothing")]) == 2
    assert "no request.json" in capsys.readouterr().err
    prepare_inputs(tmp_path / "inputs")
    assert start.main(["--input-dir", str(tmp_path / "inputs"), "--stack-name", "Nope"]) == 2
    assert "--stack-name Nope: no such CloudFormation stack in us-east-1" in capsys.readouterr().err

    outputs = deploy_stack()
    prepare_inputs(tmp_path / "eu", "--region", "eu-west-1", "--workforce", "GroundTruth")
    assert start.main(["--input-dir", str(tmp_path / "eu")]) == 2
    assert "prepare again with --region us-east-1" in capsys.readouterr().err
    (tmp_path / "inputs" / "class_labels.json").unlink()
    assert start.main(["--input-dir", str(tmp_path / "inputs")]) == 2
    assert "class_labels.json does not exist" in capsys.readouterr().err
    assert bucket_objects(outputs["BucketName"]) == {}


class FakeLambda:
    """Invokes the resume handler in-process, as the deployed function would run it."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.invocations: list[dict] = []

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        self.tokens.append(taskToken)

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict:
        assert FunctionName == RESUME_FUNCTION
        event = json.loads(Payload)
        self.invocations.append(event)
        try:
            result = callback_resume.handler(event, resumer=self)
        except Exception as error:  # the Lambda runtime reports any handler error this way
            body = {"errorMessage": str(error), "errorType": type(error).__name__}
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(body).encode())}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result).encode())}


@pytest.fixture
def waiting_batch(aws, tmp_path, monkeypatch):
    """A started Callback execution whose workflow has published a 6-record batch, and the fake Lambda."""
    outputs = deploy_stack()
    request = prepare_inputs(tmp_path / "inputs", "--workforce", "Callback")
    assert start.main(["--input-dir", str(tmp_path / "inputs"), "--name", "callback-run"]) == 0
    sfn = boto3.client("stepfunctions")
    [execution] = sfn.list_executions(stateMachineArn=outputs["ActiveLearningLoopStateMachineArn"])["executions"]
    root = callback.run_root(sfn.describe_execution(executionArn=execution["executionArn"]))
    run = layout.run_id(request["LabelingJobNamePrefix"], "callback-run")
    assert root == layout.run_root(f"s3://{outputs['BucketName']}/inputs/output/", run)
    job = layout.job_name(run, 1, "human")
    answers = read_jsonl(tmp_path / "inputs" / "answers.manifest")
    batch = [{"source": answers[identity]["source"], "byoal-id": identity} for identity in (3, 5, 8, 13, 21, 34)]
    storage = S3Storage()
    input_manifest = layout.labeling_job_input(root, job)
    manifest.write_records(storage, input_manifest, batch)
    callback_batch.handler(
        {
            "task_token": "token-1",
            "config": {"LabelAttributeName": "category", "Labels": LABELS},
            "run": {"id": run, "root": root},
            "human_batch": {
                "job_name": job,
                "round": 1,
                "input_manifest": input_manifest,
                "count": len(batch),
                "output_manifest": layout.labeling_job_output(root, job),
            },
        }
    )
    fake = FakeLambda()
    real_client = aws_stack.client
    monkeypatch.setattr(
        aws_stack, "client", lambda service, region: fake if service == "lambda" else real_client(service, region)
    )
    return {
        "root": root,
        "job": job,
        "batch": batch,
        "answers": answers,
        "lambda": fake,
        "pending": layout.callback_pending(root, job),
        "input_manifest": input_manifest,
        "execution_arn": execution["executionArn"],
    }


def test_callback_pending_shows_and_downloads_the_batch(waiting_batch, tmp_path, capsys):
    capsys.readouterr()
    assert callback.main(["pending", "--download", str(tmp_path / "batches")]) == 0
    printed = capsys.readouterr().out
    assert f"job {waiting_batch['job']}: 6 records wait for labels (execution callback-run)" in printed
    assert f"batch:   {waiting_batch['input_manifest']}" in printed
    assert f"pending: {waiting_batch['pending']}" in printed
    assert '"category": 0=Business, 1=Entertainment, 2=Health & Medicine, 3=Science and Technology' in printed
    assert read_jsonl(tmp_path / "batches" / f"{waiting_batch['job']}.manifest") == waiting_batch["batch"]

    assert callback.main(["pending", "--execution-arn", waiting_batch["execution_arn"]]) == 0
    assert f"job {waiting_batch['job']}: 6 records" in capsys.readouterr().out


def label_file(path: Path, waiting_batch, *, wrong: int | None = None) -> Path:
    lines = [
        {"byoal-id": record["byoal-id"], "category": waiting_batch["answers"][record["byoal-id"]]["category"]}
        for record in waiting_batch["batch"]
    ]
    if wrong is not None:
        lines[wrong]["category"] = 7
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_callback_submit_uploads_and_resumes(waiting_batch, tmp_path, capsys):
    labeled = label_file(tmp_path / "labeled.manifest", waiting_batch)
    assert callback.main(["submit", "--pending", waiting_batch["pending"], "--labeled", str(labeled)]) == 0
    printed = capsys.readouterr().out
    uploaded = layout.callback_submission(waiting_batch["root"], waiting_batch["job"])
    assert waiting_batch["lambda"].invocations == [{"pending": waiting_batch["pending"], "labeled_manifest": uploaded}]
    assert waiting_batch["lambda"].tokens == ["token-1"]
    assert read_bytes(S3Storage(), uploaded) == labeled.read_bytes()
    assert '"labeled": 6, "of": 6' in printed
    output = list(
        manifest.read_records(S3Storage(), layout.labeling_job_output(waiting_batch["root"], waiting_batch["job"]))
    )
    assert [record["category"] for record in output] == [
        waiting_batch["answers"][record["byoal-id"]]["category"] for record in waiting_batch["batch"]
    ]
    assert all(record["category-metadata"]["human-annotated"] == "yes" for record in output)

    assert callback.main(["pending"]) == 0
    assert "no batch waits for labels" in capsys.readouterr().out
    assert callback.main(["submit", "--pending", waiting_batch["pending"], "--labeled", str(labeled)]) == 2
    assert "already has its labels" in capsys.readouterr().err


def test_callback_submit_refuses_bad_labels_before_sending(waiting_batch, tmp_path, capsys):
    labeled = label_file(tmp_path / "labeled.manifest", waiting_batch, wrong=2)
    assert callback.main(["submit", "--pending", waiting_batch["pending"], "--labeled", str(labeled)]) == 2
    assert "labeled.manifest line 3: label 'category' = 7 is outside" in capsys.readouterr().err
    assert waiting_batch["lambda"].invocations == []
    assert not S3Storage().exists(layout.callback_submission(waiting_batch["root"], waiting_batch["job"]))

    assert callback.main(["submit", "--pending", waiting_batch["pending"], "--labeled", "nope.manifest"]) == 2
    assert "--labeled: no such file: nope.manifest" in capsys.readouterr().err
    assert (
        callback.main(["submit", "--pending", waiting_batch["root"] + "missing.json", "--labeled", str(labeled)]) == 2
    )
    assert "--pending: object not found" in capsys.readouterr().err


def test_callback_submit_reports_the_resume_function_error(waiting_batch, tmp_path, capsys, monkeypatch):
    labeled = label_file(tmp_path / "labeled.manifest", waiting_batch)

    def failing_handler(event, context=None, *, resumer=None):
        raise RuntimeError("Step Functions says: TaskTimedOut")

    monkeypatch.setattr(callback_resume, "handler", failing_handler)
    assert callback.main(["submit", "--pending", waiting_batch["pending"], "--labeled", str(labeled)]) == 2
    assert f"the resume function {RESUME_FUNCTION} refused" in capsys.readouterr().err
