"""Redrive: an execution that stopped continues from where its history says it stopped."""

from __future__ import annotations

from typing import Any

import pytest

from asl_interpreter import (
    JsonLinesHistory,
    NotRedrivable,
    ResourceRegistry,
    StateMachine,
    TaskFailure,
    read_events,
    redrive_point,
)

DEFINITION = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Task", "Resource": "arn:prepare", "ResultPath": "$.prepared", "Next": "Train"},
        "Train": {"Type": "Task", "Resource": "arn:train", "ResultPath": "$.model", "Next": "Done"},
        "Done": {
            "Type": "Pass",
            "Parameters": {"model.$": "$.model", "redrives.$": "$$.Execution.RedriveCount"},
            "End": True,
        },
    },
}


class Resources:
    """Counts calls; Train fails while ``broken``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.broken = True

    def registry(self) -> ResourceRegistry:
        def prepare(parameters: Any, context: Any) -> Any:
            self.calls.append(("prepare", parameters))
            return "prepared"

        def train(parameters: Any, context: Any) -> Any:
            self.calls.append(("train", parameters))
            if self.broken:
                raise TaskFailure("TrainingFailed", "instance lost")
            return "model-1"

        return ResourceRegistry({"arn:prepare": prepare, "arn:train": train})


def machine(resources: Resources, history) -> StateMachine:
    return StateMachine(
        DEFINITION, name="Loop", resources=resources.registry(), history=history, sleep=lambda seconds: None
    )


def test_a_failed_execution_reruns_only_the_failed_state_with_its_input(tmp_path):
    resources = Resources()
    history = JsonLinesHistory(tmp_path / "history.jsonl")
    failed = machine(resources, history).start_execution({"data": 1}, name="e1")
    assert (failed.status, failed.failed_state) == ("FAILED", "Train")

    point = redrive_point(read_events(tmp_path / "history.jsonl"), failed.execution_arn)
    assert (point.state_name, point.state_input, point.redrive_count) == (
        "Train",
        {"data": 1, "prepared": "prepared"},
        1,
    )
    resources.broken = False
    redriven = machine(resources, history).redrive_execution(point)

    assert redriven.status == "SUCCEEDED" and redriven.execution_arn == failed.execution_arn
    assert redriven.output == {"model": "model-1", "redrives": 1}
    assert [name for name, _ in resources.calls] == ["prepare", "train", "train"], (
        "Prepare succeeded and is not run again"
    )
    events = read_events(tmp_path / "history.jsonl")
    assert [e["event"] for e in events if e["event"] != "State"] == [
        "ExecutionStarted",
        "ExecutionFinished",
        "ExecutionRedriven",
        "ExecutionFinished",
    ]
    with pytest.raises(NotRedrivable, match="succeeded"):
        redrive_point(events, failed.execution_arn)


def test_a_killed_execution_continues_after_its_last_finished_state_and_a_torn_line_is_ignored(tmp_path):
    resources = Resources()
    resources.broken = False
    path = tmp_path / "history.jsonl"
    machine(resources, JsonLinesHistory(path)).start_execution({"data": 1}, name="e1")
    # Cut the file as a kill during Train would: the start and Prepare's exit, then half a line.
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2]) + lines[2][:40])

    point = redrive_point(read_events(path), "arn:aws:states:us-east-1:123456789012:execution:Loop:e1")

    assert (point.state_name, point.state_input) == ("Train", {"data": 1, "prepared": "prepared"})
    assert machine(resources, JsonLinesHistory(path)).redrive_execution(point).output == {
        "model": "model-1",
        "redrives": 1,
    }


def test_an_execution_cut_off_before_its_first_state_ended_starts_from_the_start():
    events = [
        {
            "event": "ExecutionStarted",
            "execution_arn": "arn:x",
            "execution_name": "x",
            "state_machine_arn": "arn:m",
            "input": {"a": 1},
            "time": "2026-01-01T00:00:00.000Z",
        }
    ]
    point = redrive_point(events, "arn:x")
    assert (point.state_name, point.state_input, point.redrive_count) == (None, {"a": 1}, 1)
    with pytest.raises(NotRedrivable, match="no execution arn:y"):
        redrive_point(events, "arn:y")
