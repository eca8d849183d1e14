"""Input and output processing: InputPath → Parameters → task → ResultSelector → ResultPath → OutputPath."""

from __future__ import annotations

from typing import Any

import pytest

from asl_interpreter import ResourceRegistry

END = {"End": True}


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Only", "States": {"Only": state}}


def recording_resource(result: Any) -> tuple[ResourceRegistry, list[Any]]:
    received: list[Any] = []

    def handler(parameters: Any, context: Any) -> Any:
        received.append(parameters)
        return result

    return ResourceRegistry({"arn:task": handler}), received


def test_task_processing_applies_every_field_in_the_spec_order(run_asl):
    resources, received = recording_resource({"status": "ok", "sum": 7, "noise": [1, 2]})
    state = {
        "Type": "Task",
        "Resource": "arn:task",
        "InputPath": "$.numbers",
        "Parameters": {"a.$": "$.val1", "b.$": "$.val2", "fixed": "x"},
        "ResultSelector": {"total.$": "$.sum", "status.$": "$.status"},
        "ResultPath": "$.numbers.result",
        "OutputPath": "$.numbers",
        **END,
    }

    result = run_asl(single(state), {"title": "add", "numbers": {"val1": 3, "val2": 4}}, resources)

    assert received == [{"a": 3, "b": 4, "fixed": "x"}]
    assert result.output == {"val1": 3, "val2": 4, "result": {"total": 7, "status": "ok"}}


def test_without_processing_fields_the_result_replaces_the_input(run_asl):
    resources, received = recording_resource(7)

    result = run_asl(single({"Type": "Task", "Resource": "arn:task", **END}), {"val1": 3}, resources)

    assert received == [{"val1": 3}]
    assert result.output == 7


def test_resultpath_is_applied_to_the_raw_input_not_the_effective_input(run_asl):
    resources, _ = recording_resource("r")
    state = {"Type": "Task", "Resource": "arn:task", "InputPath": "$.inner", "ResultPath": "$.out", **END}

    result = run_asl(single(state), {"inner": {"a": 1}, "outer": 2}, resources)

    assert result.output == {"inner": {"a": 1}, "outer": 2, "out": "r"}


def test_null_inputpath_gives_the_task_an_empty_object(run_asl):
    resources, received = recording_resource(1)

    run_asl(single({"Type": "Task", "Resource": "arn:task", "InputPath": None, **END}), {"a": 1}, resources)

    assert received == [{}]


def test_null_resultpath_discards_the_result_and_keeps_the_raw_input(run_asl):
    resources, _ = recording_resource({"big": "result"})
    state = {"Type": "Task", "Resource": "arn:task", "InputPath": "$.a", "ResultPath": None, **END}

    assert run_asl(single(state), {"a": 1, "b": 2}, resources).output == {"a": 1, "b": 2}


def test_null_outputpath_gives_an_empty_object(run_asl):
    resources, _ = recording_resource(5)

    result = run_asl(single({"Type": "Task", "Resource": "arn:task", "OutputPath": None, **END}), {"a": 1}, resources)

    assert result.output == {}


def test_outputpath_with_several_matches_gives_an_array(run_asl):
    state = {"Type": "Pass", "OutputPath": "$.a[0,1]", **END}

    assert run_asl(single(state), {"a": [1, 2, 3]}).output == [1, 2]


def test_resultpath_overwrites_an_existing_field_and_creates_missing_ones(run_asl):
    state = {"Type": "Pass", "Result": 6, "ResultPath": "$.master.detail", **END}

    assert run_asl(single(state), {"master": {"detail": [1, 2, 3]}}).output == {"master": {"detail": 6}}


def test_resultpath_can_address_an_array_element(run_asl):
    state = {"Type": "Pass", "Result": "x", "ResultPath": "$.list[1]", **END}

    assert run_asl(single(state), {"list": [1, 2, 3]}).output == {"list": [1, "x", 3]}


@pytest.mark.parametrize(
    "raw_input, result_path",
    [("foo", "$.x"), ({"x": 5}, "$.x.y"), ({"list": [1]}, "$.list[3]"), ({"list": {}}, "$.list[0]")],
)
def test_resultpath_that_cannot_apply_fails_with_resultpathmatchfailure(run_asl, raw_input, result_path):
    result = run_asl(single({"Type": "Pass", "Result": 1, "ResultPath": result_path, **END}), raw_input)

    assert (result.status, result.error, result.failed_state) == ("FAILED", "States.ResultPathMatchFailure", "Only")
    assert result_path in result.cause


def test_resultpathmatchfailure_can_be_caught(run_asl):
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:task",
                "ResultPath": "$.x",
                "Catch": [{"ErrorEquals": ["States.ResultPathMatchFailure"], "Next": "Handled"}],
                **END,
            },
            "Handled": {"Type": "Pass", **END},
        },
    }
    resources, _ = recording_resource(1)

    result = run_asl(definition, "a string input", resources)

    assert result.output["Error"] == "States.ResultPathMatchFailure"


def test_parameters_templates_nest_through_objects_and_arrays(run_asl):
    state = {
        "Type": "Pass",
        "Parameters": {"outer": {"list": [{"value.$": "$.a"}, 2, {"plain": "$.not_a_path"}]}},
        **END,
    }

    assert run_asl(single(state), {"a": "A"}).output == {
        "outer": {"list": [{"value": "A"}, 2, {"plain": "$.not_a_path"}]}
    }


def test_parameters_can_read_the_context_object(run_asl, fake_clock):
    state = {
        "Type": "Pass",
        "Parameters": {"name.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime", "ctx.$": "$$.StateMachine"},
        **END,
    }

    output = run_asl(single(state), {}, name="Machine").output

    assert output == {
        "name": "Only",
        "entered": "2024-05-01T12:00:00.000Z",
        "ctx": {"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:Machine", "Name": "Machine"},
    }


def test_a_parameters_path_matching_nothing_fails_with_states_runtime(run_asl):
    result = run_asl(single({"Type": "Pass", "Parameters": {"x.$": "$.missing"}, **END}), {"a": 1})

    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    )


def test_a_resultselector_path_matching_nothing_fails_with_states_runtime(run_asl):
    resources, _ = recording_resource({"a": 1})
    state = {"Type": "Task", "Resource": "arn:task", "ResultSelector": {"b.$": "$.b"}, **END}

    result = run_asl(single(state), {}, resources)

    assert (result.error, result.failed_state) == ("States.Runtime", "Only")
    assert "'b.$'" in result.cause


@pytest.mark.parametrize("field", ["InputPath", "OutputPath"])
def test_an_inputpath_or_outputpath_matching_nothing_fails_with_states_runtime(run_asl, field):
    result = run_asl(single({"Type": "Pass", field: "$.a.missing", **END}), {"a": {}})

    assert (result.error, result.cause) == (
        "States.Runtime",
        "Invalid path '$.a.missing' : No results for path: $['a']['missing']",
    )


def test_states_runtime_is_neither_retried_nor_caught_even_by_states_all(run_asl, fake_clock):
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Item",
                    "States": {"Item": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, **END}},
                },
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                **END,
            },
            "Caught": {"Type": "Succeed"},
        },
    }

    result = run_asl(definition, [{}])

    assert (result.status, result.error, result.failed_state) == ("FAILED", "States.Runtime", "Item")
    assert fake_clock.sleeps == []


def test_states_do_not_share_data_between_their_outputs(run_asl):
    definition = {
        "StartAt": "Copy",
        "States": {
            "Copy": {"Type": "Pass", "Parameters": {"a.$": "$.obj", "b.$": "$.obj"}, "Next": "Change"},
            "Change": {"Type": "Pass", "Result": "changed", "ResultPath": "$.a.field", **END},
        },
    }

    output = run_asl(definition, {"obj": {"field": "original"}}).output

    assert output == {"a": {"field": "changed"}, "b": {"field": "original"}}


def test_a_resource_cannot_alter_the_state_input_by_mutating_its_parameters(run_asl):
    def mutating(parameters: Any, context: Any) -> str:
        parameters["tampered"] = True
        return "done"

    state = {"Type": "Task", "Resource": "arn:task", "ResultPath": "$.r", **END}

    result = run_asl(single(state), {"a": 1}, ResourceRegistry({"arn:task": mutating}))

    assert result.output == {"a": 1, "r": "done"}
