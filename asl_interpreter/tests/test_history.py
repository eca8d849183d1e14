"""Execution history: the events delivered to the sink and the JSON Lines file sink."""

from __future__ import annotations

import json
from typing import Any

from asl_interpreter import JsonLinesHistory, ResourceRegistry, TaskFailure

END = {"End": True}

DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Wait", "Seconds": 2, "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Label", "States": {"Label": {"Type": "Pass", "Result": "labelled", **END}}},
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "ItemProcessor": {"StartAt": "Score", "States": {"Score": {"Type": "Pass", **END}}},
                            **END,
                        }
                    },
                },
            ],
            "Parameters": {"items": [1, 2]},
            "Next": "Train",
        },
        "Train": {
            "Type": "Task",
            "Resource": "arn:train",
            "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 5}],
            **END,
        },
    },
}


def flaky_training() -> ResourceRegistry:
    attempts: list[int] = []

    def train(parameters: Any, context: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise TaskFailure("Transient", "GPU busy")
        return {"model": "m-1"}

    return ResourceRegistry({"arn:train": train})


def test_the_sink_gets_execution_and_state_events_in_order(run_asl):
    events: list[dict[str, Any]] = []

    result = run_asl(
        DEFINITION, {"go": True}, flaky_training(), name="Loop", execution_name="e1", history=events.append
    )

    arn = "arn:aws:states:us-east-1:123456789012:execution:Loop:e1"
    assert events[0] == {
        "event": "ExecutionStarted",
        "execution_arn": arn,
        "execution_name": "e1",
        "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:Loop",
        "input": {"go": True},
        "time": "2024-05-01T12:00:00.000Z",
    }
    assert [(e["state_name"], e["state_type"], e["parent"]) for e in events[1:-1]] == [
        ("Prepare", "Wait", None),
        ("Label", "Pass", "Fan[0]"),
        ("Score", "Pass", "Fan[1]/Each[0]"),
        ("Score", "Pass", "Fan[1]/Each[1]"),
        ("Each", "Map", "Fan[1]"),
        ("Fan", "Parallel", None),
        ("Train", "Task", None),
    ]
    assert events[-1] == {
        "event": "ExecutionFinished",
        "execution_arn": arn,
        "status": "SUCCEEDED",
        "output": {"model": "m-1"},
        "error": None,
        "cause": None,
        "failed_state": None,
        "time": "2024-05-01T12:00:07.000Z",
    }
    assert result.output == {"model": "m-1"}


def test_state_events_carry_input_output_times_and_retry_count(run_asl):
    events: list[dict[str, Any]] = []

    run_asl(DEFINITION, {"go": True}, flaky_training(), history=events.append)

    prepare, *_, fan, train = events[1:-1]
    assert (prepare["input"], prepare["output"]) == ({"go": True}, {"go": True})
    assert (prepare["entered_time"], prepare["exited_time"]) == ("2024-05-01T12:00:00.000Z", "2024-05-01T12:00:02.000Z")
    assert fan["output"] == ["labelled", [1, 2]]
    assert train["retry_count"] == 1
    assert (train["error"], train["cause"]) == (None, None)
    assert (train["entered_time"], train["exited_time"]) == ("2024-05-01T12:00:02.000Z", "2024-05-01T12:00:07.000Z")


def test_failures_are_recorded_on_the_state_and_the_execution(run_asl):
    events: list[dict[str, Any]] = []
    definition = {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "Bad", "Cause": "because"}}}

    run_asl(definition, {}, history=events.append)

    state, finished = events[1], events[2]
    assert (state["state_name"], state["output"], state["error"], state["cause"]) == ("Stop", None, "Bad", "because")
    assert (finished["status"], finished["error"], finished["cause"], finished["failed_state"]) == (
        "FAILED",
        "Bad",
        "because",
        "Stop",
    )


def test_a_caught_error_is_recorded_with_the_catcher_output(run_asl):
    events: list[dict[str, Any]] = []
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:none",
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "After"}],
                **END,
            },
            "After": {"Type": "Succeed"},
        },
    }

    def fails(parameters: Any, context: Any) -> Any:
        raise TaskFailure("Oops", "detail")

    run_asl(definition, {"a": 1}, ResourceRegistry({"arn:none": fails}), history=events.append)

    work = events[1]
    assert (work["error"], work["output"]) == ("Oops", {"a": 1, "error": {"Error": "Oops", "Cause": "detail"}})


def test_json_lines_sink_writes_one_json_object_per_line(run_asl, tmp_path):
    path = tmp_path / "history.jsonl"
    sink = JsonLinesHistory(path)

    run_asl(DEFINITION, {"go": True}, flaky_training(), history=sink)
    run_asl({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}, {"again": 1}, history=sink)

    lines = path.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    assert len(lines) == 9 + 3
    assert [event["event"] for event in events[-3:]] == ["ExecutionStarted", "State", "ExecutionFinished"]
    assert events[-2]["output"] == {"again": 1}
