"""The IAM actions each Step Functions integration the definitions use needs, with the source of each.

One table, read by ``stacks.state_machines`` to build each state machine's role from its Task
states and by the synth tests to check that the synthesized roles hold exactly this. A
definition that uses an integration missing here fails synthesis.

Resources are named by kind (:class:`Target`); the state-machine module turns each kind into an
ARN of the stack's partition, Region and account.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Target(Enum):
    """What a permission's resource is; ``state_machines._Grants`` renders each as an ARN."""

    TRAINING_JOBS = "training-job"
    TRANSFORM_JOBS = "transform-job"
    LABELING_JOBS = "labeling-job"
    MODELS = "model"
    SAGEMAKER_ROLE = "the SageMaker execution role (iam:PassedToService sagemaker.amazonaws.com)"
    ROUND_STATE_MACHINE = "the state machine a startExecution task names"
    ROUND_EXECUTIONS = "executions of that state machine"
    FUNCTION = "the Lambda function a task invokes"
    TRAINING_EVENTS_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
    TRANSFORM_EVENTS_RULE = "StepFunctionsGetEventsForSageMakerTransformJobsRule"
    EXECUTION_EVENTS_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"


@dataclass(frozen=True)
class Permission:
    """IAM ``actions`` on one kind of resource (``target``), with ``source``: the page or issue that requires them."""

    actions: tuple[str, ...]
    target: Target
    source: str


SAGEMAKER_IAM = "https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html"
STEP_FUNCTIONS_IAM = "https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html"
LAMBDA_IAM = "https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html"
SYNC_TAGS = (
    "aws-cdk issues #26012 and #32294: Step Functions tags the job a .sync task starts, so without "
    "sagemaker:AddTags CreateXJob fails with AccessDenied; CDK's SageMakerCreateTrainingJob and "
    "SageMakerCreateTransformJob tasks grant it"
)


def _sagemaker_sync_job(kind: str, target: Target) -> tuple[Permission, ...]:
    return (
        Permission(
            (f"sagemaker:Create{kind}Job", f"sagemaker:Describe{kind}Job", f"sagemaker:Stop{kind}Job"),
            target,
            SAGEMAKER_IAM + " (Run a Job (.sync))",
        ),
        Permission(("sagemaker:ListTags",), target, SAGEMAKER_IAM + " (scoped here to this kind of job)"),
        Permission(("sagemaker:AddTags",), target, SYNC_TAGS),
    )


_PASS_ROLE = Permission(("iam:PassRole",), Target.SAGEMAKER_ROLE, SAGEMAKER_IAM)
_EVENTS = ("events:DescribeRule", "events:PutRule", "events:PutTargets")

INTEGRATIONS: dict[str, tuple[Permission, ...]] = {
    "sagemaker:createTrainingJob.sync": (
        *_sagemaker_sync_job("Training", Target.TRAINING_JOBS),
        _PASS_ROLE,
        Permission(_EVENTS, Target.TRAINING_EVENTS_RULE, SAGEMAKER_IAM + " (CreateTrainingJob, .sync)"),
    ),
    "sagemaker:createTransformJob.sync": (
        *_sagemaker_sync_job("Transform", Target.TRANSFORM_JOBS),
        Permission(_EVENTS, Target.TRANSFORM_EVENTS_RULE, SAGEMAKER_IAM + " (CreateTransformJob, .sync)"),
    ),
    # No managed EventBridge rule: SageMaker emits no labeling-job state-change events, so Step Functions
    # polls DescribeLabelingJob.
    "sagemaker:createLabelingJob.sync": (
        *_sagemaker_sync_job("Labeling", Target.LABELING_JOBS),
        _PASS_ROLE,
    ),
    "sagemaker:createModel": (
        Permission(("sagemaker:CreateModel",), Target.MODELS, SAGEMAKER_IAM + " (CreateModel)"),
        Permission(("sagemaker:ListTags",), Target.MODELS, SAGEMAKER_IAM + " (CreateModel; scoped to models)"),
        _PASS_ROLE,
    ),
    "states:startExecution.sync:2": (
        Permission(("states:StartExecution",), Target.ROUND_STATE_MACHINE, STEP_FUNCTIONS_IAM + " (.sync)"),
        Permission(
            ("states:DescribeExecution", "states:StopExecution"), Target.ROUND_EXECUTIONS, STEP_FUNCTIONS_IAM
        ),
        Permission(_EVENTS, Target.EXECUTION_EVENTS_RULE, STEP_FUNCTIONS_IAM + " (.sync)"),
    ),
    "lambda:invoke.waitForTaskToken": (
        Permission(("lambda:InvokeFunction",), Target.FUNCTION, LAMBDA_IAM),
    ),
}
"""``arn:<partition>:states:::<integration>`` -> the permissions its Task state needs."""

LAMBDA_FUNCTION_RESOURCE = (Permission(("lambda:InvokeFunction",), Target.FUNCTION, LAMBDA_IAM),)
"""A Task whose Resource is a function ARN (the original Lambda integration)."""
