"""The default deployment (stage dev, the bundled image), synthesized once: resources, IAM, definitions, nag."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from asl_interpreter import validate_definition
from stacks.compliance import render
from stacks.workflow_stack import OUTPUT_KEYS
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    FUNCTIONS,
    OTHER_PLACEHOLDERS,
    STANDALONE_FUNCTIONS,
    placeholders,
    render_definition_text,
)
from tests.stacks.synth import Synthesized
from tests.stacks.template import (
    PLACEHOLDER,
    actions,
    as_list,
    get_att,
    rendered_definition,
    resources,
    resources_for,
    role_of,
    role_statements,
    state_machine,
    step_functions,
    task_resources,
)

REPO = Path(__file__).resolve().parents[2]
LOOP, ROUND = "ActiveLearningLoop-dev", "ActiveLearning-dev"

LOGGING_AND_TRACING = {
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery",
    "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
}  # fmt: skip
"""Actions without resource-level permissions: the only ones allowed on ``"Resource": "*"``."""
STAR_ACTIONS = LOGGING_AND_TRACING | {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}


@pytest.fixture(scope="module")
def template(dev: Synthesized) -> dict[str, Any]:
    return dev.workflow


def logical_id(template: dict[str, Any], kind: str, path_part: str) -> str:
    (found,) = [name for name in resources(template, kind) if path_part in name]
    return found


def data_bucket(template: dict[str, Any]) -> str:
    return logical_id(template, "AWS::S3::Bucket", "StorageData")


def log_bucket(template: dict[str, Any]) -> str:
    return logical_id(template, "AWS::S3::Bucket", "StorageAccessLogs")


def sagemaker_role(template: dict[str, Any]) -> str:
    return logical_id(template, "AWS::IAM::Role", "SageMakerRole")


# --- storage ---------------------------------------------------------------------------------------


def test_data_bucket_is_encrypted_private_versioned_logged(dev: Synthesized, template: dict[str, Any]) -> None:
    dev.template().has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": log_bucket(template)}},
            "LifecycleConfiguration": Match.object_like(
                {"Rules": Match.array_with([Match.object_like({"Status": "Enabled"})])}
            ),
        },
    )
    bucket = template["Resources"][data_bucket(template)]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }  # fmt: skip
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": log_bucket(template)},
        "LogFilePrefix": "data-bucket/",
    }


def test_data_bucket_lifecycle(template: dict[str, Any]) -> None:
    rules = {
        rule["Id"]: rule
        for rule in template["Resources"][data_bucket(template)]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["ExpireNoncurrentVersions"]["ExpiredObjectDeleteMarker"] is True
    assert all(rule["Status"] == "Enabled" for rule in rules.values())


def test_buckets_deny_requests_without_tls(template: dict[str, Any]) -> None:
    policies = {
        policy["Properties"]["Bucket"]["Ref"]: policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in resources(template, "AWS::S3::BucketPolicy").values()
    }
    assert set(policies) == {data_bucket(template), log_bucket(template)}
    for statements in policies.values():
        deny = next(statement for statement in statements if statement["Effect"] == "Deny")
        assert deny["Action"] == "s3:*" and deny["Principal"] == {"AWS": "*"}
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_log_bucket_is_private_and_encrypted(template: dict[str, Any]) -> None:
    bucket = template["Resources"][log_bucket(template)]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365


def test_dev_destroys_buckets_and_their_objects(template: dict[str, Any]) -> None:
    for name in (data_bucket(template), log_bucket(template)):
        assert template["Resources"][name]["DeletionPolicy"] == "Delete"
    emptied = {
        resource["Properties"]["BucketName"]["Ref"]
        for resource in resources(template, "Custom::S3AutoDeleteObjects").values()
    }
    assert emptied == {data_bucket(template), log_bucket(template)}


# --- functions -------------------------------------------------------------------------------------


def test_one_function_per_step_and_the_resume_path(dev: Synthesized, template: dict[str, Any]) -> None:
    dev.template().resource_properties_count_is(
        "AWS::Lambda::Function",
        {"Handler": Match.string_like_regexp(r"^lambdas\.\w+\.handler$"), "Runtime": "python3.12"},
        len(FUNCTIONS) + len(STANDALONE_FUNCTIONS),
    )
    functions = step_functions(template)
    assert len(functions) == len(FUNCTIONS) + len(STANDALONE_FUNCTIONS)
    assert set(functions) == set(FUNCTIONS.values()) | set(STANDALONE_FUNCTIONS.values())
    # the only other function is CDK's bucket-emptying provider (dev only)
    assert len(resources(template, "AWS::Lambda::Function")) == len(functions) + 1


def test_function_settings(template: dict[str, Any]) -> None:
    for module, (_, properties) in step_functions(template).items():
        assert properties["Runtime"] == "python3.12"
        assert properties["Handler"] == f"lambdas.{module}.handler"
        assert properties["Timeout"] == 900
        assert properties["MemorySize"] == (4096 if module == "active_learning" else 2048)
        assert properties["TracingConfig"] == {"Mode": "Active"}
        log_group = properties["LoggingConfig"]["LogGroup"]["Ref"]
        assert template["Resources"][log_group]["Properties"]["RetentionInDays"] == 30
        assert template["Resources"][log_group]["DeletionPolicy"] == "Delete"


def test_function_code_is_only_byoal_and_lambdas(dev: Synthesized, template: dict[str, Any]) -> None:
    keys = {properties["Code"]["S3Key"] for _, properties in step_functions(template).values()}
    assert len(keys) == 1, "all steps share one code asset"
    staged = dev.outdir / f"asset.{keys.pop().removesuffix('.zip')}"
    files = {path.relative_to(staged).as_posix() for path in staged.rglob("*") if path.is_file()}
    expected = {
        path.relative_to(REPO).as_posix()
        for package in ("byoal", "lambdas")
        for path in (REPO / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert files == expected
    assert files and all(name.endswith(".py") for name in files)
    assert {name.split("/")[0] for name in files} == {"byoal", "lambdas"}


# --- the model image -------------------------------------------------------------------------------


def test_bundled_image_is_an_unbuilt_docker_asset_from_container(dev: Synthesized) -> None:
    assets = json.loads((dev.outdir / f"{dev.stacks.workflow.artifact_id}.assets.json").read_text(encoding="utf-8"))
    (image,) = assets["dockerImages"].values()
    assert image["source"]["platform"] == "linux/amd64"
    staged = dev.outdir / image["source"]["directory"]
    assert (staged / "Dockerfile").is_file()
    assert not list(staged.rglob("__pycache__"))


# --- state machines --------------------------------------------------------------------------------


def test_state_machines_names_logging_tracing(dev: Synthesized, template: dict[str, Any]) -> None:
    for name, execution_data in ((LOOP, False), (ROUND, True)):
        dev.template().has_resource_properties(
            "AWS::StepFunctions::StateMachine",
            {
                "StateMachineName": name,
                "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": execution_data}),
                "TracingConfiguration": {"Enabled": True},
            },
        )
        _, properties = state_machine(template, name)
        logging = properties["LoggingConfiguration"]
        assert logging["Level"] == "ALL"
        assert logging["IncludeExecutionData"] is execution_data, "the loop's Callback task token must not be logged"
        log_group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        group = template["Resources"][log_group]["Properties"]
        assert group == {"LogGroupName": f"/aws/vendedlogs/states/{name}", "RetentionInDays": 30}
        assert properties["TracingConfiguration"] == {"Enabled": True}


def test_loop_logs_no_execution_data_because_it_handles_the_task_token(template: dict[str, Any]) -> None:
    _, properties = state_machine(template, LOOP)
    assert "$$.Task.Token" in properties["DefinitionString"]
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False
    _, round_properties = state_machine(template, ROUND)
    assert "$$.Task.Token" not in round_properties["DefinitionString"]


def test_definitions_are_the_rendered_files_and_every_placeholder_is_substituted(template: dict[str, Any]) -> None:
    for name, path in ((LOOP, ACTIVE_LEARNING_LOOP), (ROUND, ACTIVE_LEARNING)):
        _, properties = state_machine(template, name)
        assert properties["DefinitionString"] == render_definition_text(path)
        used = set(PLACEHOLDER.findall(properties["DefinitionString"]))
        assert used == placeholders(path) == set(properties["DefinitionSubstitutions"])
        # what is left of "${" is CloudFormation's own Fn::Sub syntax (${AWS::AccountId} in the asset image URI)
        assert PLACEHOLDER.findall(json.dumps(rendered_definition(properties))) == []
    everything = placeholders(ACTIVE_LEARNING) | placeholders(ACTIVE_LEARNING_LOOP)
    assert everything == set(FUNCTIONS) | set(OTHER_PLACEHOLDERS)


def test_substitutions_reference_the_real_resources(template: dict[str, Any]) -> None:
    functions = {logical: properties for logical, properties in step_functions(template).values()}
    outputs = template["Outputs"]
    round_id, _ = state_machine(template, ROUND)
    for name in (LOOP, ROUND):
        _, properties = state_machine(template, name)
        for placeholder, value in properties["DefinitionSubstitutions"].items():
            if placeholder in FUNCTIONS:
                (target, attribute) = value["Fn::GetAtt"]
                assert attribute == "Arn"
                assert functions[target]["Handler"] == f"lambdas.{FUNCTIONS[placeholder]}.handler"
            elif placeholder == "SageMakerRoleArn":
                assert value == get_att(sagemaker_role(template))
            elif placeholder == "ActiveLearningStateMachineArn":
                assert value == {"Ref": round_id}
            elif placeholder in ("TrainingImage", "InferenceImage"):
                assert value == outputs["ImageUri"]["Value"]
            elif placeholder == "ModelAlgorithm":
                assert value == "bundled"
            elif placeholder == "TrainingInstanceType":
                assert value == "ml.m5.xlarge"
            elif placeholder == "TransformInstanceType":
                assert value == "ml.m5.large"
            elif placeholder == "Partition":
                assert value == {"Ref": "AWS::Partition"}
            else:
                pytest.fail(f"unexpected placeholder {placeholder}")


def test_rendered_definitions_are_valid_and_call_the_right_things(template: dict[str, Any]) -> None:
    functions = {logical: properties for logical, properties in step_functions(template).values()}
    round_id, _ = state_machine(template, ROUND)
    for name in (LOOP, ROUND):
        _, properties = state_machine(template, name)
        definition = rendered_definition(properties)
        validate_definition(definition)
        for state, resource in task_resources(definition).items():
            if resource.startswith("arn:<AWS::Partition>:states:::"):
                continue
            match = re.fullmatch(r"<(\w+)\.Arn>", resource)
            assert match and match.group(1) in functions, f"{name}/{state} calls {resource}"
        if name == LOOP:
            assert definition["States"]["RunActiveLearningRound"]["Parameters"]["StateMachineArn"] == f"<{round_id}>"
            callback = definition["States"]["LabelWithCallback"]["Parameters"]["FunctionName"]
            assert functions[callback[1:-5]]["Handler"] == "lambdas.callback_batch.handler"
        else:
            assert definition["States"]["TrainModel"]["Parameters"]["RoleArn"] == f"<{sagemaker_role(template)}.Arn>"


# --- IAM -------------------------------------------------------------------------------------------


def test_no_wildcard_actions_and_no_full_access_policies(template: dict[str, Any]) -> None:
    for role, statements in role_statements(template).items():
        for action in actions(statements):
            assert "*" not in action, f"{role}: {action}"
    for role in resources(template, "AWS::IAM::Role").values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert "FullAccess" not in render(arn)


def test_star_resources_only_for_actions_without_resource_level_permissions(template: dict[str, Any]) -> None:
    for role, statements in role_statements(template).items():
        for statement in statements:
            if "*" in as_list(statement["Resource"]):
                assert set(as_list(statement["Action"])) <= STAR_ACTIONS, f"{role}: {statement}"
            if "cloudwatch:PutMetricData" in as_list(statement["Action"]):
                assert statement["Condition"] == {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}}


def test_other_wildcard_resources_are_scoped(template: dict[str, Any]) -> None:
    allowed = [
        rf"<{data_bucket(template)}\.Arn>/\*",
        r"arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:(training-job|transform-job|labeling-job|model)/\*",
        rf"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{ROUND}:\*",
        r"arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/\*",
    ]
    for role, statements in role_statements(template).items():
        for statement in statements:
            for resource in map(render, as_list(statement["Resource"])):
                if "*" in resource and resource != "*":
                    assert any(re.fullmatch(pattern, resource) for pattern in allowed), f"{role}: {resource}"


def test_pass_role_only_for_the_sagemaker_role_and_only_to_sagemaker(template: dict[str, Any]) -> None:
    passing = {
        role: s
        for role, statements in role_statements(template).items()
        for s in statements
        if "iam:PassRole" in as_list(s["Action"])
    }
    machine_roles = {role_of(template, state_machine(template, name)[0]) for name in (LOOP, ROUND)}
    assert set(passing) == machine_roles
    for statement in passing.values():
        assert as_list(statement["Action"]) == ["iam:PassRole"]
        assert statement["Resource"] == get_att(sagemaker_role(template))
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def _rule_names(statements: list[dict[str, Any]]) -> set[str]:
    return {render(resource).rsplit("rule/", 1)[1] for resource in resources_for(statements, "events:PutRule")}


def test_round_machine_role(template: dict[str, Any]) -> None:
    round_id, properties = state_machine(template, ROUND)
    statements = role_statements(template)[role_of(template, round_id)]
    assert actions(statements) == LOGGING_AND_TRACING | {
        "lambda:InvokeFunction", "iam:PassRole", "events:DescribeRule", "events:PutRule", "events:PutTargets",
        "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
        "sagemaker:CreateModel", "sagemaker:ListTags", "sagemaker:AddTags",
        "sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob",
    }  # fmt: skip
    invoked = {
        value["Fn::GetAtt"][0] for key, value in properties["DefinitionSubstitutions"].items() if key in FUNCTIONS
    }
    assert {r["Fn::GetAtt"][0] for r in resources_for(statements, "lambda:InvokeFunction")} == invoked
    assert _rule_names(statements) == {
        "StepFunctionsGetEventsForSageMakerTrainingJobsRule",
        "StepFunctionsGetEventsForSageMakerTransformJobsRule",
    }


def test_loop_machine_role(template: dict[str, Any]) -> None:
    loop_id, properties = state_machine(template, LOOP)
    round_id, _ = state_machine(template, ROUND)
    statements = role_statements(template)[role_of(template, loop_id)]
    assert actions(statements) == LOGGING_AND_TRACING | {
        "lambda:InvokeFunction", "iam:PassRole", "events:DescribeRule", "events:PutRule", "events:PutTargets",
        "states:StartExecution", "states:DescribeExecution", "states:StopExecution",
        "sagemaker:CreateLabelingJob", "sagemaker:DescribeLabelingJob", "sagemaker:StopLabelingJob",
        "sagemaker:ListTags", "sagemaker:AddTags",
        # EmbedRecords: the embed model and its transform job, before the first round
        "sagemaker:CreateModel", "sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob",
        "sagemaker:StopTransformJob",
    }  # fmt: skip
    invoked = {
        value["Fn::GetAtt"][0] for key, value in properties["DefinitionSubstitutions"].items() if key in FUNCTIONS
    }
    assert {r["Fn::GetAtt"][0] for r in resources_for(statements, "lambda:InvokeFunction")} == invoked
    assert resources_for(statements, "states:StartExecution") == [{"Ref": round_id}]
    assert _rule_names(statements) == {
        "StepFunctionsGetEventsForStepFunctionsExecutionRule",
        "StepFunctionsGetEventsForSageMakerTransformJobsRule",
    }


def test_machine_roles_trust_step_functions_of_this_account(template: dict[str, Any]) -> None:
    for name in (LOOP, ROUND):
        role = template["Resources"][role_of(template, state_machine(template, name)[0])]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "states.amazonaws.com"}
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_function_roles_reach_only_the_bucket_their_logs_and_xray(template: dict[str, Any]) -> None:
    bucket = data_bucket(template)
    loop_id, _ = state_machine(template, LOOP)
    for module, (function_id, properties) in step_functions(template).items():
        statements = role_statements(template)[role_of(template, function_id)]
        calls_back = module in ("callback_resume", "callback_batch")
        extra = {"states:SendTaskFailure", "states:SendTaskSuccess"} if calls_back else set()
        assert actions(statements) == {
            "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
            "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        } | extra  # fmt: skip
        assert resources_for(statements, "s3:ListBucket") == [get_att(bucket)]
        assert {render(r) for r in resources_for(statements, "s3:GetObject")} == {f"<{bucket}.Arn>/*"}
        assert resources_for(statements, "logs:PutLogEvents") == [
            get_att(properties["LoggingConfig"]["LogGroup"]["Ref"])
        ]
        if module == "callback_resume":
            assert resources_for(statements, "states:SendTaskSuccess") == [{"Ref": loop_id}]
        elif extra:
            (arn,) = resources_for(statements, "states:SendTaskSuccess")
            stage = template["Resources"][loop_id]["Properties"]["StateMachineName"].split("-", 1)[1]
            assert render(arn).endswith(f":stateMachine:ActiveLearningLoop-{stage}")


def test_sagemaker_role(template: dict[str, Any]) -> None:
    role = sagemaker_role(template)
    (trust,) = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    statements = role_statements(template)[role]
    bucket = data_bucket(template)
    assert actions(statements) == {
        "s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
    }  # fmt: skip
    assert resources_for(statements, "s3:ListBucket") == [get_att(bucket)]
    assert {render(r) for r in resources_for(statements, "s3:PutObject")} == {f"<{bucket}.Arn>/*"}
    (repository,) = resources_for(statements, "ecr:BatchGetImage")
    assert "container-assets" in render(repository)


# --- outputs and cdk-nag ---------------------------------------------------------------------------


def test_outputs(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert tuple(outputs) == OUTPUT_KEYS
    loop_id, _ = state_machine(template, LOOP)
    round_id, _ = state_machine(template, ROUND)
    functions = step_functions(template)
    assert outputs["BucketName"]["Value"] == {"Ref": data_bucket(template)}
    assert outputs["ActiveLearningLoopStateMachineArn"]["Value"] == {"Ref": loop_id}
    assert outputs["ActiveLearningStateMachineArn"]["Value"] == {"Ref": round_id}
    assert outputs["SageMakerRoleArn"]["Value"] == get_att(sagemaker_role(template))
    assert outputs["CallbackResumeFunctionName"]["Value"] == {"Ref": functions["callback_resume"][0]}
    assert "container-assets" in render(outputs["ImageUri"]["Value"])
