"""Results that must equal what AWS returns, as executions recorded on AWS show (LocalStack's
tests/aws/services/stepfunctions snapshots): indefinite paths, `$$` filters, the 256 KiB payload limit."""

from __future__ import annotations

from typing import Any

import pytest

from asl_interpreter import ResourceRegistry
from asl_interpreter.errors import MAX_PAYLOAD_BYTES

END = {"End": True}
OVER_LIMIT = "a" * (257 * 1024)
LIMIT_CAUSE = "returned a result with a size exceeding the maximum number of bytes service limit."


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Only", "States": {"Only": state}}


# --- paths -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["$.empty[*]", "$.xs[1:]", "$.xs[?(@.v > 5)]", "$..missing", "$.o.*"])
def test_an_indefinite_path_matching_nothing_gives_an_empty_array(run_asl, path: str) -> None:
    data = {"empty": [], "xs": [{"v": 1}], "o": {}}
    for state in (
        {"Type": "Pass", "Parameters": {"found.$": path}, **END},
        {"Type": "Pass", "InputPath": path, "ResultPath": "$.found", **END},
    ):
        result = run_asl(single(state), data)
        assert result.status == "SUCCEEDED", result.cause
        assert result.output["found"] == []


def test_a_definite_path_matching_nothing_still_fails(run_asl) -> None:
    result = run_asl(single({"Type": "Pass", "Parameters": {"x.$": "$.xs[3]"}, **END}), {"xs": [1]})
    assert result.error == "States.Runtime"


@pytest.mark.parametrize("field", ["InputPath", "OutputPath"])
def test_the_context_object_as_inputpath_or_outputpath(run_asl, field: str) -> None:
    execution_input = {"input-value": 0}

    whole = run_asl(single({"Type": "Pass", field: "$$", **END}), execution_input, execution_name="parity")
    part = run_asl(single({"Type": "Pass", field: "$$.Execution.Input", **END}), execution_input)

    assert whole.status == part.status == "SUCCEEDED", whole.cause
    assert whole.output["Execution"]["Input"] == execution_input
    assert whole.output["Execution"]["Name"] == "parity"
    assert set(whole.output) >= {"Execution", "State", "StateMachine"}
    assert part.output == execution_input


def test_the_context_object_as_a_task_inputpath(run_asl) -> None:
    seen: list[Any] = []
    resources = ResourceRegistry({"arn:task": lambda parameters, context: seen.append(parameters) or "ok"})
    state = {"Type": "Task", "Resource": "arn:task", "InputPath": "$$.Execution.Input", "ResultPath": "$.r", **END}

    result = run_asl(single(state), {"a": 1}, resources)

    assert result.status == "SUCCEEDED" and seen == [{"a": 1}]


# --- the payload limit -----------------------------------------------------------------------------


def test_a_pass_result_over_256_kib_fails_the_execution(run_asl) -> None:
    result = run_asl(single({"Type": "Pass", "Result": {"Arg1": OVER_LIMIT}, **END}), {})

    assert (result.status, result.error, result.failed_state) == ("FAILED", "States.DataLimitExceeded", "Only")
    assert result.cause == f"The state/task 'Only' {LIMIT_CAUSE}"


def test_a_pass_result_just_under_the_limit_passes(run_asl) -> None:
    fits = "a" * (MAX_PAYLOAD_BYTES - len('{"Arg1":""}'))

    assert run_asl(single({"Type": "Pass", "Result": {"Arg1": fits}, **END}), {}).status == "SUCCEEDED"


def test_the_limit_counts_utf8_bytes(run_asl) -> None:
    two_byte_characters = "é" * (MAX_PAYLOAD_BYTES // 2)

    result = run_asl(single({"Type": "Pass", "Result": two_byte_characters, **END}), {})

    assert result.error == "States.DataLimitExceeded"


def large_task(catchers: list[str]) -> dict[str, Any]:
    return {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:big",
                "Catch": [{"ErrorEquals": [name], "Next": name.replace(".", "")} for name in catchers],
                **END,
            },
            **{name.replace(".", ""): {"Type": "Pass", **END} for name in catchers},
        },
    }


@pytest.mark.parametrize("catcher", ["States.DataLimitExceeded", "States.ALL"])
def test_a_task_result_over_the_limit_is_caught_as_aws_catches_it(run_asl, catcher: str) -> None:
    resources = ResourceRegistry({"arn:big": lambda parameters, context: OVER_LIMIT})

    result = run_asl(large_task([catcher]), {}, resources)

    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.DataLimitExceeded", "Cause": f"The state/task 'arn:big' {LIMIT_CAUSE}"}


def test_task_parameters_over_the_limit_fail_before_the_task_runs(run_asl) -> None:
    calls: list[Any] = []
    resources = ResourceRegistry({"arn:task": lambda parameters, context: calls.append(1)})
    state = {"Type": "Task", "Resource": "arn:task", "Parameters": {"big": OVER_LIMIT}, **END}

    result = run_asl(single(state), {}, resources)

    assert (result.error, calls) == ("States.DataLimitExceeded", [])


def test_an_execution_input_over_the_limit_fails(run_asl) -> None:
    result = run_asl(single({"Type": "Pass", **END}), {"big": OVER_LIMIT})

    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_a_state_output_over_the_limit_is_not_caught_by_an_enclosing_state(run_asl) -> None:
    definition = {
        "StartAt": "Branches",
        "States": {
            "Branches": {
                "Type": "Parallel",
                "Branches": [single({"Type": "Pass", "Result": OVER_LIMIT, **END})],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                **END,
            },
            "Caught": {"Type": "Succeed"},
        },
    }

    result = run_asl(definition, {})

    assert (result.status, result.error, result.failed_state) == ("FAILED", "States.DataLimitExceeded", "Only")
