"""The app's configuration, read from CDK context (``cdk.json`` or ``-c key=value``), with clear errors.

Every key is optional; :data:`CONTEXT_KEYS` lists them with their defaults (docs/deploy.md has the
same table). A bad value stops synthesis with a message that names the key and what it accepts.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

Stage = Literal["dev", "prod"]
Algorithm = Literal["bundled", "blazingtext"]

STAGES: tuple[Stage, ...] = ("dev", "prod")
ALGORITHMS: tuple[Algorithm, ...] = ("bundled", "blazingtext")

LOG_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
"""The retention periods (days) CloudWatch Logs accepts, as ``aws_logs.RetentionDays`` names them."""

DEFAULT_LOG_RETENTION_DAYS: dict[Stage, int] = {"dev": 30, "prod": 365}

CONTEXT_KEYS: dict[str, str] = {
    "stage": "dev",
    "trainingInstanceType": "ml.m5.xlarge",
    "transformInstanceType": "ml.m5.large",
    "algorithm": "bundled",
    "imageUri": "(none: the image built from container/, or BlazingText's)",
    "logRetentionDays": "30 in dev, 365 in prod",
    "pipelineConnectionArn": "(none: no pipeline stack)",
    "pipelineRepository": "(none; required with pipelineConnectionArn)",
    "pipelineBranch": "main",
}
"""Context key -> default, as documented."""

_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9-]+$")
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$"
)
_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")


class ConfigError(ValueError):
    """A context value the app cannot use; the message names the key."""


@dataclass(frozen=True)
class EcrImage:
    """A user's image in Amazon ECR, the only kind of registry SageMaker pulls from without a VPC."""

    uri: str
    account: str
    region: str
    repository: str

    @classmethod
    def parse(cls, uri: str) -> EcrImage:
        """Split ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>:<tag>`` (or ``@sha256:<digest>``).

        Raises :class:`ConfigError` for any other form (another registry, no tag or digest).
        """
        match = _ECR_IMAGE.match(uri)
        if not match:
            raise ConfigError(
                f"imageUri must be an Amazon ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> "
                f"(or @sha256:<digest>), got {uri!r}"
            )
        return cls(uri=uri, account=match["account"], region=match["region"], repository=match["repository"])


@dataclass(frozen=True)
class PipelineConfig:
    """The pipeline stack's source: a CodeConnections connection ARN, a GitHub ``owner/name`` and its branch."""

    connection_arn: str
    repository: str
    branch: str


@dataclass(frozen=True)
class WorkflowConfig:
    """The workflow stack's settings, validated: ``image`` is None for the bundled image (or BlazingText's)."""

    stage: Stage
    training_instance_type: str
    transform_instance_type: str
    algorithm: Algorithm
    image: EcrImage | None
    log_retention_days: int

    @property
    def removal_policy(self) -> RemovalPolicy:
        """RETAIN the stateful resources (buckets, logs) in prod; DESTROY them with a dev stack."""
        return RemovalPolicy.RETAIN if self.stage == "prod" else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        """``log_retention_days`` as the ``RetentionDays`` value CloudWatch Logs takes."""
        return LOG_RETENTION[self.log_retention_days]

    @property
    def auto_delete_objects(self) -> bool:
        """Empty the buckets when a dev stack is destroyed; a prod stack keeps them (and their objects)."""
        return self.stage == "dev"

    @property
    def stack_name(self) -> str:
        """The workflow stack's name, ``Byoal-dev`` or ``Byoal-prod``."""
        return f"Byoal-{self.stage}"


@dataclass(frozen=True)
class AppConfig:
    """The whole app's configuration: the workflow stack's, and the pipeline stack's (None: no pipeline stack)."""

    workflow: WorkflowConfig
    pipeline: PipelineConfig | None

    def context_arguments(self) -> str:
        """``-c key=value`` arguments that make ``cdk synth`` rebuild this same configuration."""
        workflow = self.workflow
        values = {
            "stage": workflow.stage,
            "trainingInstanceType": workflow.training_instance_type,
            "transformInstanceType": workflow.transform_instance_type,
            "algorithm": workflow.algorithm,
            "logRetentionDays": str(workflow.log_retention_days),
        }
        if workflow.image:
            values["imageUri"] = workflow.image.uri
        if self.pipeline:
            values |= {
                "pipelineConnectionArn": self.pipeline.connection_arn,
                "pipelineRepository": self.pipeline.repository,
                "pipelineBranch": self.pipeline.branch,
            }
        return " ".join(f"-c {shlex.quote(f'{key}={value}')}" for key, value in values.items())


def _text(node: Node, key: str) -> str | None:
    value: Any = node.try_get_context(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"context {key} must be a string, got {value!r}")
    return str(value).strip()


def _choice(node: Node, key: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(node, key) or default
    if value not in choices:
        raise ConfigError(f"context {key} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _instance_type(node: Node, key: str) -> str:
    value = _text(node, key) or CONTEXT_KEYS[key]
    if not _INSTANCE_TYPE.match(value):
        raise ConfigError(f"context {key} must be a SageMaker instance type such as ml.m5.xlarge; got {value!r}")
    return value


def _log_retention_days(node: Node, stage: Stage) -> int:
    value = _text(node, "logRetentionDays")
    if value is None:
        return DEFAULT_LOG_RETENTION_DAYS[stage]
    if not value.isdigit() or int(value) not in LOG_RETENTION:
        raise ConfigError(
            f"context logRetentionDays must be one of {', '.join(map(str, LOG_RETENTION))}; got {value!r}"
        )
    return int(value)


def _pipeline(node: Node) -> PipelineConfig | None:
    connection_arn, repository = _text(node, "pipelineConnectionArn"), _text(node, "pipelineRepository")
    if connection_arn is None and repository is None:
        return None
    if connection_arn is None or repository is None:
        raise ConfigError("the pipeline stack needs both pipelineConnectionArn and pipelineRepository (owner/name)")
    if not _CONNECTION_ARN.match(connection_arn):
        raise ConfigError(
            "context pipelineConnectionArn must be a CodeConnections connection ARN "
            f"(arn:aws:codeconnections:<region>:<account>:connection/<id>); got {connection_arn!r}"
        )
    if not _REPOSITORY.match(repository):
        raise ConfigError(f"context pipelineRepository must be owner/name; got {repository!r}")
    return PipelineConfig(
        connection_arn=connection_arn, repository=repository, branch=_text(node, "pipelineBranch") or "main"
    )


def read_config(node: Node) -> AppConfig:
    """The configuration from the context visible at ``node`` (the app).

    Raises :class:`ConfigError`, naming the key, for a value that is not a string, an unknown stage or
    algorithm, a malformed instance type, image URI or connection ARN, a retention CloudWatch Logs does not
    offer, or only one of ``pipelineConnectionArn`` and ``pipelineRepository``.
    """
    stage: Stage = _choice(node, "stage", STAGES, "dev")  # type: ignore[assignment]
    image_uri = _text(node, "imageUri")
    workflow = WorkflowConfig(
        stage=stage,
        training_instance_type=_instance_type(node, "trainingInstanceType"),
        transform_instance_type=_instance_type(node, "transformInstanceType"),
        algorithm=_choice(node, "algorithm", ALGORITHMS, "bundled"),  # type: ignore[arg-type]
        image=EcrImage.parse(image_uri) if image_uri else None,
        log_retention_days=_log_retention_days(node, stage),
    )
    return AppConfig(workflow=workflow, pipeline=_pipeline(node))
