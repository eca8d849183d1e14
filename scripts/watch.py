"""Following an execution: one line per state entered or exited, with the loop's counts and rounds.

Polls ``GetExecutionHistory``; the ``CountRecords`` and ``RunActiveLearningRound`` exits of the
``ActiveLearningLoop`` state machine carry the numbers a user wants to see.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

COUNT_STATE = "CountRecords"
ROUND_STATE = "RunActiveLearningRound"


def new_events(sfn: Any, execution_arn: str, after_id: int) -> list[dict[str, Any]]:
    """The execution's history events with an id above ``after_id``, oldest first."""
    events = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(event for event in page["events"] if event["id"] > after_id)
    return events


def _json_object(text: str | None) -> dict[str, Any]:
    """An event's JSON output, or {} when Step Functions truncated it or it is not an object."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def describe_counts(counts: dict[str, Any]) -> str:
    """A progress line from the CountRecords output's ``counts``: records by state, then the next step."""
    line = (
        f"{counts.get('input_total')} records: {counts.get('human_labeled')} human-labeled, "
        f"{counts.get('auto_labeled')} auto-labeled, {counts.get('unlabeled')} unlabeled"
    )
    step = counts.get("next_step")
    if step == "seed":
        return f"{line}; next: seed batch (round 0) of {counts.get('batch_size')}"
    if step == "round":
        return f"{line}; next: round {counts.get('next_round')}, human batch up to {counts.get('batch_size')}"
    return f"{line}; next: export ({counts.get('stop_reason')})"


def describe_round(last_round: dict[str, Any]) -> str:
    """A progress line from a round's result: calibration accuracy, what was auto-labeled (or why nothing)
    and how many records went to humans.
    """
    stats = last_round.get("stats", {})
    auto = last_round.get("autolabels", {}).get("count")
    reason = stats.get("no_auto_label_reason")
    labeled = f"auto-labeled nothing ({reason})" if not auto and reason else (
        f"auto-labeled {auto} (expected accuracy {stats.get('expected_accuracy')}, bound {stats.get('accuracy_bound')})"
    )
    return (
        f"round {last_round.get('round')}: calibration accuracy {stats.get('calibration_accuracy')} "
        f"on {stats.get('calibration_records')} records, {labeled}, "
        f"selected {last_round.get('selection', {}).get('count')} for humans"
    )


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((value for key, value in event.items() if key.endswith("EventDetails") and isinstance(value, dict)), {})


def describe_event(event: dict[str, Any]) -> str | None:
    """A progress line for the events a user follows; None for the rest (scheduling, retries' plumbing)."""
    kind = event["type"]
    clock = event["timestamp"].strftime("%H:%M:%S")
    if kind.endswith("StateEntered"):
        return f"{clock} entered {event['stateEnteredEventDetails']['name']}"
    if kind.endswith("StateExited"):
        name = event["stateExitedEventDetails"]["name"]
        output = _json_object(event["stateExitedEventDetails"].get("output"))
        if name == COUNT_STATE and isinstance(output.get("counts"), dict):
            return f"{clock} exited  {name}: {describe_counts(output['counts'])}"
        if name == ROUND_STATE and isinstance(output.get("last_round"), dict):
            return f"{clock} exited  {name}: {describe_round(output['last_round'])}"
        return f"{clock} exited  {name}"
    if kind == "ExecutionSucceeded":
        final = _json_object(_details(event).get("output")).get("final_manifest")
        return f"{clock} execution succeeded" + (f": final manifest {final}" if final else "")
    if kind.endswith(("Failed", "TimedOut", "Aborted")):
        details = _details(event)
        return f"{clock} {kind}: {details.get('error', '')} {details.get('cause', '')}".rstrip()
    return None


def follow(
    sfn: Any,
    execution_arn: str,
    *,
    poll_seconds: float = 10,
    emit: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Print progress until the execution ends; return its final status."""
    last_id = 0
    while True:
        # Read the status before the history so that the events of a just-finished execution are all shown.
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        for event in new_events(sfn, execution_arn, last_id):
            last_id = event["id"]
            line = describe_event(event)
            if line:
                emit(line)
        if status != "RUNNING":
            return status
        sleep(poll_seconds)
