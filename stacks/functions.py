"""One Lambda function per workflow step (``statemachines.FUNCTIONS``) plus the Callback resume path.

All functions share one code asset: the repository's ``byoal/`` and ``lambdas/`` packages, copied
as they are (the handlers need nothing beyond the runtime's boto3), so synthesis needs no Docker.
Each function has its own role with access to the data bucket and its own log group only.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, IgnoreMode, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import WILDCARD, acknowledge, acknowledge_wildcards
from statemachines import FUNCTIONS, STANDALONE_FUNCTIONS

REPO_ROOT = Path(__file__).resolve().parents[1]
CODE_PACKAGES = ("byoal", "lambdas")
CODE_EXCLUDES = ["/*", *(f"!/{package}/" for package in CODE_PACKAGES), "__pycache__/", "*.pyc"]
"""Git-ignore patterns over the repository root that keep only the code packages."""

RUNTIME = lambda_.Runtime.PYTHON_3_12
TIMEOUT = Duration.minutes(15)
MEMORY_MB = 2048
MEMORY_MB_BY_MODULE = {"active_learning": 4096}
"""Each step streams its manifests; ``active_learning`` also holds one small prediction per record."""

CALLBACK_RESUME = "CallbackResumeFunction"


def function_id(placeholder: str) -> str:
    """``ValidateInputFunctionArn`` -> ``ValidateInputFunction``."""
    return placeholder.removesuffix("Arn")


class StepLambda(Construct):
    """The handler ``lambdas/<module>.py`` as a function (``function``), with its own role (``role``) and log group.

    The role may list the data bucket, read, write and abort uploads of its objects, write to this log group
    and send X-Ray traces. Python 3.12 on arm64, 15 minutes, 2048 MB (4096 MB for ``active_learning``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        module: str,
        code: lambda_.Code,
        bucket: s3.IBucket,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=f"byoal step {module}"
        )
        objects = iam.PolicyStatement(
            sid="ReadWriteRunObjects",
            actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            resources=[bucket.arn_for_objects("*")],
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid="ListDataBucket", actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
        self.role.add_to_principal_policy(objects)
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"byoal step: lambdas/{module}.py",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=f"lambdas.{module}.handler",
            code=code,
            timeout=TIMEOUT,
            memory_size=MEMORY_MB_BY_MODULE.get(module, MEMORY_MB),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=self.role,
        )
        acknowledge_wildcards(
            self.role,
            [
                (
                    objects,
                    "Steps read and write run objects under keys each execution chooses (its S3OutputPath and "
                    "run id); access is limited to this one bucket.",
                )
            ],
        )
        acknowledge(
            self.role,
            {
                WILDCARD: "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level "
                "permissions."
            },
        )
        acknowledge(
            self.function,
            {
                "AwsSolutions-L1": (
                    "The handlers are built and tested for Python 3.12; a runtime upgrade is a deliberate change "
                    "made together with the tests, not an automatic one."
                )
            },
        )


class WorkflowFunctions(Construct):
    """``by_placeholder`` maps each definition placeholder to its function; ``resume`` is the Callback resume path."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.Code.from_asset(str(REPO_ROOT), exclude=CODE_EXCLUDES, ignore_mode=IgnoreMode.GIT)
        steps = {
            name: StepLambda(
                self,
                name,
                module=module,
                code=code,
                bucket=bucket,
                log_retention=log_retention,
                removal_policy=removal_policy,
            )
            for name, module in {
                **{function_id(placeholder): module for placeholder, module in FUNCTIONS.items()},
                **STANDALONE_FUNCTIONS,
            }.items()
        }
        self.by_placeholder: dict[str, lambda_.Function] = {
            placeholder: steps[function_id(placeholder)].function for placeholder in FUNCTIONS
        }
        self._resume = steps[CALLBACK_RESUME]
        self.resume: lambda_.Function = self._resume.function
        self._batch = steps[function_id("CallbackBatchFunctionArn")]

    def allow_resume(self, state_machine_arn: str, state_machine_name: str) -> None:
        """Let the Callback functions answer the task tokens of this state machine (the one waiting for labels).

        The batch function answers its own token when a redriven task finds its batch labeled already.
        The state machine refers to that function, so its grant names the machine by its ARN built from
        its name (a reference to the machine would be a circular dependency).
        """
        by_name = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for step, resource in ((self._resume, state_machine_arn), (self._batch, by_name)):
            step.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AnswerCallbackTasks",
                    actions=["states:SendTaskFailure", "states:SendTaskSuccess"],
                    resources=[resource],
                )
            )
