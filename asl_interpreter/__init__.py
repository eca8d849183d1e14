"""An in-process interpreter for the Amazon States Language (JSONPath query language).

    machine = StateMachine(definition, name="Pipeline", resources=my_resources)
    result = machine.start_execution({"dataset": "s3://..."})
    if result.status != "SUCCEEDED":
        print(result.failed_state, result.error, result.cause)

Task states call `resources.invoke(resource, parameters, context)`; see
TaskResources for how a resource returns a result or fails.
"""

from .errors import DefinitionError, StatesError, TaskFailure
from .history import HistorySink, JsonLinesHistory, NotRedrivable, RedrivePoint, read_events, redrive_point
from .interpreter import FAILED, SUCCEEDED, TIMED_OUT, ExecutionResult, StateMachine
from .resources import ResourceHandler, ResourceRegistry, TaskContext, TaskResources

__all__ = [
    "DefinitionError",
    "ExecutionResult",
    "FAILED",
    "HistorySink",
    "JsonLinesHistory",
    "NotRedrivable",
    "RedrivePoint",
    "read_events",
    "redrive_point",
    "ResourceHandler",
    "ResourceRegistry",
    "StateMachine",
    "StatesError",
    "SUCCEEDED",
    "TIMED_OUT",
    "TaskContext",
    "TaskFailure",
    "TaskResources",
]
