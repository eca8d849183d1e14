"""Synthesis for the stack tests: the app as ``app.py`` builds it, in a temporary cloud assembly."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from aws_cdk.cx_api import CloudAssembly

from stacks.application import AppStacks, add_stacks, project_context

USER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-model:2024-05"
PIPELINE_CONTEXT = {
    "pipelineConnectionArn": (
        "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
    ),
    "pipelineRepository": "example-org/byoal",
    "pipelineBranch": "release",
}
VARIANTS: dict[str, dict[str, str]] = {
    "dev": {},
    "prod": {"stage": "prod"},
    "own-image": {"imageUri": USER_IMAGE},
    "blazingtext": {"algorithm": "blazingtext"},
    "pipeline": PIPELINE_CONTEXT,
}
"""Every context variant the app has: each stage, each image source, with and without the pipeline."""
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "agnostic": {},
    "concrete": {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"},
}
"""The CLI's environment variables: none (a clone without credentials), or an account and Region
(``cdk deploy`` with credentials, and the pipeline's own synth step)."""


@dataclass
class Synthesized:
    """One app, synthesized (and checked by cdk-nag and CloudFormation validation) into ``outdir``."""

    stacks: AppStacks
    assembly: CloudAssembly
    outdir: Path
    _templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    _assertions: dict[str, Template] = field(default_factory=dict)

    def template_json(self, stack: Stack) -> dict[str, Any]:
        if stack.artifact_id not in self._templates:
            self._templates[stack.artifact_id] = self.assembly.get_stack_artifact(stack.artifact_id).template
        return self._templates[stack.artifact_id]

    def template(self, stack: Stack | None = None) -> Template:
        """``aws_cdk.assertions.Template`` over a synthesized stack (the workflow stack by default)."""
        stack = stack or self.stacks.workflow
        if stack.artifact_id not in self._assertions:
            self._assertions[stack.artifact_id] = Template.from_json(self.template_json(stack))
        return self._assertions[stack.artifact_id]

    @property
    def workflow(self) -> dict[str, Any]:
        return self.template_json(self.stacks.workflow)

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text(encoding="utf-8"))


    def template_paths(self) -> list[Path]:
        """Every template of the cloud assembly, the pipeline stages' nested assemblies included."""
        return sorted(self.outdir.rglob("*.template.json"))


@contextmanager
def cli_environment(variables: dict[str, str]) -> Iterator[None]:
    """Exactly these of the CLI's CDK_DEFAULT_* variables set, for the duration."""
    names = ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
    saved = {name: os.environ.pop(name, None) for name in names}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def synthesize(outdir: Path, *, environment: str = "agnostic", **context: str) -> Synthesized:
    """Like ``app.py``, with ``cdk.json``'s context plus these values, under one of :data:`ENVIRONMENTS`.

    Any unacknowledged cdk-nag error fails here, as it fails ``python app.py``.
    """
    app = App(outdir=str(outdir), context={**project_context(), **context})
    with cli_environment(ENVIRONMENTS[environment]):
        stacks = add_stacks(app)
        return Synthesized(stacks=stacks, assembly=app.synth(), outdir=outdir)
