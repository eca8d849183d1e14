"""The offline runner refuses what AWS refuses: requests checked against botocore's service models."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from asl_interpreter import StatesError, TaskContext
from local_runner.runner import INTEGRATION, SAGEMAKER, LocalWorkflow, function_arn
from local_runner.service_requests import RequestValidator, operation_model, problems, sdk_request

TRAINING_JOB: dict[str, Any] = {
    "TrainingJobName": "byoal-news-877e6290-r001-train",
    "AlgorithmSpecification": {"TrainingImage": "byoal-local/bundled-model:latest", "TrainingInputMode": "File"},
    "HyperParameters": {"epochs": "2"},
    "InputDataConfig": [
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://byoal-local/run/train/"}},
        }
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://byoal-local/run/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "RoleArn": "arn:aws:iam::000000000000:role/byoal-local-sagemaker",
    "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
}


def training_job(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(TRAINING_JOB)
    request.update(changes)
    return request


def training_problems(request: dict[str, Any]) -> list[str]:
    return problems(request, operation_model("sagemaker", "CreateTrainingJob").input_shape)


def test_a_request_as_the_workflow_builds_it_passes() -> None:
    assert training_problems(training_job()) == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"HyperParameters": {"epochs": 2}}, "HyperParameters.epochs"),  # AWS takes strings only
        ({"HyperParameters": {"label_names": ["A", "B"]}}, "HyperParameters.label_names"),
        ({"TrainingJobName": "x" * 64}, "TrainingJobName"),  # max 63: botocore alone does not check it
        ({"TrainingJobName": "no_underscores"}, "TrainingJobName"),  # the name pattern
        ({"ResourceConfig": {"InstanceType": "local", "InstanceCount": 1, "VolumeSizeInGB": 30}}, "InstanceType"),
        ({"StoppingCondition": {"MaxRuntimeInSeconds": 0}}, "MaxRuntimeInSeconds"),
        ({"Unknown": 1}, "Unknown"),
        ({"RoleArn": "my-role"}, "RoleArn"),
    ],
)
def test_what_aws_refuses_is_refused_naming_the_parameter(changes: dict[str, Any], named: str) -> None:
    found = training_problems(training_job(**changes))
    assert found and any(named in problem for problem in found), found


def test_a_missing_required_parameter_is_named() -> None:
    request = training_job()
    del request["OutputDataConfig"]
    assert any("OutputDataConfig" in problem for problem in training_problems(request))


def test_start_execution_and_invoke_are_checked_as_the_sdk_sends_them() -> None:
    execution = sdk_request("stepfunctions", "StartExecution", {"StateMachineArn": "arn", "Input": {"a": 1}})
    assert execution == {"stateMachineArn": "arn", "input": '{"a":1}'}
    invoke = sdk_request("lambda", "Invoke", {"FunctionName": "f", "Payload": {"a": 1}})
    assert invoke == {"FunctionName": "f", "Payload": b'{"a":1}'}
    shape = operation_model("lambda", "Invoke").input_shape
    assert problems({"FunctionName": function_arn("assign_ids"), "Payload": b"{}"}, shape) == []
    # A made-up Region such as "local" is not one Lambda would accept in a function ARN.
    assert problems({"FunctionName": "arn:aws:lambda:local:000000000000:function:f"}, shape)


def test_the_validator_counts_what_passed_and_refuses_with_states_runtime() -> None:
    validator = RequestValidator()
    validator.validate("sagemaker", "CreateTrainingJob", training_job(), state_name="TrainModel")
    with pytest.raises(StatesError) as refused:
        validator.validate(
            "sagemaker", "CreateTrainingJob", training_job(HyperParameters={"epochs": 2}), state_name="TrainModel"
        )
    assert refused.value.error == "States.Runtime"
    assert "'TrainModel'" in refused.value.cause and "HyperParameters.epochs" in refused.value.cause
    assert validator.counts == {"sagemaker:CreateTrainingJob": 1}
    assert validator.summary() == "sagemaker:CreateTrainingJob 1"


def context(state: str) -> TaskContext:
    return TaskContext("arn:execution", "run", "arn:machine", state, "2024-01-01T00:00:00Z", 0, None, None, None, None)


def test_the_runner_checks_a_request_before_its_stand_in_runs(tmp_path) -> None:
    workflow = LocalWorkflow(tmp_path, log=lambda message: None)

    with pytest.raises(StatesError, match=r"HyperParameters\.epochs"):
        workflow.resources.invoke(
            SAGEMAKER + "createTrainingJob.sync", training_job(HyperParameters={"epochs": 2}), context("TrainModel")
        )
    with pytest.raises(StatesError, match=r"stateMachineArn"):
        workflow.resources.invoke(INTEGRATION + "states:startExecution.sync:2", {"Input": {}}, context("Round"))
    assert not list(tmp_path.glob("logs/*")), "no training job was started"
    assert sum(workflow.requests.counts.values()) == 0
