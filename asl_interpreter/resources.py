"""The interface between Task states and the local code that implements their Resources."""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .errors import RUNTIME, StatesError


@dataclass(frozen=True)
class TaskContext:
    """What a resource implementation is told about the task it runs.

    `task_token` is set only for `.waitForTaskToken` resources; returning from
    `invoke` plays the part of SendTaskSuccess, raising TaskFailure that of
    SendTaskFailure. `timeout_seconds`/`heartbeat_seconds` are the state's
    TimeoutSeconds(Path)/HeartbeatSeconds(Path), None when the definition sets
    none (AWS then allows 99999999 s); `deadline` is when the task times out.
    """

    execution_arn: str
    execution_name: str
    state_machine_arn: str
    state_name: str
    state_entered_time: str
    retry_count: int
    task_token: str | None
    timeout_seconds: int | None
    heartbeat_seconds: int | None
    deadline: datetime | None


class TaskResources(Protocol):
    """Runs the work a Task state's Resource names.

    Return the task's result (any JSON value). To fail the task raise
    TaskFailure(error, cause). Any other exception fails the task the way an
    unhandled exception fails a Lambda function: Error is the exception's class
    name, Cause a JSON object with errorMessage, errorType and stackTrace.
    """

    def invoke(self, resource: str, parameters: Any, context: TaskContext) -> Any:
        """The result of running ``resource`` on the task's ``parameters`` (after ``Parameters``)."""


ResourceHandler = Callable[[Any, TaskContext], Any]


class ResourceRegistry:
    """A TaskResources that dispatches on the exact Resource string."""

    def __init__(self, handlers: Mapping[str, ResourceHandler] | None = None) -> None:
        self._handlers: dict[str, ResourceHandler] = dict(handlers or {})

    def register(self, resource: str, handler: ResourceHandler) -> None:
        """Run ``handler(parameters, context)`` for Task states whose Resource is exactly ``resource``."""
        self._handlers[resource] = handler

    def invoke(self, resource: str, parameters: Any, context: TaskContext) -> Any:
        """The registered handler's result; States.Runtime for a resource nobody registered."""
        handler = self._handlers.get(resource)
        if handler is None:
            # States.Runtime: a missing implementation must fail the run, not be caught by States.ALL.
            raise StatesError(RUNTIME, f"No local implementation for resource '{resource}'")
        return handler(parameters, context)


def error_from_exception(exc: Exception) -> StatesError:
    """The task error AWS Lambda reports for an unhandled exception."""
    error_type = type(exc).__name__
    cause = {
        "errorMessage": str(exc),
        "errorType": error_type,
        "requestId": str(uuid.uuid4()),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }
    return StatesError(error_type, json.dumps(cause))
