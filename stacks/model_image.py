"""The model image that trains and serves: the bundled one, a user's own, or SageMaker's BlazingText.

* ``bundled`` (default): a ``DockerImageAsset`` built from ``container/``. Synthesis only stages the
  folder into the cloud assembly; the image is built and pushed by ``cdk deploy`` (or the
  pipeline), which is when Docker is needed.
* ``imageUri``: any image in Amazon ECR that follows the same container contract
  (container/README.md), with ``algorithm=bundled``; with ``algorithm=blazingtext`` it names a
  BlazingText image explicitly, for a Region missing from :data:`BLAZINGTEXT_REGISTRIES`.
* ``algorithm=blazingtext`` alone: the built-in algorithm's image for the stack's Region, resolved
  through a CloudFormation mapping, so an environment-agnostic stack needs no lookup at synth time.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnMapping, Fn, Stack, Token
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.config import Algorithm, ConfigError, EcrImage

CONTAINER_DIR = Path(__file__).resolve().parents[1] / "container"

BLAZINGTEXT_REPOSITORY = "blazingtext"
BLAZINGTEXT_TAG = "1"
BLAZINGTEXT_REGISTRIES: dict[str, str] = {
    "af-south-1": "455444449433",
    "ap-east-1": "286214385809",
    "ap-northeast-1": "501404015308",
    "ap-northeast-2": "306986355934",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "991648021394",
    "ap-southeast-1": "475088953585",
    "ap-southeast-2": "544295431143",
    "ca-central-1": "469771592824",
    "cn-north-1": "390948362332",
    "cn-northwest-1": "387376663083",
    "eu-central-1": "813361260812",
    "eu-north-1": "669576153137",
    "eu-south-1": "257386234256",
    "eu-west-1": "685385470294",
    "eu-west-2": "644912444149",
    "eu-west-3": "749696950732",
    "me-south-1": "249704162688",
    "sa-east-1": "855470959533",
    "us-east-1": "811284229777",
    "us-east-2": "825641698319",
    "us-gov-west-1": "226302683700",
    "us-west-1": "632365934929",
    "us-west-2": "433757028032",
}
"""Region -> the AWS account whose ECR registry holds ``blazingtext:1`` (version 1 of the algorithm).

Copied from the SageMaker Python SDK (``sagemaker/image_uri_config/blazingtext.json``), which is
where ``sagemaker.image_uris.retrieve("blazingtext", region)`` looks it up. For a Region not listed,
pass ``-c imageUri=<account>.dkr.ecr.<region>.amazonaws.com/blazingtext:1 -c algorithm=blazingtext``.
"""

DOCKER_OUTPUTS = ("type=docker,oci-mediatypes=false",)
"""``docker build --output``: a Docker image manifest (schema 2), never an OCI one.

SageMaker's CreateModel refuses ``application/vnd.oci.image.manifest.v1+json`` ("Unsupported manifest
media type", aws/amazon-sagemaker-feedback#180, moby/buildkit#5480); a current Docker with the
containerd image store builds OCI by default. The ``docker`` exporter with ``oci-mediatypes=false``
writes Docker media types (https://docs.docker.com/build/exporters/oci-docker/), and adds no
provenance attestation index (those need OCI media types).
"""

_ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


class ModelImage(Construct):
    """``image_uri`` for the training job and the model; ``pull_statements`` for the role that runs them.

    ``image`` (a user's ECR image) wins; else ``algorithm=blazingtext`` resolves BlazingText's image for the
    stack's Region through a CloudFormation mapping; else the bundled image is staged from ``container/``.
    Raises :class:`~stacks.config.ConfigError` for BlazingText in a known Region missing from
    :data:`BLAZINGTEXT_REGISTRIES`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        algorithm: Algorithm,
        image: EcrImage | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.algorithm = algorithm
        stack = Stack.of(self)

        if image is not None:
            self.image_uri = image.uri
            self.repository_arn = stack.format_arn(
                service="ecr",
                region=image.region,
                account=image.account,
                resource="repository",
                resource_name=image.repository,
            )
        elif algorithm == "blazingtext":
            if not Token.is_unresolved(stack.region) and stack.region not in BLAZINGTEXT_REGISTRIES:
                raise ConfigError(
                    f"algorithm=blazingtext: no BlazingText image known for {stack.region}; add its URI: -c imageUri="
                    f"<account>.dkr.ecr.{stack.region}.amazonaws.com/{BLAZINGTEXT_REPOSITORY}:{BLAZINGTEXT_TAG}"
                )
            registries = CfnMapping(
                self,
                "BlazingTextRegistries",
                mapping={region: {"account": account} for region, account in BLAZINGTEXT_REGISTRIES.items()},
                lazy=True,
            )
            account = registries.find_in_map(stack.region, "account")
            self.image_uri = Fn.join(
                "",
                [
                    account,
                    ".dkr.ecr.",
                    stack.region,
                    ".",
                    stack.url_suffix,
                    f"/{BLAZINGTEXT_REPOSITORY}:{BLAZINGTEXT_TAG}",
                ],
            )
            self.repository_arn = stack.format_arn(
                service="ecr", account=account, resource="repository", resource_name=BLAZINGTEXT_REPOSITORY
            )
        else:
            asset = ecr_assets.DockerImageAsset(
                self,
                "Bundled",
                directory=str(CONTAINER_DIR),  # container/.dockerignore keeps caches out of the asset (and its hash)
                platform=ecr_assets.Platform.LINUX_AMD64,  # SageMaker runs x86_64 instances (ml.m5 and the like)
                outputs=list(DOCKER_OUTPUTS),
            )
            self.image_uri = asset.image_uri
            self.repository_arn = asset.repository.repository_arn

    def pull_statements(self) -> list[iam.PolicyStatement]:
        """Pull this image: a registry token (an action without resource-level permissions), then its layers."""
        return [
            iam.PolicyStatement(sid="RegistryToken", actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            iam.PolicyStatement(sid="PullModelImage", actions=_ECR_PULL_ACTIONS, resources=[self.repository_arn]),
        ]
