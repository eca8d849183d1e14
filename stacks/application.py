"""What ``app.py`` builds, also used by the tests: the stacks for the context, checked by cdk-nag."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.config import AppConfig, read_config
from stacks.pipeline_stack import PipelineStack
from stacks.workflow_stack import WorkflowStack

PIPELINE_STACK_NAME = "ByoalPipeline"
CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def project_context() -> dict[str, Any]:
    """``cdk.json``'s context (feature flags), for runs without the CLI; the CLI's context takes precedence."""
    return json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]


@dataclass(frozen=True)
class AppStacks:
    """What :func:`add_stacks` added: the configuration it read and the stacks (no pipeline stack without one)."""

    config: AppConfig
    workflow: WorkflowStack
    pipeline: PipelineStack | None


def deployment_environment() -> Environment:
    """The CLI's account and Region when it knows them; otherwise an environment-agnostic stack."""
    return Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))


def add_stacks(app: App, *, env: Environment | None = None) -> AppStacks:
    """Add the workflow stack (``Byoal-<stage>``), and the pipeline stack when configured, to ``app``.

    ``env`` defaults to :func:`deployment_environment`. Also registers cdk-nag's AWS Solutions checks on the
    app, so synthesis reports any unacknowledged finding. Raises :class:`stacks.config.ConfigError` for a bad
    context value.
    """
    config = read_config(app.node)
    env = env or deployment_environment()
    workflow = WorkflowStack(app, config.workflow.stack_name, config=config.workflow, env=env)
    pipeline = PipelineStack(app, PIPELINE_STACK_NAME, config=config, env=env) if config.pipeline else None
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return AppStacks(config=config, workflow=workflow, pipeline=pipeline)
