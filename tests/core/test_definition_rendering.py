"""The definitions' named retry policies: expanded by the one render step CDK and the offline runner share.

``rendered_definitions/`` holds each definition fully rendered (placeholders left in place), as CDK puts it into
the template; a change to a definition or a policy shows there in full. Regenerate it after a deliberate change:
``python -c "from tests.core.test_definition_rendering import write_snapshots; write_snapshots()"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_runner.runner import SUBSTITUTIONS
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    load_definition,
    render_definition,
    render_definition_text,
    retry_policies,
)

DEFINITIONS = [ACTIVE_LEARNING_LOOP, ACTIVE_LEARNING]
SNAPSHOTS = Path(__file__).parent / "rendered_definitions"


def write_snapshots() -> None:
    for path in DEFINITIONS:
        (SNAPSHOTS / path.name).write_text(render_definition_text(path), encoding="utf-8")


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda path: path.name)
def test_the_rendered_definition_is_the_snapshot(path: Path) -> None:
    assert render_definition_text(path) == (SNAPSHOTS / path.name).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda path: path.name)
def test_the_runner_loads_the_rendered_definition(path: Path) -> None:
    rendered = render_definition(path)["States"]
    for name, state in load_definition(path, SUBSTITUTIONS)["States"].items():
        assert state.get("Retry") == rendered[name].get("Retry"), name
        if state["Type"] == "Task":
            assert isinstance(state["Retry"], list) and state["Retry"], name


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda path: path.name)
def test_every_standard_policy_is_named_not_spelled_out(path: Path) -> None:
    policies = retry_policies()
    source = json.loads(path.read_text(encoding="utf-8"))
    for name, state in source["States"].items():
        retry = state.get("Retry")
        assert isinstance(retry, str) or retry not in policies.values(), f"{name}: name the policy instead"


def test_a_named_policy_expands_where_it_is_named_and_only_there(tmp_path: Path) -> None:
    inline = [{"ErrorEquals": ["Custom.Error"], "MaxAttempts": 1}]
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "${F}", "Retry": "TransientLambdaErrors", "Next": "B"},
            "B": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "C", "States": {"C": {"Type": "Task", "Resource": "${F}", "Retry": inline,
                                                                "Parameters": {"Retry": "TransientLambdaErrors"},
                                                                "End": True}}}],
                "Retry": "TransientSageMakerErrors",
                "End": True,
            },
        },
    }  # fmt: skip
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    rendered = load_definition(path, {"F": "arn:aws:lambda:eu-west-1:123456789012:function:f"})
    policies = retry_policies()
    assert rendered["States"]["A"]["Retry"] == policies["TransientLambdaErrors"]
    assert rendered["States"]["B"]["Retry"] == policies["TransientSageMakerErrors"]
    inner = rendered["States"]["B"]["Branches"][0]["States"]["C"]
    assert inner["Retry"] == inline
    assert inner["Parameters"] == {"Retry": "TransientLambdaErrors"}, "a parameter is data, not a policy name"


def test_an_unknown_policy_is_refused_naming_the_file_and_state(tmp_path: Path) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text(
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "Retry": "Typo", "End": True}}}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"machine\.asl\.json: state 'A' names the retry policy 'Typo'"):
        render_definition(path)
