"""What a first real deployment would hit: every variant with and without an account and Region, cfn-lint,
the IAM each integration needs (and nothing else), partitions, connection prefixes, the image format."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Annotations, Match

from stacks.application import add_stacks, project_context
from stacks.compliance import render
from stacks.integration_permissions import INTEGRATIONS, LAMBDA_FUNCTION_RESOURCE, SYNC_TAGS, Target
from stacks.model_image import DOCKER_OUTPUTS
from stacks.state_machines import _Grants, task_states
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    INTEGRATION_PREFIX,
    render_definition,
    render_definition_text,
)
from tests.stacks.cfn_lint import lint
from tests.stacks.synth import PIPELINE_CONTEXT, Synthesized
from tests.stacks.template import as_list, resources, role_of, role_statements, state_machine

LOGGING_AND_TRACING = {
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
}  # fmt: skip
"""What CDK's StateMachine adds for logging and tracing, beside the integrations."""


def stacks_of(synthesized: Synthesized) -> list[Any]:
    found = [synthesized.stacks.workflow]
    if synthesized.stacks.pipeline is not None:
        found += [synthesized.stacks.pipeline, synthesized.stacks.pipeline.dev.workflow]
    return found


def workflow_templates(synthesized: Synthesized) -> list[dict[str, Any]]:
    templates = [synthesized.workflow]
    if synthesized.stacks.pipeline is not None:
        stage = synthesized.assembly.get_nested_assembly(synthesized.stacks.pipeline.dev.artifact_id)
        templates += [artifact.template for artifact in stage.stacks]
    return templates


# --- every variant, with and without an account and Region -----------------------------------------


def test_every_variant_synthesizes_nag_clean(every_variant: Synthesized) -> None:
    # An unacknowledged cdk-nag error fails synthesis itself (the fixture); warnings would be reported here.
    assert every_variant.validation_report()["pluginReports"] == []
    for stack in stacks_of(every_variant):
        annotations = Annotations.from_stack(stack)
        assert annotations.find_error("*", Match.any_value()) == [], stack.node.path
        assert annotations.find_warning("*", Match.any_value()) == [], stack.node.path


def test_cfn_lint_finds_nothing(every_variant: Synthesized) -> None:
    assert lint(every_variant.outdir) == ""


def test_the_concrete_environment_is_the_one_synthesized(assemblies) -> None:
    concrete = assemblies.get("pipeline", "concrete")
    for stack in stacks_of(concrete)[:2]:
        assert (stack.account, stack.region) == ("123456789012", "eu-west-1")
    agnostic = assemblies.get("pipeline")
    assert render(agnostic.stacks.workflow.resolve(agnostic.stacks.workflow.region)) == "<AWS::Region>"


# --- IAM: exactly what each integration needs ------------------------------------------------------


def expected_grants(path) -> set[tuple[str, Target]]:
    """(action, target) for every permission the table assigns to the Task states of one definition file."""
    grants: set[tuple[str, Target]] = set()
    for state in task_states(render_definition(path)):
        resource = state["Resource"]
        permissions = (
            INTEGRATIONS[resource.removeprefix(INTEGRATION_PREFIX)]
            if resource.startswith(INTEGRATION_PREFIX)
            else LAMBDA_FUNCTION_RESOURCE
        )
        grants |= {(action, permission.target) for permission in permissions for action in permission.actions}
    return grants


def target_of(resource: str, template: dict[str, Any]) -> Target | None:
    """Which table target a rendered resource is (None for "*", the logging and tracing actions)."""
    if resource == "*":
        return None
    for target in Target:
        if resource.endswith(f":{target.value}/*") or resource.endswith(f":rule/{target.value}"):
            return target
    if resource.endswith(":execution:ActiveLearning-dev:*"):
        return Target.ROUND_EXECUTIONS
    logical_id = resource.strip("<>").removesuffix(".Arn")
    kind = template["Resources"][logical_id]["Type"]
    return {
        "AWS::IAM::Role": Target.SAGEMAKER_ROLE,
        "AWS::StepFunctions::StateMachine": Target.ROUND_STATE_MACHINE,
        "AWS::Lambda::Function": Target.FUNCTION,
    }[kind]


@pytest.mark.parametrize("variant", ["dev", "pipeline"])
@pytest.mark.parametrize("environment", ["agnostic", "concrete"])
def test_machine_roles_hold_exactly_what_their_integrations_need(assemblies, variant, environment) -> None:
    for template in workflow_templates(assemblies.get(variant, environment)):
        for name, path in (("ActiveLearningLoop-dev", ACTIVE_LEARNING_LOOP), ("ActiveLearning-dev", ACTIVE_LEARNING)):
            machine_id, _ = state_machine(template, name)
            statements = role_statements(template)[role_of(template, machine_id)]
            granted = {
                (action, target_of(render(resource), template))
                for statement in statements
                for action in as_list(statement["Action"])
                for resource in as_list(statement["Resource"])
            }
            assert granted == expected_grants(path) | {(action, None) for action in LOGGING_AND_TRACING}, name


def test_the_loop_may_embed_the_records_before_the_rounds(dev: Synthesized) -> None:
    """EmbedRecords and CreateEmbeddingModel run in the loop itself: its role creates the embed model (passing the
    SageMaker role) and runs, follows, stops and tags the transform job, with its managed EventBridge rule."""
    template = dev.workflow
    machine_id, _ = state_machine(template, "ActiveLearningLoop-dev")
    granted = {
        (action, target_of(render(resource), template))
        for statement in role_statements(template)[role_of(template, machine_id)]
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    embedding = {
        ("sagemaker:CreateModel", Target.MODELS),
        ("sagemaker:ListTags", Target.MODELS),
        ("iam:PassRole", Target.SAGEMAKER_ROLE),
        ("sagemaker:CreateTransformJob", Target.TRANSFORM_JOBS),
        ("sagemaker:DescribeTransformJob", Target.TRANSFORM_JOBS),
        ("sagemaker:StopTransformJob", Target.TRANSFORM_JOBS),
        ("sagemaker:ListTags", Target.TRANSFORM_JOBS),
        ("sagemaker:AddTags", Target.TRANSFORM_JOBS),
        ("events:DescribeRule", Target.TRANSFORM_EVENTS_RULE),
        ("events:PutRule", Target.TRANSFORM_EVENTS_RULE),
        ("events:PutTargets", Target.TRANSFORM_EVENTS_RULE),
    }
    assert embedding <= granted
    assert not {action for action, _ in granted if action.startswith("sagemaker:")} & {
        "sagemaker:CreateTrainingJob", "sagemaker:CreateEndpoint", "sagemaker:DeleteModel"
    }


def test_every_sync_sagemaker_job_may_be_tagged(dev: Synthesized) -> None:
    """Step Functions tags each job a .sync task starts: without AddTags every round fails at TrainModel."""
    template = dev.workflow
    tagged = set()
    for name in ("ActiveLearningLoop-dev", "ActiveLearning-dev"):
        machine_id, _ = state_machine(template, name)
        for statement in role_statements(template)[role_of(template, machine_id)]:
            if "sagemaker:AddTags" in as_list(statement["Action"]):
                tagged |= {render(resource).rsplit(":", 1)[1] for resource in as_list(statement["Resource"])}
    assert tagged == {"training-job/*", "transform-job/*", "labeling-job/*"}


def test_every_permission_names_its_source() -> None:
    for integration, permissions in INTEGRATIONS.items():
        for permission in permissions:
            assert re.search(r"https://docs\.aws\.amazon\.com/|aws-cdk issues #\d+", permission.source), integration
    sync_jobs = [name for name in INTEGRATIONS if name.startswith("sagemaker:") and name.endswith(".sync")]
    for name in sync_jobs:
        assert any("sagemaker:AddTags" in p.actions and p.source == SYNC_TAGS for p in INTEGRATIONS[name]), name


def test_every_integration_of_the_definitions_is_in_the_table() -> None:
    used = {
        state["Resource"].removeprefix(INTEGRATION_PREFIX)
        for path in (ACTIVE_LEARNING, ACTIVE_LEARNING_LOOP)
        for state in task_states(render_definition(path))
        if state["Resource"].startswith(INTEGRATION_PREFIX)
    }
    assert used and used <= set(INTEGRATIONS)
    assert {p.target for p in INTEGRATIONS["sagemaker:createTrainingJob.sync"]} >= {Target.TRAINING_EVENTS_RULE}


# --- partitions ------------------------------------------------------------------------------------


def test_definitions_hard_code_no_partition() -> None:
    for path in (ACTIVE_LEARNING, ACTIVE_LEARNING_LOOP):
        text = render_definition_text(path)
        assert "arn:aws:" not in text and "arn:aws-" not in text, path.name
        for state in task_states(json.loads(text)):
            assert state["Resource"].startswith((INTEGRATION_PREFIX, "${")), state["Resource"]


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("eu-west-1", "aws")])
def test_the_partition_placeholder_is_the_stacks_partition(region: str, partition: str) -> None:
    app = App(context=project_context())
    stacks = add_stacks(app, env=Environment(account="123456789012", region=region))
    template = app.synth().get_stack_artifact(stacks.workflow.artifact_id).template
    for machine in resources(template, "AWS::StepFunctions::StateMachine").values():
        assert machine["Properties"]["DefinitionSubstitutions"]["Partition"] == partition


def test_an_agnostic_stack_takes_the_partition_at_deploy_time(dev: Synthesized) -> None:
    for machine in resources(dev.workflow, "AWS::StepFunctions::StateMachine").values():
        assert machine["Properties"]["DefinitionSubstitutions"]["Partition"] == {"Ref": "AWS::Partition"}


# --- the pipeline's connection ---------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["agnostic", "concrete"])
def test_the_source_uses_the_connection_under_both_prefixes(assemblies, environment) -> None:
    synthesized = assemblies.get("pipeline", environment)
    template = synthesized.template_json(synthesized.stacks.pipeline)
    connection = PIPELINE_CONTEXT["pipelineConnectionArn"]
    granted = {
        (action, render(resource))
        for statements in role_statements(template).values()
        for statement in statements
        for action in as_list(statement["Action"])
        if action.endswith(":UseConnection")
        for resource in as_list(statement["Resource"])
    }
    assert granted == {
        ("codeconnections:UseConnection", connection),
        ("codestar-connections:UseConnection", connection.replace(":codeconnections:", ":codestar-connections:")),
    }
    (source_role,) = [name for name in role_statements(template) if "Source" in name]
    kept = {action for s in role_statements(template)[source_role] for action in as_list(s["Action"])}
    assert {"s3:PutObject", "kms:Decrypt"} <= kept, "the rest of the source role's policy is kept"


# --- the model image -------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["dev", "pipeline"])
def test_the_bundled_image_is_built_as_a_docker_v2_manifest(assemblies, variant) -> None:
    outdir = assemblies.get(variant, "concrete").outdir
    images = [
        image
        for path in outdir.rglob("*.assets.json")
        for image in json.loads(path.read_text(encoding="utf-8")).get("dockerImages", {}).values()
    ]
    assert images
    for image in images:
        assert image["source"]["dockerOutputs"] == list(DOCKER_OUTPUTS) == ["type=docker,oci-mediatypes=false"]


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ("arn:aws:states:::sagemaker:createModel", r"name the partition 'arn:\$\{Partition\}:states:::'"),
        ("arn:${Partition}:states:::sagemaker:createProcessingJob.sync", "no IAM permissions known"),
    ],
)
def test_a_task_the_table_cannot_grant_fails_synthesis(resource: str, message: str) -> None:
    grants = _Grants(Stack(App(), "Grants"), substitutions={}, sagemaker_role=None, state_machine_names={})
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": resource, "End": True}}}
    with pytest.raises(ValueError, match=message):
        grants.add_definition(definition)
