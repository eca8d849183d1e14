"""The deployed stack as the commands see it: its CloudFormation outputs, its bucket, its console pages.

The stack's outputs are ``BucketName``, ``ActiveLearningLoopStateMachineArn``,
``ActiveLearningStateMachineArn``, ``SageMakerRoleArn``, ``ImageUri`` and
``CallbackResumeFunctionName``; the commands read the ones named below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from byoal.errors import InputError
from byoal.storage import split_uri

DEFAULT_STACK_NAME = "Byoal-dev"
BUCKET_NAME = "BucketName"
LOOP_STATE_MACHINE_ARN = "ActiveLearningLoopStateMachineArn"
SAGEMAKER_ROLE_ARN = "SageMakerRoleArn"
CALLBACK_RESUME_FUNCTION_NAME = "CallbackResumeFunctionName"


def client(service: str, region: str | None) -> Any:
    """A boto3 client; ``region`` None means the configured default."""
    import boto3

    return boto3.client(service, region_name=region)


class StackOutputs:
    """A stack's outputs by key; a missing key is an InputError naming the stack and the key."""

    def __init__(self, stack_name: str, values: dict[str, str]) -> None:
        self.stack_name = stack_name
        self.values = values

    def __getitem__(self, key: str) -> str:
        if key not in self.values:
            raise InputError(
                f"stack {self.stack_name} has no output {key!r} (its outputs: {sorted(self.values)}); "
                "is it a byoal stack, deployed with this version?"
            )
        return self.values[key]


def stack_outputs(cloudformation: Any, stack_name: str) -> StackOutputs:
    """The stack's outputs (OutputKey -> OutputValue).

    InputError if no such stack exists in the client's Region; other ClientErrors propagate.
    """
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            raise InputError(
                f"--stack-name {stack_name}: no such CloudFormation stack in {cloudformation.meta.region_name} "
                "(deploy it with 'cdk deploy', or pass --region)"
            ) from None
        raise
    outputs = stacks[0].get("Outputs", [])
    return StackOutputs(stack_name, {output["OutputKey"]: output["OutputValue"] for output in outputs})


def upload_files(s3: Any, files: dict[str, Path]) -> None:
    """Upload each local file to its URI."""
    for uri, path in files.items():
        bucket, key = split_uri(uri)
        s3.upload_file(str(path), bucket, key)


def execution_console_url(execution_arn: str) -> str:
    """The execution's page in the Step Functions console, in the Region its ARN names."""
    region = execution_arn.split(":")[3]
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"
