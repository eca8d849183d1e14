"""The execution role SageMaker assumes for training jobs, models, transform jobs and labeling jobs.

It is also the ``RoleArn`` of the execution input, which Ground Truth assumes for a labeling job,
so it holds what Ground Truth's execution role needs for a built-in task type (text
classification): read the input, write the output, log and publish metrics. Custom pre- or
post-annotation Lambda functions would need ``lambda:InvokeFunction`` on top; the built-in ones
belong to AWS and need nothing here.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.compliance import acknowledge_wildcards
from stacks.model_image import ModelImage

SAGEMAKER_LOG_GROUPS = "/aws/sagemaker/*"
SAGEMAKER_METRIC_NAMESPACES = "/aws/sagemaker/*"


class SageMakerRole(Construct):
    """``role``, assumed by ``sagemaker.amazonaws.com`` (training, models, transform and labeling jobs).

    It may list the data bucket, read, write and abort uploads of its objects, pull the model image (plus the
    account-wide ECR authorization token), write to the ``/aws/sagemaker/*`` log groups and put metrics in
    the ``/aws/sagemaker/*`` namespaces.
    """

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, image: ModelImage) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="byoal: SageMaker training, models, batch transform and Ground Truth labeling jobs",
        )
        registry_token, pull_image = image.pull_statements()
        log_groups = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=SAGEMAKER_LOG_GROUPS,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        statements: list[tuple[iam.PolicyStatement, str]] = [
            (
                iam.PolicyStatement(
                    sid="ListDataBucket",
                    actions=["s3:GetBucketLocation", "s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                ),
                "",
            ),
            (
                iam.PolicyStatement(
                    sid="ReadInputsWriteModelsAndLabels",
                    actions=["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
                    resources=[bucket.arn_for_objects("*")],
                ),
                "Jobs read inputs and write models, predictions and labels under keys each execution chooses "
                "(its S3OutputPath and run id); access is limited to this one bucket.",
            ),
            (
                registry_token,
                "ecr:GetAuthorizationToken has no resource-level permissions; the pull itself is scoped to one "
                "repository.",
            ),
            (pull_image, ""),
            (
                iam.PolicyStatement(
                    sid="JobLogs",
                    actions=[
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    resources=[log_groups],
                ),
                "SageMaker and Ground Truth name a job's log streams at run time, in the /aws/sagemaker/<JobType> "
                "log groups.",
            ),
            (
                iam.PolicyStatement(
                    sid="JobMetrics",
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringLike": {"cloudwatch:namespace": SAGEMAKER_METRIC_NAMESPACES}},
                ),
                "cloudwatch:PutMetricData has no resource-level permissions; a condition limits it to the "
                "/aws/sagemaker/* namespaces.",
            ),
        ]
        for statement, _ in statements:
            self.role.add_to_principal_policy(statement)
        acknowledge_wildcards(self.role, statements)
