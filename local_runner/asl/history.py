"""Execution history: the events an execution emits and a JSON Lines sink for them.

Every event is a JSON-ready dict with an `event` field:

- `ExecutionStarted`: execution_arn, execution_name, state_machine_arn, input, time
- `State` (one per state visit, nested states included): execution_arn,
  state_name, state_type, parent (None at the top level, else e.g.
  `"Fan[1]"` for branch 1 of Parallel state Fan or `"Each[3]/Inner[0]"` for
  nested iterations), input, output (None on failure), entered_time,
  exited_time, error, cause, retry_count
- `ExecutionFinished`: execution_arn, status, output, error, cause,
  failed_state, time

Times are ISO 8601 UTC strings with milliseconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

HistorySink = Callable[[dict[str, Any]], None]


class JsonLinesHistory:
    """A HistorySink appending each event to a file as one line of JSON."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __call__(self, event: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(event) + "\n")


def execution_started(
    execution_arn: str, execution_name: str, state_machine_arn: str, input: Any, time: str
) -> dict[str, Any]:
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
    entered_time: str,
    exited_time: str,
    error: str | None,
    cause: str | None,
    retry_count: int,
) -> dict[str, Any]:
    return {
        "event": "State",
        "execution_arn": execution_arn,
        "state_name": state_name,
        "state_type": state_type,
        "parent": parent,
        "input": input,
        "output": output,
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
