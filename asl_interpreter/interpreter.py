"""Executes a state machine definition in-process, one state at a time.

Parallel branches and Map iterations run sequentially, in order. Nothing is
preempted: a Task's TimeoutSeconds is handed to its resource as a deadline and
enforced when the resource returns, and the execution's TimeoutSeconds is
enforced between states and while waiting.
"""

from __future__ import annotations

import copy
import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import history
from .choice import choose_next_state
from .definition import validate_definition
from .error_handling import RetryPolicy, find_catcher
from .errors import DATA_LIMIT_EXCEEDED, MAX_PAYLOAD_BYTES, RUNTIME, TIMEOUT, StatesError, data_limit_exceeded
from .history import HistorySink
from .intrinsic_functions import evaluate_intrinsic
from .intrinsic_parser import parse_intrinsic
from .json_values import as_json_value, compact_json, is_integer
from .paths import PathNotFound, apply_filter_path, insert_result, invalid_path_error, resolve
from .payload import build_payload
from .resources import TaskContext, TaskResources, error_from_exception
from .timestamps import format_timestamp, parse_timestamp

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"


def utc_now() -> datetime:
    """The default clock: the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def payload_bytes(value: Any) -> int:
    """The size Step Functions' payload limit counts: the value as UTF-8 JSON text."""
    return len(compact_json(value).encode("utf-8"))


def fits(value: Any) -> bool:
    """Whether ``value`` is within the payload limit (``MAX_PAYLOAD_BYTES`` of UTF-8 JSON text)."""
    return payload_bytes(value) <= MAX_PAYLOAD_BYTES


@dataclass(frozen=True)
class ExecutionResult:
    """How an execution ended. `failed_state` is the innermost state the failure came from."""

    status: str
    output: Any
    error: str | None
    cause: str | None
    failed_state: str | None
    execution_arn: str
    execution_name: str
    start_time: datetime
    stop_time: datetime


class StateMachine:
    """A validated state machine definition, ready to run executions locally.

    `clock` returns the current time as an aware datetime and `sleep` waits a
    number of seconds; tests pass fakes so Wait states and retries take no
    real time. `rng` drives retry jitter and States.MathRandom without a seed.
    Raises DefinitionError for an invalid definition.
    """

    def __init__(
        self,
        definition: Mapping[str, Any] | str,
        *,
        name: str,
        resources: TaskResources,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        history: HistorySink | None = None,
        rng: random.Random | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        role_arn: str | None = None,
    ) -> None:
        self.definition = json.loads(definition) if isinstance(definition, str) else copy.deepcopy(definition)
        validate_definition(self.definition)
        self.name = name
        self.resources = resources
        self.clock = clock
        self.sleep = sleep
        self.history = history
        self.rng = rng or random.Random()
        self.region = region
        self.account_id = account_id
        self.arn = f"arn:aws:states:{region}:{account_id}:stateMachine:{name}"
        self.role_arn = role_arn or f"arn:aws:iam::{account_id}:role/{name}-role"

    def start_execution(self, input: Any, *, name: str | None = None) -> ExecutionResult:
        """Run one execution to its end and report how it ended."""
        return _Execution(self, input, name or str(uuid.uuid4())).run()

    def redrive_execution(self, point: history.RedrivePoint) -> ExecutionResult:
        """Continue a stopped execution of this machine from ``point`` (see history.redrive_point).

        As Step Functions' RedriveExecution: same execution ARN and input, the states that succeeded
        are not run again, ``$$.Execution.RedriveCount`` counts the redrives, and the execution's
        TimeoutSeconds starts again from the redrive.
        """
        execution = _Execution(self, point.input, point.execution_name, redrive=point)
        if execution.arn != point.execution_arn:
            raise ValueError(f"execution {point.execution_arn} is not an execution of state machine {self.arn}")
        if point.state_name is not None and point.state_name not in self.definition["States"]:
            raise ValueError(f"state machine {self.arn} has no state {point.state_name!r} to redrive from")
        return execution.run()


class _ExecutionTimedOut(Exception):
    """The execution's TimeoutSeconds elapsed; unlike a StatesError no Catcher sees it."""

    def __init__(self, state_name: str) -> None:
        super().__init__(state_name)
        self.state_name = state_name


@dataclass(frozen=True)
class _Visit:
    """One attempt at running a state."""

    name: str
    state: dict[str, Any]
    parent: str | None
    entered: datetime
    retry_count: int

    def child_scope(self, index: int) -> str:
        scope = f"{self.name}[{index}]"
        return f"{self.parent}/{scope}" if self.parent else scope


class _Execution:
    def __init__(
        self, machine: StateMachine, input: Any, name: str, redrive: history.RedrivePoint | None = None
    ) -> None:
        self.machine = machine
        self.name = name
        self.arn = f"arn:aws:states:{machine.region}:{machine.account_id}:execution:{machine.name}:{name}"
        self.input = as_json_value(input)
        self.redrive = redrive
        now = machine.clock()
        self.start_time = parse_timestamp(redrive.start_time) if redrive else now
        timeout = machine.definition.get("TimeoutSeconds")
        self.deadline = now + timedelta(seconds=timeout) if timeout else None
        self.handlers: dict[str, Callable[[_Visit, Any], tuple[Any, str | None]]] = {
            "Pass": self.run_pass,
            "Task": self.run_task,
            "Choice": self.run_choice,
            "Wait": self.run_wait,
            "Succeed": self.run_succeed,
            "Fail": self.run_fail,
            "Parallel": self.run_parallel,
            "Map": self.run_map,
        }

    def emit(self, event: dict[str, Any]) -> None:
        if self.machine.history is not None:
            self.machine.history(event)

    def now(self) -> str:
        return format_timestamp(self.machine.clock())

    def run(self) -> ExecutionResult:
        start_at, data = None, self.input
        if self.redrive is None:
            self.emit(
                history.execution_started(
                    self.arn, self.name, self.machine.arn, self.input, format_timestamp(self.start_time)
                )
            )
        else:
            start_at, data = self.redrive.state_name, self.redrive.state_input
            self.emit(history.execution_redriven(self.arn, self.redrive.redrive_count, start_at, self.now()))
        output, error, cause, failed_state = None, None, None, None
        try:
            if not fits(self.input):
                raise StatesError(
                    DATA_LIMIT_EXCEEDED,
                    f"The execution input has {payload_bytes(self.input)} bytes; at most {MAX_PAYLOAD_BYTES} fit",
                )
            output = self.run_states(self.machine.definition, data, parent=None, start_at=start_at)
            status = SUCCEEDED
        except StatesError as failure:
            status, error, cause, failed_state = FAILED, failure.error, failure.cause, failure.state_name
        except _ExecutionTimedOut as timed_out:
            status, error, failed_state = TIMED_OUT, TIMEOUT, timed_out.state_name
            cause = f"The execution ran longer than {self.machine.definition['TimeoutSeconds']} seconds"
        stop_time = self.machine.clock()
        self.emit(
            history.execution_finished(
                self.arn, status, output, error, cause, failed_state, format_timestamp(stop_time)
            )
        )
        return ExecutionResult(
            status, output, error, cause, failed_state, self.arn, self.name, self.start_time, stop_time
        )

    def run_states(
        self, machine: Mapping[str, Any], input: Any, parent: str | None, start_at: str | None = None
    ) -> Any:
        """Run from StartAt (or ``start_at``) to a terminal state; returns its output or raises StatesError."""
        name, data = start_at or machine["StartAt"], input
        while True:
            data, next_name = self.run_state(name, machine["States"][name], data, parent)
            if next_name is None:
                return data
            name = next_name

    def run_state(self, name: str, state: dict[str, Any], raw_input: Any, parent: str | None) -> tuple[Any, str | None]:
        """Run one state with its Retry and Catch; returns (output, next state or None)."""
        self.check_deadline(name)
        entered = self.machine.clock()
        retry_policy = RetryPolicy(state.get("Retry", []), self.machine.rng)
        retry_count = 0
        while True:
            visit = _Visit(name, state, parent, entered, retry_count)
            try:
                output, next_name = self.handlers[state["Type"]](visit, raw_input)
                if not fits(output):
                    raise data_limit_exceeded(name, terminal=True)
                self.record(visit, raw_input, output, next_name=next_name)
                return output, next_name
            except StatesError as failure:
                failure.state_name = failure.state_name or name
                if failure.terminal:
                    self.record(visit, raw_input, None, failure)
                    raise
                delay = retry_policy.next_delay(failure.error)
                if delay is None:
                    return self.handle_error(visit, raw_input, failure)
            self.sleep_within_deadline(delay, name)
            retry_count += 1

    def handle_error(self, visit: _Visit, raw_input: Any, failure: StatesError) -> tuple[Any, str | None]:
        catcher = find_catcher(visit.state.get("Catch", []), failure.error)
        if catcher is None:
            self.record(visit, raw_input, None, failure)
            raise failure
        try:
            output = insert_result(raw_input, catcher.get("ResultPath", "$"), failure.error_output())
        except StatesError as result_path_failure:
            result_path_failure.state_name = visit.name
            self.record(visit, raw_input, None, result_path_failure)
            raise
        self.record(visit, raw_input, output, failure, next_name=catcher["Next"])
        return output, catcher["Next"]

    def record(
        self,
        visit: _Visit,
        raw_input: Any,
        output: Any,
        failure: StatesError | None = None,
        *,
        next_name: str | None = None,
    ) -> None:
        self.emit(
            history.state_visited(
                self.arn,
                visit.name,
                visit.state["Type"],
                visit.parent,
                raw_input,
                output,
                next_name,
                format_timestamp(visit.entered),
                self.now(),
                failure.error if failure else None,
                failure.cause if failure else None,
                visit.retry_count,
            )
        )

    def check_deadline(self, state_name: str) -> None:
        if self.deadline is not None and self.machine.clock() >= self.deadline:
            raise _ExecutionTimedOut(state_name)

    def sleep_within_deadline(self, seconds: float, state_name: str) -> None:
        if self.deadline is not None:
            remaining = (self.deadline - self.machine.clock()).total_seconds()
            if seconds >= remaining:
                self.machine.sleep(max(remaining, 0.0))
                raise _ExecutionTimedOut(state_name)
        self.machine.sleep(seconds)

    def context_object(
        self, visit: _Visit, task_token: str | None = None, map_item: tuple[int, Any] | None = None
    ) -> dict[str, Any]:
        context: dict[str, Any] = {
            "Execution": {
                "Id": self.arn,
                "Input": self.input,
                "Name": self.name,
                "RoleArn": self.machine.role_arn,
                "StartTime": format_timestamp(self.start_time),
                "RedriveCount": self.redrive.redrive_count if self.redrive else 0,
            },
            "State": {
                "EnteredTime": format_timestamp(visit.entered),
                "Name": visit.name,
                "RetryCount": visit.retry_count,
            },
            "StateMachine": {"Id": self.machine.arn, "Name": self.machine.name},
        }
        if task_token is not None:
            context["Task"] = {"Token": task_token}
        if map_item is not None:
            context["Map"] = {"Item": {"Index": map_item[0], "Value": map_item[1]}}
        return context

    def payload(self, state: dict[str, Any], field: str, data: Any, context: Any) -> Any:
        if field not in state:
            return data
        return build_payload(state[field], data, context, self.machine.rng)

    def finish(self, visit: _Visit, raw_input: Any, result: Any) -> Any:
        """ResultPath then OutputPath: the state output from its (effective) result."""
        combined = insert_result(raw_input, visit.state.get("ResultPath", "$"), result)
        return apply_filter_path(combined, visit.state.get("OutputPath", "$"), self.context_object(visit))

    def run_pass(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        effective_input = apply_filter_path(raw_input, visit.state.get("InputPath", "$"), self.context_object(visit))
        if "Result" in visit.state:
            result = copy.deepcopy(visit.state["Result"])
        else:
            result = self.payload(visit.state, "Parameters", effective_input, self.context_object(visit))
        return self.finish(visit, raw_input, result), visit.state.get("Next")

    def run_task(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        state = visit.state
        effective_input = apply_filter_path(raw_input, state.get("InputPath", "$"), self.context_object(visit))
        resource = state["Resource"]
        token = secrets.token_urlsafe(48) if resource.endswith(".waitForTaskToken") else None
        context = self.context_object(visit, task_token=token)
        parameters = self.payload(state, "Parameters", effective_input, context)
        if not fits(parameters):
            raise StatesError(
                DATA_LIMIT_EXCEEDED,
                f"The state/task '{visit.name}' has an input (after Parameters) of {payload_bytes(parameters)} bytes, "
                f"more than the {MAX_PAYLOAD_BYTES} bytes service limit.",
            )
        timeout = self.timeout_field(state, "TimeoutSeconds", effective_input)
        heartbeat = self.timeout_field(state, "HeartbeatSeconds", effective_input)
        started = self.machine.clock()
        deadline = started + timedelta(seconds=timeout) if timeout is not None else None
        task_context = TaskContext(
            execution_arn=self.arn,
            execution_name=self.name,
            state_machine_arn=self.machine.arn,
            state_name=visit.name,
            state_entered_time=format_timestamp(visit.entered),
            retry_count=visit.retry_count,
            task_token=token,
            timeout_seconds=timeout,
            heartbeat_seconds=heartbeat,
            deadline=deadline,
        )
        result = self.invoke(resource, parameters, task_context)
        if not fits(result):
            raise data_limit_exceeded(resource, terminal=False)
        if deadline is not None and self.machine.clock() > deadline:
            raise StatesError(TIMEOUT, f"The task ran longer than its {timeout} seconds timeout")
        result = self.payload(state, "ResultSelector", result, context)
        return self.finish(visit, raw_input, result), state.get("Next")

    def invoke(self, resource: str, parameters: Any, task_context: TaskContext) -> Any:
        try:
            result = self.machine.resources.invoke(resource, as_json_value(parameters), task_context)
        except StatesError:
            raise
        except Exception as exc:
            raise error_from_exception(exc) from exc
        try:
            return as_json_value(result)
        except (TypeError, ValueError) as exc:
            raise StatesError(RUNTIME, f"Resource '{resource}' returned a value that is not JSON: {exc}") from exc

    def timeout_field(self, state: dict[str, Any], field: str, effective_input: Any) -> int | None:
        if field in state:
            return state[field]
        if field + "Path" not in state:
            return None
        seconds = self.path_value(state[field + "Path"], effective_input)
        if not (is_integer(seconds) and seconds > 0):
            raise StatesError(RUNTIME, f"{field}Path must select a positive integer, got {seconds!r}")
        return seconds

    def path_value(self, path: str, data: Any, context: Any = None) -> Any:
        """A Reference Path's value; a miss fails the execution with States.Runtime."""
        try:
            return resolve(path, data, context)
        except PathNotFound:
            raise invalid_path_error(path) from None

    def run_choice(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        effective_input = apply_filter_path(raw_input, visit.state.get("InputPath", "$"), self.context_object(visit))
        next_name = choose_next_state(visit.state, effective_input, self.context_object(visit))
        return apply_filter_path(
            effective_input, visit.state.get("OutputPath", "$"), self.context_object(visit)
        ), next_name

    def run_wait(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        state = visit.state
        effective_input = apply_filter_path(raw_input, state.get("InputPath", "$"), self.context_object(visit))
        if "Seconds" in state:
            seconds = state["Seconds"]
        elif "SecondsPath" in state:
            seconds = self.path_value(state["SecondsPath"], effective_input)
            if not (is_integer(seconds) and seconds >= 0):
                raise StatesError(RUNTIME, f"SecondsPath must select a non-negative integer, got {seconds!r}")
        else:
            text = state.get("Timestamp") or self.path_value(state["TimestampPath"], effective_input)
            until = parse_timestamp(text)
            if until is None:
                raise StatesError(RUNTIME, f"TimestampPath must select a timestamp, got {text!r}")
            seconds = max((until - self.machine.clock()).total_seconds(), 0.0)
        self.sleep_within_deadline(seconds, visit.name)
        return apply_filter_path(effective_input, state.get("OutputPath", "$"), self.context_object(visit)), state.get(
            "Next"
        )

    def run_succeed(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        effective_input = apply_filter_path(raw_input, visit.state.get("InputPath", "$"), self.context_object(visit))
        return apply_filter_path(effective_input, visit.state.get("OutputPath", "$"), self.context_object(visit)), None

    def run_fail(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        context = self.context_object(visit)
        error = self.fail_field(visit.state, "Error", raw_input, context)
        cause = self.fail_field(visit.state, "Cause", raw_input, context)
        raise StatesError(error, cause)

    def fail_field(self, state: dict[str, Any], field: str, raw_input: Any, context: Any) -> str | None:
        expression = state.get(field + "Path")
        if expression is None:
            return state.get(field)
        if expression.startswith("$"):
            value = self.path_value(expression, raw_input, context)
        else:
            try:
                value = evaluate_intrinsic(parse_intrinsic(expression), raw_input, context, self.machine.rng)
            except PathNotFound as missing:
                raise invalid_path_error(missing.args[0]) from None
        if not isinstance(value, str):
            raise StatesError(RUNTIME, f"{field}Path must yield a string, got {json.dumps(value)}")
        return value

    def run_parallel(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        state = visit.state
        effective_input = apply_filter_path(raw_input, state.get("InputPath", "$"), self.context_object(visit))
        context = self.context_object(visit)
        branch_input = self.payload(state, "Parameters", effective_input, context)
        results = [
            self.run_states(branch, branch_input, parent=visit.child_scope(index))
            for index, branch in enumerate(state["Branches"])
        ]
        result = self.payload(state, "ResultSelector", results, context)
        return self.finish(visit, raw_input, result), state.get("Next")

    def run_map(self, visit: _Visit, raw_input: Any) -> tuple[Any, str | None]:
        state = visit.state
        effective_input = apply_filter_path(raw_input, state.get("InputPath", "$"), self.context_object(visit))
        items = self.path_value(state.get("ItemsPath", "$"), effective_input)
        if not isinstance(items, list):
            raise StatesError(RUNTIME, f"ItemsPath must select an array, got {json.dumps(items)}")
        if "MaxConcurrencyPath" in state:
            limit = self.path_value(state["MaxConcurrencyPath"], effective_input)
            if not (is_integer(limit) and limit >= 0):
                raise StatesError(RUNTIME, f"MaxConcurrencyPath must select a non-negative integer, got {limit!r}")
        selector = state.get("ItemSelector", state.get("Parameters"))
        processor = state["ItemProcessor"] if "ItemProcessor" in state else state["Iterator"]
        results = []
        for index, item in enumerate(items):
            item_input = item
            if selector is not None:
                item_context = self.context_object(visit, map_item=(index, item))
                item_input = build_payload(selector, effective_input, item_context, self.machine.rng)
            results.append(self.run_states(processor, item_input, parent=visit.child_scope(index)))
        result = self.payload(state, "ResultSelector", results, self.context_object(visit))
        return self.finish(visit, raw_input, result), state.get("Next")
