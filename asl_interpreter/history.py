"""Execution history: the events an execution emits and a JSON Lines sink for them.

Every event is a JSON-ready dict with an `event` field:

- `ExecutionStarted`: execution_arn, execution_name, state_machine_arn, input, time
- `ExecutionRedriven`: execution_arn, redrive_count, state_name (where the
  redrive restarts), time
- `State` (one per state visit, nested states included): execution_arn,
  state_name, state_type, parent (None at the top level, else e.g.
  `"Fan[1]"` for branch 1 of Parallel state Fan or `"Each[3]/Inner[0]"` for
  nested iterations), input, output (None on failure), next (the state it
  hands its output to; None at an end or on failure), entered_time,
  exited_time, error, cause, retry_count
- `ExecutionFinished`: execution_arn, status, output, error, cause,
  failed_state, time

Times are ISO 8601 UTC strings with milliseconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HistorySink = Callable[[dict[str, Any]], None]


class JsonLinesHistory:
    """A HistorySink appending each event to a file as one line of JSON.

    Each event is on disk (flushed and fsynced) before the execution goes on, so a process killed at
    any moment leaves every finished state in the file, at worst followed by one torn line that
    :func:`read_events` skips: the file is what a redrive restarts from.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __call__(self, event: dict[str, Any]) -> None:
        """Append ``event`` as one JSON line and fsync it before returning."""
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(event) + "\n")
            stream.flush()
            os.fsync(stream.fileno())


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The events of a JSON Lines history; a last line cut short by a killed writer is left out."""
    path = Path(path)
    if not path.is_file():
        return []
    events = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise ValueError(f"{path} line {number}: not a history event") from None
    return events


class NotRedrivable(Exception):
    """The execution cannot be redriven (it succeeded, or the history does not hold it)."""


@dataclass(frozen=True)
class RedrivePoint:
    """Where a redrive restarts an execution: the state to run, its input, and the new RedriveCount."""

    execution_arn: str
    execution_name: str
    input: Any
    start_time: str
    state_name: str | None
    state_input: Any
    redrive_count: int


def redrive_point(events: list[dict[str, Any]], execution_arn: str) -> RedrivePoint:
    """Where a stopped execution (failed, timed out, or cut off with no end) goes on, from its history.

    As ``RedriveExecution`` does: the last top-level state that did not succeed is run again with
    the input it had; if the last one succeeded, its ``next`` state runs with its output; states
    that succeeded before are not run again. ``state_name`` None means the execution stopped before
    its first state ended: it runs from ``StartAt`` with its input.
    Raises NotRedrivable for an execution that succeeded or is not in ``events``.
    """
    started = next(
        (e for e in events if e["event"] == "ExecutionStarted" and e["execution_arn"] == execution_arn), None
    )
    if started is None:
        raise NotRedrivable(f"no execution {execution_arn} in the history")
    mine = [e for e in events if e.get("execution_arn") == execution_arn]
    finished = [e for e in mine if e["event"] == "ExecutionFinished"]
    if finished and finished[-1]["status"] == "SUCCEEDED":
        raise NotRedrivable(
            f"execution {started['execution_name']} succeeded; only an unsuccessful execution can be redriven"
        )
    redrive_count = sum(1 for e in mine if e["event"] == "ExecutionRedriven") + 1
    states = [e for e in mine if e["event"] == "State" and e["parent"] is None]
    point = dict(
        execution_arn=execution_arn,
        execution_name=started["execution_name"],
        input=started["input"],
        start_time=started["time"],
        redrive_count=redrive_count,
    )
    if not states:
        return RedrivePoint(**point, state_name=None, state_input=started["input"])
    last = states[-1]
    if last["output"] is None or last.get("next") is None:
        # A failed state, or a terminal state whose execution end was never recorded: run it again.
        return RedrivePoint(**point, state_name=last["state_name"], state_input=last["input"])
    return RedrivePoint(**point, state_name=last["next"], state_input=last["output"])


def execution_redriven(execution_arn: str, redrive_count: int, state_name: str | None, time: str) -> dict[str, Any]:
    """The history event of a redrive: ``redrive_count`` counts from 1; ``state_name`` is where it resumes."""
    return {
        "event": "ExecutionRedriven",
        "execution_arn": execution_arn,
        "redrive_count": redrive_count,
        "state_name": state_name,
        "time": time,
    }


def execution_started(
    execution_arn: str, execution_name: str, state_machine_arn: str, input: Any, time: str
) -> dict[str, Any]:
    """The history event of a new execution; ``time`` is an ISO 8601 UTC timestamp."""
    return {
        "event": "ExecutionStarted",
        "execution_arn": execution_arn,
        "execution_name": execution_name,
        "state_machine_arn": state_machine_arn,
        "input": input,
        "time": time,
    }


def state_visited(
    execution_arn: str,
    state_name: str,
    state_type: str,
    parent: str | None,
    input: Any,
    output: Any,
    next: str | None,
    entered_time: str,
    exited_time: str,
    error: str | None,
    cause: str | None,
    retry_count: int,
) -> dict[str, Any]:
    """The history event of one state that ended: ``parent`` is the enclosing Parallel/Map state (None at
    the top), ``next`` the state that follows (None at the end or on failure), times ISO 8601 UTC."""
    return {
        "event": "State",
        "execution_arn": execution_arn,
        "state_name": state_name,
        "state_type": state_type,
        "parent": parent,
        "input": input,
        "output": output,
        "next": next,
        "entered_time": entered_time,
        "exited_time": exited_time,
        "error": error,
        "cause": cause,
        "retry_count": retry_count,
    }


def execution_finished(
    execution_arn: str,
    status: str,
    output: Any,
    error: str | None,
    cause: str | None,
    failed_state: str | None,
    time: str,
) -> dict[str, Any]:
    """The history event of an execution's end: ``status`` SUCCEEDED, FAILED or TIMED_OUT; ``failed_state`` the
    innermost state the failure came from."""
    return {
        "event": "ExecutionFinished",
        "execution_arn": execution_arn,
        "status": status,
        "output": output,
        "error": error,
        "cause": cause,
        "failed_state": failed_state,
        "time": time,
    }
