"""The pipeline stack: added only with its context, sourcing the repository, testing, deploying dev."""

from __future__ import annotations

import json
from typing import Any

from stacks.application import PIPELINE_STACK_NAME
from tests.stacks.synth import PIPELINE_CONTEXT, Synthesized
from tests.stacks.template import resources


def pipeline_template(synthesized: Synthesized) -> dict[str, Any]:
    assert synthesized.stacks.pipeline is not None
    return synthesized.template_json(synthesized.stacks.pipeline)


def test_no_pipeline_without_its_context(dev: Synthesized) -> None:
    assert dev.stacks.pipeline is None
    assert [artifact.stack_name for artifact in dev.assembly.stacks] == ["Byoal-dev"]


def test_pipeline_sources_the_configured_repository(with_pipeline: Synthesized) -> None:
    template = pipeline_template(with_pipeline)
    (pipeline,) = resources(template, "AWS::CodePipeline::Pipeline").values()
    stages = {stage["Name"]: stage for stage in pipeline["Properties"]["Stages"]}
    assert list(stages)[:2] == ["Source", "Build"] and "Dev" in stages
    (source,) = stages["Source"]["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": PIPELINE_CONTEXT["pipelineConnectionArn"],
        "FullRepositoryId": PIPELINE_CONTEXT["pipelineRepository"],
        "BranchName": PIPELINE_CONTEXT["pipelineBranch"],
    }


def test_synth_step_installs_tests_and_synthesizes_with_the_same_context(with_pipeline: Synthesized) -> None:
    template = pipeline_template(with_pipeline)
    buildspecs = [
        json.loads(project["Properties"]["Source"]["BuildSpec"])
        for project in resources(template, "AWS::CodeBuild::Project").values()
    ]
    (synth,) = [spec for spec in buildspecs if any("cdk synth" in c for c in spec["phases"]["build"]["commands"])]
    assert synth["phases"]["install"]["commands"] == ["pip install -r requirements-dev.txt", "npm ci"]
    commands = synth["phases"]["build"]["commands"]
    assert commands[0] == "python -m pytest -q"
    for key, value in PIPELINE_CONTEXT.items():
        assert f"-c {key}={value}" in commands[1]
    assert "-c stage=dev" in commands[1]


def test_dev_stage_deploys_the_workflow_stack(with_pipeline: Synthesized) -> None:
    stage = with_pipeline.stacks.pipeline.dev
    assembly = with_pipeline.assembly.get_nested_assembly(f"assembly-{PIPELINE_STACK_NAME}-Dev")
    (workflow,) = assembly.stacks
    assert workflow.stack_name == "Byoal-dev" == stage.workflow.stack_name
    names = {
        r["Properties"]["StateMachineName"]
        for r in resources(workflow.template, "AWS::StepFunctions::StateMachine").values()
    }
    assert names == {"ActiveLearningLoop-dev", "ActiveLearning-dev"}


def test_pipeline_artifacts_are_encrypted_and_logged(with_pipeline: Synthesized) -> None:
    template = pipeline_template(with_pipeline)
    buckets = resources(template, "AWS::S3::Bucket")
    (artifacts,) = [b["Properties"] for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert (
        artifacts["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    )
    (key,) = resources(template, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    for project in resources(template, "AWS::CodeBuild::Project").values():
        assert "EncryptionKey" in project["Properties"]
