"""Reading a synthesized template: resources by type, the statements of each role, rendered definitions."""

from __future__ import annotations

import json
import re
from typing import Any

from stacks.compliance import render

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def get_att(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def step_functions(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Handler module -> (logical id, properties) of the project's Lambda functions."""
    found = {}
    for name, resource in resources(template, "AWS::Lambda::Function").items():
        handler = resource["Properties"].get("Handler", "")
        if handler.startswith("lambdas."):
            found[handler.removeprefix("lambdas.").removesuffix(".handler")] = (name, resource["Properties"])
    return found


def role_statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role logical id -> every statement of its inline policies and of the policies attached to it."""
    statements: dict[str, list[dict[str, Any]]] = {}
    for name, role in resources(template, "AWS::IAM::Role").items():
        statements[name] = [
            statement
            for policy in role["Properties"].get("Policies", [])
            for statement in policy["PolicyDocument"]["Statement"]
        ]
    for policy in resources(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            statements[role["Ref"]].extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in as_list(statement["Action"])}


def resources_for(statements: list[dict[str, Any]], action: str) -> list[Any]:
    return [
        resource
        for statement in statements
        if action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]


def role_of(template: dict[str, Any], logical_id: str) -> str:
    """The logical id of the role of a function or a state machine."""
    properties = template["Resources"][logical_id]["Properties"]
    return (properties.get("Role") or properties["RoleArn"])["Fn::GetAtt"][0]


def state_machine(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(logical id, properties) of the state machine with this name."""
    (found,) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources(template, "AWS::StepFunctions::StateMachine").items()
        if resource["Properties"]["StateMachineName"] == name
    ]
    return found


def rendered_definition(properties: dict[str, Any]) -> dict[str, Any]:
    """The definition with each ``${Name}`` replaced by its substitution, as cdk-nag-style text (``<Logical.Arn>``)."""
    substitutions = properties["DefinitionSubstitutions"]
    text = PLACEHOLDER.sub(
        lambda match: json.dumps(render(substitutions[match.group(1)]))[1:-1], properties["DefinitionString"]
    )
    return json.loads(text)


def task_resources(definition: dict[str, Any]) -> dict[str, str]:
    return {name: state["Resource"] for name, state in definition["States"].items() if state["Type"] == "Task"}
