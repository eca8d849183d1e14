"""Error names of the Amazon States Language and the exceptions that carry them."""

from __future__ import annotations

STATES_ALL = "States.ALL"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TASK_FAILED = "States.TaskFailed"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

MAX_PAYLOAD_BYTES = 256 * 1024
"""The largest input, output or task result Step Functions passes: 256 KiB as UTF-8 JSON text
(https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, payload size)."""


class StatesError(Exception):
    """A state reported an error: the unit that Retry and Catch act on.

    `state_name` is filled in by the interpreter with the innermost state the
    error escaped from, so a failure inside a Map or Parallel names the state
    that really failed.
    """

    def __init__(self, error: str | None, cause: str | None = None, *, terminal: bool = False) -> None:
        super().__init__(f"{error}: {cause}" if cause else str(error))
        self.error = error
        self.cause = cause
        self.state_name: str | None = None
        self.terminal = terminal
        """Neither retried nor caught anywhere: it fails the execution."""

    def error_output(self) -> dict[str, str | None]:
        """The Error Output a Catcher hands to its Next state."""
        return {"Error": self.error, "Cause": self.cause if self.cause is not None else ""}


def data_limit_exceeded(owner: str, *, terminal: bool) -> StatesError:
    """States.DataLimitExceeded with the cause AWS gives (recorded executions in LocalStack's snapshots)."""
    return StatesError(
        DATA_LIMIT_EXCEEDED,
        f"The state/task '{owner}' returned a result with a size exceeding the maximum number of bytes service limit.",
        terminal=terminal,
    )


class TaskFailure(StatesError):
    """Raised by a task resource to fail the task with a chosen error name and cause.

    This is the local equivalent of a Lambda function's errorType/errorMessage
    or of SendTaskFailure for a `.waitForTaskToken` task.
    """


class DefinitionError(ValueError):
    """The state machine definition is invalid; raised before anything runs."""
