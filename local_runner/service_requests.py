"""Every service request the offline runner executes, checked against the shapes AWS publishes.

AWS refuses a request whose parameters do not fit the operation's input shape; offline nothing
would. So before a local stand-in runs, its request is validated against botocore's service model
for that operation (the same JSON models the AWS SDKs are generated from):

* ``botocore.validate.ParamValidator``: required members, unknown members, types, minimum
  lengths and values;
* and what botocore leaves to the service: maximum lengths, sizes and values, ``enum`` values and
  ``pattern`` s (full match, as the services' Java validators apply them).

A request that fails is refused with ``States.Runtime`` naming the parameter, as Step Functions
refuses a Task whose parameters cannot be used to start it ("The Parameters ... could not be used
to start the Task: [...]"), before anything runs. :class:`RequestValidator` counts what it checked,
per operation.

A Task state names an optimized integration with the API's own member names
(``sagemaker:createTrainingJob`` takes CreateTrainingJob's members as they are); the ones whose
Parameters differ from the SDK request are mapped by :func:`sdk_request`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator

from asl_interpreter.errors import RUNTIME, StatesError

OPERATIONS: dict[str, tuple[str, str]] = {
    "sagemaker:createTrainingJob.sync": ("sagemaker", "CreateTrainingJob"),
    "sagemaker:createModel": ("sagemaker", "CreateModel"),
    "sagemaker:createTransformJob.sync": ("sagemaker", "CreateTransformJob"),
    "sagemaker:createLabelingJob.sync": ("sagemaker", "CreateLabelingJob"),
    "states:startExecution.sync:2": ("stepfunctions", "StartExecution"),
    "lambda:invoke.waitForTaskToken": ("lambda", "Invoke"),
}
"""Integration (after ``arn:<partition>:states:::``) -> (botocore service, operation)."""

_SHOWN_VALUES = 8
LAMBDA_INVOKE = ("lambda", "Invoke")
"""A Task whose Resource is a function ARN invokes it with the state's input as the payload."""


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    """botocore's model of one operation (its request shape), loaded once per (service, operation).

    botocore raises UnknownServiceError or OperationNotFoundError for a name it does not know.
    """
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


def sdk_request(service: str, operation: str, parameters: Any) -> dict[str, Any]:
    """The SDK request a Task's effective parameters become.

    Step Functions passes an optimized integration's Parameters through, except: StartExecution's
    ``Input`` may be JSON (sent as its text) and its members are PascalCase in the definition;
    Lambda's ``Payload`` may be JSON (sent as its UTF-8 text).
    """
    if (service, operation) == ("stepfunctions", "StartExecution"):
        request = {key[:1].lower() + key[1:]: value for key, value in parameters.items()}
        if "input" in request and not isinstance(request["input"], str):
            request["input"] = json.dumps(request["input"], separators=(",", ":"))
        return request
    if (service, operation) == ("lambda", "Invoke"):
        request = dict(parameters)
        if "Payload" in request and not isinstance(request["Payload"], (bytes, str)):
            request["Payload"] = json.dumps(request["Payload"], separators=(",", ":")).encode("utf-8")
        return request
    return parameters


def problems(params: Any, shape: Shape) -> list[str]:
    """Every way ``params`` does not fit ``shape``, each naming the parameter; empty when it fits."""
    report = ParamValidator().validate(params, shape)
    found = [line.strip() for line in report.generate_report().splitlines()] if report.has_errors() else []
    _limits(params, shape, "", found)
    return found


def _limits(value: Any, shape: Shape, name: str, found: list[str]) -> None:
    """Maximums, enums and patterns, which botocore leaves to the service."""
    where = name or "the request"
    metadata = shape.metadata
    maximum = metadata.get("max")
    if isinstance(value, str):
        if maximum is not None and len(value) > maximum:
            found.append(f"Invalid length for parameter {where}, value: {len(value)}, valid max length: {maximum}")
        if shape.enum and value not in shape.enum:
            shown = ", ".join(shape.enum[:_SHOWN_VALUES]) + (", ..." if len(shape.enum) > _SHOWN_VALUES else "")
            found.append(f"Invalid value for parameter {where}: {value!r}, valid values ({len(shape.enum)}): {shown}")
        pattern = _pattern(metadata.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            found.append(f"Invalid value for parameter {where}: {value!r} does not match {pattern.pattern!r}")
    elif isinstance(value, (bytes, bytearray)):
        if maximum is not None and len(value) > maximum:
            found.append(f"Invalid length for parameter {where}, value: {len(value)}, valid max length: {maximum}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if maximum is not None and value > maximum:
            found.append(f"Invalid range for parameter {where}, value: {value}, valid max value: {maximum}")
    elif isinstance(value, dict) and isinstance(shape, StructureShape):
        for key, member in value.items():
            if key in shape.members:
                _limits(member, shape.members[key], f"{name}.{key}" if name else key, found)
    elif isinstance(value, dict) and isinstance(shape, MapShape):
        if maximum is not None and len(value) > maximum:
            found.append(f"Invalid length for parameter {where}, value: {len(value)}, valid max length: {maximum}")
        for key, member in value.items():
            _limits(key, shape.key, f"{where} key {key!r}", found)
            _limits(member, shape.value, f"{name}.{key}", found)
    elif isinstance(value, list) and isinstance(shape, ListShape):
        if maximum is not None and len(value) > maximum:
            found.append(f"Invalid length for parameter {where}, value: {len(value)}, valid max length: {maximum}")
        for index, member in enumerate(value):
            _limits(member, shape.member, f"{name}[{index}]", found)


@cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    """A model pattern as a Python regex; None when absent or written in Java syntax Python lacks."""
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


class RequestValidator:
    """Validates requests before they run; ``counts`` holds how many of each operation passed."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def validate(self, service: str, operation: str, parameters: Any, *, state_name: str) -> None:
        """Refuse (``States.Runtime``) a request that does not fit the operation's input shape."""
        request = sdk_request(service, operation, parameters)
        found = problems(request, operation_model(service, operation).input_shape)
        if found:
            raise StatesError(
                RUNTIME,
                f"An error occurred while executing the state '{state_name}'. The Parameters could not be used to "
                f"start the Task ({service} {operation}): [{'; '.join(found)}]",
            )
        self.counts[f"{service}:{operation}"] += 1

    def summary(self) -> str:
        """``sagemaker:CreateTrainingJob 3, ...``: how many requests of each operation passed."""
        return ", ".join(f"{operation} {count}" for operation, count in sorted(self.counts.items())) or "none"
