"""cdk-nag (v3) acknowledgments: each one names a finding on one construct and says why it stays."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

WILDCARD = "AwsSolutions-IAM5[Resource::*]"
"""The finding for a ``"Resource": "*"`` statement."""


def acknowledge(construct: IConstruct, findings: dict[str, str]) -> None:
    """Acknowledge findings (rule id, or ``rule[finding]`` id -> reason) on this construct and its children."""
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=rule, reason=reason) for rule, reason in findings.items())
    )


def render(value: Any) -> str:
    """A resolved value as cdk-nag writes it in a finding id: ``<Logical.Arn>``, ``<AWS::Region>``, literals."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value, separators=(",", ":"))


def acknowledge_wildcards(construct: IConstruct, statements: list[tuple[iam.PolicyStatement, str]]) -> None:
    """Acknowledge the IAM5 findings of these statements' wildcard resources, each with why it is needed.

    Statements that share a finding (two ``"Resource": "*"`` statements, say) get their reasons joined.
    """
    stack = Stack.of(construct)
    findings: dict[str, list[str]] = {}
    for statement, reason in statements:
        for resource in statement.resources:
            rendered = render(stack.resolve(resource))
            if "*" in rendered:
                if not reason:
                    raise ValueError(f"{construct.node.path}: {rendered} is a wildcard; say why it is needed")
                findings.setdefault(f"AwsSolutions-IAM5[Resource::{rendered}]", []).append(reason)
    acknowledge(construct, {finding: " ".join(dict.fromkeys(reasons)) for finding, reasons in findings.items()})
