"""Definition validation: problems are reported before anything runs, naming the state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from asl_interpreter import DefinitionError, ResourceRegistry, StateMachine

END = {"End": True}


def build(definition: Any) -> StateMachine:
    return StateMachine(definition, name="m", resources=ResourceRegistry())


def machine(**states: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


def rejects(definition: Any, *fragments: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        build(definition)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_a_valid_definition_is_accepted_as_dict_or_json_text():
    definition = machine(A={"Type": "Pass", "Next": "B"}, B={"Type": "Succeed"})

    assert build(definition).definition == definition
    assert build(json.dumps(definition)).definition == definition


def test_a_resource_is_never_called_for_an_invalid_definition():
    calls = []
    registry = ResourceRegistry({"r": lambda parameters, context: calls.append(parameters)})
    definition = machine(T={"Type": "Task", "Resource": "r", "Next": "Nowhere"})

    with pytest.raises(DefinitionError):
        StateMachine(definition, name="m", resources=registry)
    assert calls == []


@pytest.mark.parametrize(
    "definition, fragments",
    [
        ({"States": {"A": {"Type": "Succeed"}}}, ["StartAt"]),
        ({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}, ["StartAt", "'B'"]),
        ({"StartAt": "A", "States": {}}, ["States"]),
        ([], ["JSON object"]),
        (machine(A={"Type": "Teleport", **END}), ["State 'A'", "unknown state type 'Teleport'"]),
        (machine(A={"Type": "Pass"}), ["State 'A'", "Next"]),
        (machine(A={"Type": "Pass", "Next": "A", **END}), ["State 'A'", "exactly one"]),
        (machine(A={"Type": "Pass", "End": False}), ["State 'A'", "'End' must be true"]),
        (machine(A={"Type": "Pass", "Next": "Ghost"}), ["State 'A'", "'Ghost'"]),
        (machine(A={"Type": "Succeed", "Next": "A"}), ["State 'A'", "unknown field 'Next'"]),
        (machine(A={"Type": "Pass", "Resouce": "typo", **END}), ["State 'A'", "unknown field 'Resouce'"]),
        (machine(A={"Type": "Pass", "Assign": {"x": 1}, **END}), ["State 'A'", "'Assign' is not supported"]),
        (machine(A={"Type": "Pass", **END}, B={"Type": "Succeed"}), ["State 'B'", "not reachable"]),
        ({"StartAt": "A", "QueryLanguage": "JSONata", "States": {"A": {"Type": "Succeed"}}}, ["JSONPath"]),
        ({"StartAt": "A", "TimeoutSeconds": 0, "States": {"A": {"Type": "Succeed"}}}, ["TimeoutSeconds"]),
        (machine(**{"x" * 81: {"Type": "Succeed"}}), ["80"]),
        (machine(A={"Type": "Task", **END}), ["State 'A'", "Resource"]),
        (machine(A={"Type": "Task", "Resource": "r", "TimeoutSeconds": 0, **END}), ["TimeoutSeconds"]),
        (
            machine(A={"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t", **END}),
            ["mutually exclusive"],
        ),
        (
            machine(A={"Type": "Task", "Resource": "r", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, **END}),
            ["HeartbeatSeconds"],
        ),
        (machine(A={"Type": "Pass", "InputPath": "a.b", **END}), ["State 'A'", "InputPath"]),
        (machine(A={"Type": "Pass", "ResultPath": "$.a[*]", **END}), ["State 'A'", "Reference Path"]),
        (machine(A={"Type": "Pass", "ResultPath": "$$.Execution", **END}), ["context object"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": 1}, **END}), ["'x.$'", "string"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "$.a", "x": 1}, **END}), ["duplicate"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Nope()"}, **END}), ["States.Nope"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "States.ArrayLength()"}, **END}), ["1 argument"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Format('a{b')"}, **END}), ["escaped"]),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "States.JsonToString('x')"}, **END}), ["Path"]),
        (machine(A={"Type": "Pass", "Parameters": [1], **END}), ["Parameters"]),
        (machine(A={"Type": "Choice", "Choices": []}), ["State 'A'", "Choices"]),
        (machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True}]}), ["Next"]),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "A"}], "End": True}),
            ["unknown field 'End'"],
        ),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "Frobnicates": 1, "Next": "A"}]}),
            ["exactly one comparison operator"],
        ),
        (
            machine(
                A={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "IsString": True, "Next": "A"}]}
            ),
            ["exactly one comparison operator"],
        ),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericEquals": "1", "Next": "A"}]}),
            ["NumericEquals"],
        ),
        (
            machine(
                A={"Type": "Choice", "Choices": [{"Variable": "$.a", "TimestampEquals": "2024-01-01", "Next": "A"}]}
            ),
            ["TimestampEquals"],
        ),
        (
            machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "StringMatches": "a\\b", "Next": "A"}]}),
            ["open escape"],
        ),
        (
            machine(
                A={
                    "Type": "Choice",
                    "Choices": [{"Not": {"Variable": "$.a", "IsNull": True, "Next": "A"}, "Next": "A"}],
                }
            ),
            ["only top-level"],
        ),
        (machine(A={"Type": "Choice", "Choices": [{"And": [], "Next": "A"}]}), ["'And'"]),
        (
            machine(
                A={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "A"}], "Default": "Z"}
            ),
            ["Default"],
        ),
        (machine(A={"Type": "Wait", **END}), ["exactly one of Seconds"]),
        (machine(A={"Type": "Wait", "Seconds": 1, "Timestamp": "2024-01-01T00:00:00Z", **END}), ["exactly one"]),
        (machine(A={"Type": "Wait", "Seconds": -1, **END}), ["Seconds"]),
        (machine(A={"Type": "Wait", "Timestamp": "2024-01-01 00:00:00", **END}), ["Timestamp"]),
        (machine(A={"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), ["mutually exclusive"]),
        (machine(A={"Type": "Fail", "CausePath": "$.c[*]"}), ["Reference Path"]),
        (machine(A={"Type": "Parallel", "Branches": [], **END}), ["Branches"]),
        (
            machine(
                A={
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "A"}}}],
                    **END,
                }
            ),
            ["State 'A' > branch 0 > State 'B'", "'A'"],
        ),
        (
            machine(
                A={
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}],
                    **END,
                }
            ),
            ["unique"],
        ),
        (machine(A={"Type": "Map", **END}), ["ItemProcessor"]),
        (
            machine(
                A={
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Teleport"}}},
                    **END,
                }
            ),
            ["State 'A' > ItemProcessor > State 'B'", "Teleport"],
        ),
        (
            machine(
                A={
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}},
                    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
                    **END,
                }
            ),
            ["'ItemReader' is not supported"],
        ),
        (
            machine(
                A={
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}},
                    "ItemSelector": {},
                    "Parameters": {},
                    **END,
                }
            ),
            ["mutually exclusive"],
        ),
        (
            machine(
                A={
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "ELSEWHERE"},
                        "StartAt": "B",
                        "States": {"B": {"Type": "Succeed"}},
                    },
                    **END,
                }
            ),
            ["ProcessorConfig"],
        ),
    ],
)
def test_invalid_definitions_are_rejected_with_a_clear_message(definition, fragments):
    rejects(definition, *fragments)


def task_with(**fields: Any) -> dict[str, Any]:
    return machine(
        T={"Type": "Task", "Resource": "r", "Next": "Done", **fields},
        Done={"Type": "Succeed"},
        Other={"Type": "Succeed"},
    )


@pytest.mark.parametrize(
    "fields, fragments",
    [
        ({"Retry": [{"ErrorEquals": []}]}, ["ErrorEquals"]),
        ({"Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}, ["States.ALL must appear alone"]),
        ({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}, ["last"]),
        ({"Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0}]}, ["IntervalSeconds"]),
        ({"Retry": [{"ErrorEquals": ["X"], "MaxAttempts": -1}]}, ["MaxAttempts"]),
        ({"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}, ["BackoffRate"]),
        ({"Retry": [{"ErrorEquals": ["X"], "MaxDelaySeconds": 0}]}, ["MaxDelaySeconds"]),
        ({"Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "SOME"}]}, ["JitterStrategy"]),
        ({"Retry": [{"ErrorEquals": ["X"], "Next": "Other"}]}, ["unknown field 'Next'"]),
        ({"Catch": [{"ErrorEquals": ["X"]}]}, ["Catch[0].Next"]),
        ({"Catch": [{"ErrorEquals": ["X"], "Next": "Ghost"}]}, ["'Ghost'"]),
        (
            {"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Other"}, {"ErrorEquals": ["X"], "Next": "Other"}]},
            ["last"],
        ),
        ({"Catch": [{"ErrorEquals": ["X"], "Next": "Other", "ResultPath": "$.a[0:1]"}]}, ["Reference Path"]),
    ],
)
def test_invalid_retriers_and_catchers_are_rejected(fields, fragments):
    rejects(task_with(**fields), "State 'T'", *fragments)


def test_a_catcher_makes_its_target_reachable():
    build(task_with(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Other"}]))


def test_full_featured_valid_definition_is_accepted():
    build(
        machine(
            Start={
                "Type": "Pass",
                "Parameters": {"list": [{"a.$": "$.x"}], "f.$": "States.Format('{}', $$.Execution.Name)"},
                "Next": "Route",
            },
            Route={
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [{"Variable": "$.a", "IsPresent": True}, {"Not": {"Variable": "$.a", "IsNull": True}}],
                        "Next": "Fan",
                    },
                    {"Variable": "$.t", "TimestampLessThanEqualsPath": "$$.Execution.StartTime", "Next": "Pause"},
                ],
                "Default": "Fan",
            },
            Pause={"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Fan"},
            Fan={
                "Type": "Parallel",
                "Branches": [{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "r", "End": True}}}],
                "Retry": [{"ErrorEquals": ["Transient"], "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Broken"}],
                "Next": "Each",
            },
            Each={
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrencyPath": "$.limit",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Succeed"}},
                },
                "End": True,
            },
            Broken={"Type": "Fail", "ErrorPath": "States.Format('{}', $.Error)", "CausePath": "$.Cause"},
        )
    )
