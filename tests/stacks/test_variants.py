"""Configurations other than the default: prod removal policies, a user's image, BlazingText."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment

from stacks.application import add_stacks, project_context
from stacks.compliance import render
from stacks.config import ConfigError
from stacks.model_image import BLAZINGTEXT_REGISTRIES
from tests.stacks.synth import USER_IMAGE, Synthesized
from tests.stacks.template import resources, resources_for, role_statements, state_machine


def substitutions(template: dict[str, Any], stage: str = "dev") -> dict[str, Any]:
    return state_machine(template, f"ActiveLearning-{stage}")[1]["DefinitionSubstitutions"]


def docker_images(synthesized: Synthesized) -> dict[str, Any]:
    path = synthesized.outdir / f"{synthesized.stacks.workflow.artifact_id}.assets.json"
    return json.loads(path.read_text(encoding="utf-8")).get("dockerImages", {})


def sagemaker_pull_repository(template: dict[str, Any]) -> str:
    (role,) = [name for name in resources(template, "AWS::IAM::Role") if "SageMakerRole" in name]
    (repository,) = resources_for(role_statements(template)[role], "ecr:BatchGetImage")
    return render(repository)


def test_prod_retains_data_and_logs(prod: Synthesized) -> None:
    template = prod.workflow
    for kind in ("AWS::S3::Bucket", "AWS::Logs::LogGroup"):
        for name, resource in resources(template, kind).items():
            assert resource["DeletionPolicy"] == "Retain", name
            assert resource["UpdateReplacePolicy"] == "Retain", name
    assert resources(template, "Custom::S3AutoDeleteObjects") == {}
    assert {r["Properties"]["RetentionInDays"] for r in resources(template, "AWS::Logs::LogGroup").values()} == {365}
    assert state_machine(template, "ActiveLearningLoop-prod")
    assert prod.stacks.workflow.stack_name == "Byoal-prod"


def test_dev_destroys_what_prod_retains(dev: Synthesized) -> None:
    for kind in ("AWS::S3::Bucket", "AWS::Logs::LogGroup"):
        assert {resource["DeletionPolicy"] for resource in resources(dev.workflow, kind).values()} == {"Delete"}


def test_own_image_replaces_the_bundled_one(own_image: Synthesized) -> None:
    template = own_image.workflow
    values = substitutions(template)
    assert values["TrainingImage"] == values["InferenceImage"] == USER_IMAGE
    assert values["ModelAlgorithm"] == "bundled"
    assert template["Outputs"]["ImageUri"]["Value"] == USER_IMAGE
    assert docker_images(own_image) == {}, "no image is built from container/"
    assert sagemaker_pull_repository(template) == "arn:<AWS::Partition>:ecr:eu-west-1:123456789012:repository/my-model"


def test_blazingtext_uses_the_regional_algorithm_image(blazingtext: Synthesized) -> None:
    template = blazingtext.workflow
    values = substitutions(template)
    assert values["ModelAlgorithm"] == "blazingtext"
    assert values["TrainingImage"] == values["InferenceImage"] == template["Outputs"]["ImageUri"]["Value"]
    (mapping_id,) = template["Mappings"]
    assert render(values["TrainingImage"]) == (
        f'{{"Fn::FindInMap":["{mapping_id}",{{"Ref":"AWS::Region"}},"account"]}}'
        ".dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/blazingtext:1"
    )
    mapping = template["Mappings"][mapping_id]
    assert {region: entry["account"] for region, entry in mapping.items()} == BLAZINGTEXT_REGISTRIES
    assert mapping["us-east-1"] == {"account": "811284229777"}
    assert docker_images(blazingtext) == {}
    assert sagemaker_pull_repository(template).endswith(":repository/blazingtext")


def test_blazingtext_in_a_known_region_resolves_at_synth_time() -> None:
    app = App(context={**project_context(), "algorithm": "blazingtext"})
    stacks = add_stacks(app, env=Environment(account="123456789012", region="us-east-1"))
    uri = stacks.workflow.resolve(stacks.workflow.node.find_child("ModelImage").image_uri)
    assert render(uri) == "811284229777.dkr.ecr.us-east-1.<AWS::URLSuffix>/blazingtext:1"


def test_blazingtext_in_an_unknown_region_asks_for_the_image_uri() -> None:
    app = App(context={**project_context(), "algorithm": "blazingtext"})
    with pytest.raises(ConfigError, match="no BlazingText image known for eu-south-2; add its URI: -c imageUri="):
        add_stacks(app, env=Environment(account="123456789012", region="eu-south-2"))
