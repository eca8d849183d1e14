"""Fixtures for the ASL interpreter tests: a fake clock, a runner, and moto's executing backend."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from asl_interpreter import ExecutionResult, ResourceRegistry, StateMachine

PARITY_EXECUTION_NAME = "parity"
PARITY_MACHINE_PREFIX = "parity"


class FakeClock:
    """A clock that only moves when something sleeps on it; records every sleep."""

    def __init__(self, start: datetime = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def run_asl(fake_clock: FakeClock) -> Callable[..., ExecutionResult]:
    """Run a definition locally on the fake clock: run_asl(definition, input, resources=..., **options)."""

    def run(
        definition: dict[str, Any],
        input: Any = None,
        resources: Any = None,
        execution_name: str | None = None,
        **options: Any,
    ) -> ExecutionResult:
        machine = StateMachine(
            definition,
            name=options.pop("name", "test-machine"),
            resources=resources if resources is not None else ResourceRegistry(),
            clock=fake_clock,
            sleep=fake_clock.sleep,
            **options,
        )
        return machine.start_execution({} if input is None else input, name=execution_name)

    return run


@dataclass(frozen=True)
class Outcome:
    """What both interpreters are compared on.

    `visited` (state names in the order the states ended) is left out of `==`:
    moto runs Parallel branches in threads, so their order varies there.
    """

    status: str
    output: Any
    error: str | None
    cause: str | None
    visited: tuple[str, ...] = field(compare=False)


class MotoStepFunctions:
    """Runs definitions on moto's executing Step Functions backend."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.counter = itertools.count()

    def run(self, definition: dict[str, Any], input: Any, machine_name: str) -> Outcome:
        machine = self.client.create_state_machine(
            name=machine_name,
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/parity",
        )
        execution = self.client.start_execution(
            stateMachineArn=machine["stateMachineArn"],
            name=PARITY_EXECUTION_NAME,
            input=json.dumps(input),
        )
        deadline = time.monotonic() + 20
        while True:
            described = self.client.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        events = self.client.get_execution_history(executionArn=execution["executionArn"])["events"]
        self.client.delete_state_machine(stateMachineArn=machine["stateMachineArn"])
        output = _decode_output(described["output"]) if "output" in described else None
        visited = tuple(
            event["stateExitedEventDetails"]["name"] for event in events if "stateExitedEventDetails" in event
        )
        return Outcome(described["status"], output, described.get("error"), described.get("cause"), visited)


def _decode_output(text: str) -> Any:
    # moto returns a string output as the bare string instead of its JSON text.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@pytest.fixture(scope="module")
def moto_sfn() -> Any:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield MotoStepFunctions(boto3.client("stepfunctions", region_name="us-east-1"))


@pytest.fixture
def parity(moto_sfn: MotoStepFunctions) -> Callable[[dict[str, Any], Any], tuple[Outcome, Outcome]]:
    """Run one definition locally and on moto under the same machine and execution names."""

    def run_both(definition: dict[str, Any], input: Any) -> tuple[Outcome, Outcome]:
        machine_name = f"{PARITY_MACHINE_PREFIX}{next(moto_sfn.counter)}"
        events: list[dict[str, Any]] = []
        local = StateMachine(definition, name=machine_name, resources=ResourceRegistry(), history=events.append)
        result = local.start_execution(input, name=PARITY_EXECUTION_NAME)
        visited = tuple(event["state_name"] for event in events if event["event"] == "State")
        local_outcome = Outcome(result.status, result.output, result.error, result.cause, visited)
        return local_outcome, moto_sfn.run(definition, input, machine_name)

    return run_both
