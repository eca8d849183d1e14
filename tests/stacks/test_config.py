"""Context parsing: defaults, accepted values, and errors that name the bad key."""

from __future__ import annotations

import shlex

import pytest
from aws_cdk import App, RemovalPolicy

from stacks.config import ConfigError, EcrImage, read_config
from tests.stacks.synth import PIPELINE_CONTEXT, USER_IMAGE


def config(**context: str):
    return read_config(App(context=context).node)


def test_defaults() -> None:
    app = config()
    workflow = app.workflow
    assert (workflow.stage, workflow.algorithm, workflow.image) == ("dev", "bundled", None)
    assert (workflow.training_instance_type, workflow.transform_instance_type) == ("ml.m5.xlarge", "ml.m5.large")
    assert workflow.log_retention_days == 30
    assert workflow.removal_policy == RemovalPolicy.DESTROY and workflow.auto_delete_objects
    assert workflow.stack_name == "Byoal-dev"
    assert app.pipeline is None


def test_prod_retains_and_keeps_logs_longer() -> None:
    workflow = config(stage="prod").workflow
    assert workflow.removal_policy == RemovalPolicy.RETAIN and not workflow.auto_delete_objects
    assert workflow.log_retention_days == 365
    assert workflow.stack_name == "Byoal-prod"


def test_values_are_read() -> None:
    workflow = config(
        trainingInstanceType="ml.c5.2xlarge",
        transformInstanceType="ml.c5.xlarge",
        algorithm="blazingtext",
        logRetentionDays="90",
        imageUri=USER_IMAGE,
    ).workflow
    assert (workflow.training_instance_type, workflow.transform_instance_type) == ("ml.c5.2xlarge", "ml.c5.xlarge")
    assert (workflow.algorithm, workflow.log_retention_days) == ("blazingtext", 90)
    assert workflow.image == EcrImage(uri=USER_IMAGE, account="123456789012", region="eu-west-1", repository="my-model")


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "test"}, "context stage must be one of dev, prod"),
        ({"algorithm": "xgboost"}, "context algorithm must be one of bundled, blazingtext"),
        ({"trainingInstanceType": "m5.xlarge"}, "context trainingInstanceType must be a SageMaker instance type"),
        ({"transformInstanceType": "ml.m5"}, "context transformInstanceType must be a SageMaker instance type"),
        ({"logRetentionDays": "31"}, "context logRetentionDays must be one of 1, 3, 5"),
        ({"logRetentionDays": "a month"}, "context logRetentionDays must be one of"),
        ({"imageUri": "docker.io/library/python:3.12"}, "imageUri must be an Amazon ECR image"),
        ({"imageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model"}, "imageUri must be an Amazon ECR image"),
        ({"pipelineConnectionArn": PIPELINE_CONTEXT["pipelineConnectionArn"]}, "needs both pipelineConnectionArn and"),
        ({"pipelineRepository": "example-org/byoal"}, "needs both pipelineConnectionArn and"),
        ({**PIPELINE_CONTEXT, "pipelineConnectionArn": "my-connection"}, "context pipelineConnectionArn must be a"),
        ({**PIPELINE_CONTEXT, "pipelineRepository": "byoal"}, "context pipelineRepository must be owner/name"),
    ],
)
def test_bad_values_name_the_key(context: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_image_digest_is_accepted() -> None:
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/model@sha256:" + "a" * 64
    assert EcrImage.parse(uri).repository == "team/model"


def test_context_arguments_rebuild_the_same_configuration() -> None:
    original = config(
        stage="prod", algorithm="blazingtext", imageUri=USER_IMAGE, logRetentionDays="14", **PIPELINE_CONTEXT
    )
    words = shlex.split(original.context_arguments())
    assert words[::2] == ["-c"] * (len(words) // 2)
    context = dict(word.split("=", 1) for word in words[1::2])
    assert config(**context) == original
