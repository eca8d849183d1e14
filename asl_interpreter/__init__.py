"""An in-process interpreter for the Amazon States Language (JSONPath query language).

    machine = StateMachine(definition, name="Pipeline", resources=my_resources)
    result = machine.start_execution({"dataset": "s3://..."})
    if result.status != "SUCCEEDED":
        print(result.failed_state, result.error, result.cause)

Task states call `resources.invoke(resource, parameters, context)`; see
TaskResources for how a resource returns a result or fails. `validate_definition`
checks a definition without running it; `select` applies a States Language Path to
a JSON value. What is supported, what is refused and where the interpreter follows
AWS rather than the specification: README.md beside this file.

The package depends on jsonpath-ng only and imports nothing else of the project.
"""

from .definition import validate_definition
from .errors import DefinitionError, StatesError, TaskFailure
from .history import HistorySink, JsonLinesHistory, NotRedrivable, RedrivePoint, read_events, redrive_point
from .interpreter import FAILED, SUCCEEDED, TIMED_OUT, ExecutionResult, StateMachine
from .paths import PathNotFound, compile_path, resolve, select
from .resources import ResourceHandler, ResourceRegistry, TaskContext, TaskResources

__all__ = [
    "DefinitionError",
    "ExecutionResult",
    "FAILED",
    "HistorySink",
    "JsonLinesHistory",
    "NotRedrivable",
    "PathNotFound",
    "RedrivePoint",
    "compile_path",
    "read_events",
    "redrive_point",
    "resolve",
    "ResourceHandler",
    "ResourceRegistry",
    "select",
    "StateMachine",
    "StatesError",
    "SUCCEEDED",
    "TIMED_OUT",
    "TaskContext",
    "TaskFailure",
    "TaskResources",
    "validate_definition",
]
