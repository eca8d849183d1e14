"""The two state machines, deployed from the same ASL files the offline runner executes.

Each file goes into the template rendered (``statemachines.render_definition_text``: its named retry
policies expanded) as the ``DefinitionString`` (``DefinitionBody.from_file`` would instead upload it as
an S3 asset, out of sight of the template and ``cdk diff``), and CloudFormation fills its
``${Placeholder}``s from ``DefinitionSubstitutions`` at deploy time: function ARNs, the round machine's
ARN, the SageMaker role, the image, the algorithm and the instance types.

Each machine has its own role, and its permissions are derived from its definition: every Task
state's resource maps to the IAM statements that integration needs, as the table in
``stacks/integration_permissions.py`` lists them (a definition using an integration the table does
not know fails synthesis instead of deploying without permissions).

Logging: level ALL to CloudWatch Logs and X-Ray tracing on both. ``ActiveLearningLoop`` logs
*without* execution data: its Callback task passes ``$$.Task.Token`` in its parameters, and with
execution data the ``TaskScheduled`` event would put the token in the log in clear text. The
``ActiveLearning`` round machine handles no token and logs inputs and outputs too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.compliance import WILDCARD, acknowledge, acknowledge_wildcards
from stacks.integration_permissions import INTEGRATIONS, LAMBDA_FUNCTION_RESOURCE, Permission, Target
from stacks.model_image import ModelImage
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    INTEGRATION_PREFIX,
    all_states,
    placeholders,
    render_definition,
    render_definition_text,
)

_LOGGING_AND_TRACING = (
    "Added by CDK for logging and tracing: CloudWatch Logs delivery (logs:*LogDelivery, logs:PutResourcePolicy, "
    "logs:Describe*) and X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSampling*) have no "
    "resource-level permissions."
)
_PLACEHOLDER = re.compile(r"^\$\{([A-Za-z0-9]+)\}$")


def task_states(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every Task state of a definition, including those inside Parallel branches and Map iterators."""
    return (state for _, state in all_states(definition) if state["Type"] == "Task")


_STATEMENTS: dict[Target, tuple[str, str]] = {
    Target.TRAINING_JOBS: ("TrainingJobs", "Training jobs are named at run time"),
    Target.TRANSFORM_JOBS: ("TransformJobs", "Transform jobs are named at run time"),
    Target.LABELING_JOBS: ("LabelingJobs", "Labeling jobs are named at run time"),
    Target.MODELS: ("Models", "Models are named at run time after their training job"),
    Target.SAGEMAKER_ROLE: ("PassSageMakerRole", ""),
    Target.ROUND_STATE_MACHINE: ("StartRounds", ""),
    Target.ROUND_EXECUTIONS: ("FollowRounds", ""),
    Target.FUNCTION: ("InvokeSteps", ""),
    Target.TRAINING_EVENTS_RULE: ("ManagedEventRules", ""),
    Target.TRANSFORM_EVENTS_RULE: ("ManagedEventRules", ""),
    Target.EXECUTION_EVENTS_RULE: ("ManagedEventRules", ""),
}
"""Target -> (statement id, why its wildcard resource is needed); one statement per id."""


class _Grants:
    """Collects the statements of one state machine's role from its Task states (``INTEGRATIONS``)."""

    def __init__(
        self,
        scope: Construct,
        *,
        substitutions: dict[str, str],
        sagemaker_role: iam.IRole,
        state_machine_names: dict[str, str],
    ) -> None:
        self.stack = Stack.of(scope)
        self.substitutions = substitutions
        self.sagemaker_role = sagemaker_role
        self.state_machine_names = state_machine_names
        self._statements: dict[str, tuple[set[str], dict[str, None], dict[str, Any] | None, str]] = {}

    def add_definition(self, definition: dict[str, Any]) -> None:
        """Add the statements every Task state of ``definition`` (a parsed, rendered ASL document) needs.

        Raises :class:`ValueError` for an integration ARN that does not start with ``INTEGRATION_PREFIX``,
        an integration missing from ``INTEGRATIONS``, or a function or state machine not given as a
        ``${Placeholder}``.
        """
        for state in task_states(definition):
            resource: str = state["Resource"]
            if ":states:::" in resource and not resource.startswith(INTEGRATION_PREFIX):
                raise ValueError(f"{resource!r}: name the partition {INTEGRATION_PREFIX!r}, as China and GovCloud need")
            if not resource.startswith(INTEGRATION_PREFIX):
                self._grant(LAMBDA_FUNCTION_RESOURCE, state, function=resource)
                continue
            integration = resource.removeprefix(INTEGRATION_PREFIX)
            if integration not in INTEGRATIONS:
                raise ValueError(
                    f"no IAM permissions known for the integration {resource!r}; add them to "
                    "stacks/integration_permissions.py"
                )
            self._grant(INTEGRATIONS[integration], state, function=state.get("Parameters", {}).get("FunctionName"))

    @property
    def statements(self) -> list[tuple[iam.PolicyStatement, str]]:
        """Each statement with the reason its wildcard resources (if any) are needed."""
        return [
            (
                iam.PolicyStatement(sid=sid, actions=sorted(actions), resources=list(resources), conditions=conditions),
                reason,
            )
            for sid, (actions, resources, conditions, reason) in self._statements.items()
        ]

    def _grant(self, permissions: tuple[Permission, ...], state: dict[str, Any], *, function: str | None) -> None:
        for permission in permissions:
            sid, why = _STATEMENTS[permission.target]
            resource, conditions, reason = self._resource(permission.target, state, function)
            known_actions, known_resources, _, _ = self._statements.setdefault(
                sid, (set(), {}, conditions, f"{why}; {reason}" if why else reason)
            )
            known_actions.update(permission.actions)
            known_resources[resource] = None

    def _resource(
        self, target: Target, state: dict[str, Any], function: str | None
    ) -> tuple[str, dict[str, Any] | None, str]:
        """(resource ARN, conditions, why a wildcard in it is needed) for one target."""
        if target in (Target.TRAINING_JOBS, Target.TRANSFORM_JOBS, Target.LABELING_JOBS, Target.MODELS):
            return (
                self._arn("sagemaker", target.value, "*"),
                None,
                f"the actions are limited to {target.value}s in this account and Region.",
            )
        if target is Target.SAGEMAKER_ROLE:
            return (
                self.sagemaker_role.role_arn,
                {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                "",
            )
        if target is Target.FUNCTION:
            if function is None:
                raise ValueError(f"a Task state invoking a function names none: {state}")
            return self.substitutions[self._placeholder(function)], None, ""
        if target in (Target.ROUND_STATE_MACHINE, Target.ROUND_EXECUTIONS):
            placeholder = self._placeholder(state["Parameters"]["StateMachineArn"])
            if target is Target.ROUND_STATE_MACHINE:
                return self.substitutions[placeholder], None, ""
            name = self.state_machine_names[placeholder]
            return (
                self._arn("states", "execution", f"{name}:*"),
                None,
                f"Round executions are named at run time (<run>-round-<n>); the actions are limited to executions "
                f"of {name}.",
            )
        return self._arn("events", "rule", target.value), None, ""

    def _placeholder(self, text: str) -> str:
        match = _PLACEHOLDER.match(text)
        if not match:
            raise ValueError(f"expected a ${{Placeholder}}, got {text!r}")
        return match.group(1)

    def _arn(self, service: str, resource: str, name: str) -> str:
        arn_format = ArnFormat.COLON_RESOURCE_NAME if service == "states" else ArnFormat.SLASH_RESOURCE_NAME
        return self.stack.format_arn(service=service, resource=resource, resource_name=name, arn_format=arn_format)


class WorkflowStateMachines(Construct):
    """``loop`` (``ActiveLearningLoop-<stage>``) runs rounds of ``round`` (``ActiveLearning-<stage>``).

    Each machine gets its own role, trusted by ``states.amazonaws.com`` from this account only and holding
    the statements its Task states need, a log group ``/aws/vendedlogs/states/<name>`` (level ALL; the loop
    without execution data) and X-Ray tracing. ``functions`` maps each definition placeholder
    (``ValidateInputFunctionArn``, ...) to its function; ``substitutions`` holds every placeholder's value.
    Raises :class:`ValueError` when a definition uses an integration with no known permissions.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        functions: Mapping[str, lambda_.IFunction],
        sagemaker_role: iam.IRole,
        image: ModelImage,
        training_instance_type: str,
        transform_instance_type: str,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._sagemaker_role = sagemaker_role
        self._log_retention = log_retention
        self._removal_policy = removal_policy
        self.substitutions: dict[str, str] = {
            **{placeholder: function.function_arn for placeholder, function in functions.items()},
            "SageMakerRoleArn": sagemaker_role.role_arn,
            "TrainingImage": image.image_uri,
            "InferenceImage": image.image_uri,
            "ModelAlgorithm": image.algorithm,
            "TrainingInstanceType": training_instance_type,
            "TransformInstanceType": transform_instance_type,
            "Partition": Stack.of(self).partition,
        }
        self.state_machine_names = {"ActiveLearningStateMachineArn": f"ActiveLearning-{stage}"}
        self.round = self._machine(
            "ActiveLearning",
            self.state_machine_names["ActiveLearningStateMachineArn"],
            ACTIVE_LEARNING,
            include_execution_data=True,
        )
        self.substitutions["ActiveLearningStateMachineArn"] = self.round.state_machine_arn
        self.loop = self._machine(
            "ActiveLearningLoop", f"ActiveLearningLoop-{stage}", ACTIVE_LEARNING_LOOP, include_execution_data=False
        )

    def _machine(self, construct_id: str, name: str, path: Path, *, include_execution_data: bool) -> sfn.StateMachine:
        scope = Construct(self, construct_id)
        substitutions = {placeholder: self.substitutions[placeholder] for placeholder in sorted(placeholders(path))}
        grants = _Grants(
            scope,
            substitutions=substitutions,
            sagemaker_role=self._sagemaker_role,
            state_machine_names=self.state_machine_names,
        )
        grants.add_definition(render_definition(path))
        statements = grants.statements
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
            description=f"byoal state machine {name}",
            inline_policies={"Integrations": iam.PolicyDocument(statements=[statement for statement, _ in statements])},
        )
        log_group = logs.LogGroup(
            scope,
            "Logs",
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=self._log_retention,
            removal_policy=self._removal_policy,
        )
        machine = sfn.StateMachine(
            scope,
            "StateMachine",
            state_machine_name=name,
            definition_body=sfn.DefinitionBody.from_string(render_definition_text(path)),
            definition_substitutions=substitutions,
            role=role,
            logs=sfn.LogOptions(
                destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=include_execution_data
            ),
            tracing_enabled=True,
        )
        acknowledge_wildcards(role, statements)
        acknowledge(role, {WILDCARD: _LOGGING_AND_TRACING})
        return machine
