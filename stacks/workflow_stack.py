"""The workflow: storage, the model image, the step functions, the SageMaker role and both state machines.

The outputs are what ``python -m scripts.start`` reads to fill in and start an execution.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from stacks.config import WorkflowConfig
from stacks.functions import WorkflowFunctions
from stacks.model_image import ModelImage
from stacks.sagemaker_role import SageMakerRole
from stacks.state_machines import WorkflowStateMachines
from stacks.storage import Storage

OUTPUT_KEYS = (
    "BucketName",
    "ActiveLearningLoopStateMachineArn",
    "ActiveLearningStateMachineArn",
    "SageMakerRoleArn",
    "ImageUri",
    "CallbackResumeFunctionName",
)


class WorkflowStack(Stack):
    """One deployment of the workflow (``Byoal-<stage>``) for a :class:`~stacks.config.WorkflowConfig`.

    Creates the data and access-log buckets, the model image, the SageMaker execution role, one Lambda
    function per step and both state machines, lets the Callback functions answer the loop's task tokens,
    and exports :data:`OUTPUT_KEYS` as stack outputs. Raises :class:`~stacks.config.ConfigError` when
    ``algorithm=blazingtext`` names a Region with no known BlazingText image.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: WorkflowConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = Storage(
            self, "Storage", removal_policy=config.removal_policy, auto_delete_objects=config.auto_delete_objects
        )
        image = ModelImage(self, "ModelImage", algorithm=config.algorithm, image=config.image)
        sagemaker = SageMakerRole(self, "SageMaker", bucket=storage.bucket, image=image)
        functions = WorkflowFunctions(
            self,
            "Functions",
            bucket=storage.bucket,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        machines = WorkflowStateMachines(
            self,
            "StateMachines",
            stage=config.stage,
            functions=functions.by_placeholder,
            sagemaker_role=sagemaker.role,
            image=image,
            training_instance_type=config.training_instance_type,
            transform_instance_type=config.transform_instance_type,
            log_retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        functions.allow_resume(machines.loop.state_machine_arn, f"ActiveLearningLoop-{config.stage}")

        outputs = {
            "BucketName": (storage.bucket.bucket_name, "The bucket for inputs, runs and models"),
            "ActiveLearningLoopStateMachineArn": (machines.loop.state_machine_arn, "Start executions here"),
            "ActiveLearningStateMachineArn": (machines.round.state_machine_arn, "One round, started by the loop"),
            "SageMakerRoleArn": (sagemaker.role.role_arn, "The RoleArn of the execution input"),
            "ImageUri": (image.image_uri, f"The model image ({config.algorithm} contract)"),
            "CallbackResumeFunctionName": (
                functions.resume.function_name,
                "Invoke with the labeled manifest to resume",
            ),
        }
        for key in OUTPUT_KEYS:
            value, description = outputs[key]
            CfnOutput(self, key, value=value, description=description)
