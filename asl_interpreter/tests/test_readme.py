"""asl_interpreter/README.md lists exactly what the interpreter accepts; the rest is refused by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asl_interpreter import DefinitionError, ResourceRegistry, StateMachine
from asl_interpreter.choice import COMPARISON_OPERATORS
from asl_interpreter.definition import (
    _ALLOWED_FIELDS,
    _CATCHER_FIELDS,
    _RETRIER_FIELDS,
    _TOP_LEVEL_FIELDS,
    _UNSUPPORTED_FIELDS,
)
from asl_interpreter.intrinsic_functions import _FUNCTIONS

README = Path(__file__).resolve().parents[1] / "README.md"


def listed() -> dict[str, set[str]]:
    """``- **Name** (note): `a`, `b`; ...`` lines -> {name: {a, b}}."""
    found = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^- \*\*([^*]+)\*\*[^:]*: (.*)$", line)
        if match:
            found[match.group(1)] = set(re.findall(r"`([^`]+)`", match.group(2).split(";")[0]))
    return found


def test_the_readme_lists_what_the_validator_accepts() -> None:
    lists = listed()
    for state_type, fields in _ALLOWED_FIELDS.items():
        assert lists[state_type] == fields, state_type
    assert lists["machine"] == _TOP_LEVEL_FIELDS
    assert lists["Retrier"] == _RETRIER_FIELDS
    assert lists["Catcher"] == _CATCHER_FIELDS
    assert lists["Choice Rule operators"] == set(COMPARISON_OPERATORS) | {"And", "Or", "Not"}
    assert lists["Intrinsic functions"] == set(_FUNCTIONS)
    assert lists["Not supported"] == _UNSUPPORTED_FIELDS


@pytest.mark.parametrize(
    ("state", "named"),
    [
        ({"Type": "Pass", "Assign": {"x": 1}, "End": True}, "'Assign' is not supported"),
        ({"Type": "Pass", "Output": {}, "End": True}, "'Output' is not supported"),
        ({"Type": "Pass", "Parameters": {"x.$": "States.StringReverse($.a)"}, "End": True}, "States.StringReverse"),
        ({"Type": "Pass", "QueryLanguage": "JSONata", "End": True}, "JSONPath"),
        ({"Type": "Pass", "Foo": 1, "End": True}, "'Foo'"),
    ],
)
def test_anything_else_is_refused_by_name(state: dict, named: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(named)):
        StateMachine({"StartAt": "A", "States": {"A": state}}, name="m", resources=ResourceRegistry())
