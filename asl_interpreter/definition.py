"""Up-front validation of a state machine definition (JSONPath query language).

Everything is checked before an execution starts, so a broken definition
fails with a DefinitionError naming the state, never half-way through a run.
Fields this interpreter does not implement are rejected by name rather than
silently ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, NoReturn

from .choice import COMPARISON_OPERATORS, comparison_value_problem
from .errors import STATES_ALL, DefinitionError
from .intrinsic_functions import validate_invocation
from .intrinsic_parser import IntrinsicSyntaxError, parse_intrinsic
from .json_values import is_integer, is_number
from .paths import compile_path, is_reference_path
from .timestamps import parse_timestamp

MAX_STATE_NAME_LENGTH = 80

_COMMON = {"Type", "Comment", "QueryLanguage"}
_FILTERS = {"InputPath", "OutputPath"}
_TRANSITION = {"Next", "End"}
_RESULT_PROCESSING = {"Parameters", "ResultSelector", "ResultPath", "Retry", "Catch"}
_TASK_FIELDS = {"Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"}
_MAP_FIELDS = {"ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "MaxConcurrency", "MaxConcurrencyPath"}

_ALLOWED_FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON | _FILTERS | _TRANSITION | {"Result", "ResultPath", "Parameters"},
    "Task": _COMMON | _FILTERS | _TRANSITION | _RESULT_PROCESSING | _TASK_FIELDS,
    "Choice": _COMMON | _FILTERS | {"Choices", "Default"},
    "Wait": _COMMON | _FILTERS | _TRANSITION | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON | _FILTERS,
    "Fail": _COMMON | {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _FILTERS | _TRANSITION | _RESULT_PROCESSING | {"Branches"},
    "Map": _COMMON | _FILTERS | _TRANSITION | _RESULT_PROCESSING | _MAP_FIELDS,
}
_UNSUPPORTED_FIELDS = {
    "Assign", "Arguments", "Output", "Credentials", "Label", "ItemReader", "ItemBatcher",
    "ResultWriter", "ToleratedFailureCount", "ToleratedFailureCountPath",
    "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
}  # fmt: skip
_RETRIER_FIELDS = {
    "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
    "JitterStrategy", "Comment",
}  # fmt: skip
_CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Comment"}
_TOP_LEVEL_FIELDS = {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}
_NESTED_MACHINE_FIELDS = {"StartAt", "States", "Comment"}
_PROCESSOR_MODES = {"INLINE", "DISTRIBUTED"}


def validate_definition(definition: Any) -> None:
    """Raise DefinitionError describing the first problem found in `definition`."""
    _Validator().machine(definition, where="", allowed_fields=_TOP_LEVEL_FIELDS)


class _Validator:
    def __init__(self) -> None:
        self.state_names: set[str] = set()

    def machine(self, machine: Any, where: str, allowed_fields: set[str]) -> None:
        if not isinstance(machine, dict):
            raise DefinitionError(f"{where}a state machine must be a JSON object")
        self.fields(machine, allowed_fields, where.rstrip("> ") or "The definition")
        states = machine.get("States")
        if not isinstance(states, dict) or not states:
            raise DefinitionError(f"{where}'States' must be a non-empty object")
        start_at = machine.get("StartAt")
        if not isinstance(start_at, str):
            raise DefinitionError(f"{where}'StartAt' is missing or not a string")
        if start_at not in states:
            raise DefinitionError(f"{where}'StartAt' names '{start_at}', which is not a state here")
        if machine.get("QueryLanguage", "JSONPath") != "JSONPath":
            raise DefinitionError(f"{where}only the JSONPath query language is supported")
        timeout = machine.get("TimeoutSeconds")
        if timeout is not None and not (is_integer(timeout) and timeout > 0):
            raise DefinitionError(f"{where}'TimeoutSeconds' must be a positive integer")
        for name, state in states.items():
            _StateValidator(self, name, state, states, where).validate()
        self.reachability(start_at, states, where)

    def fields(self, body: dict[str, Any], allowed: set[str], owner: str) -> None:
        for field in body:
            if field in _UNSUPPORTED_FIELDS:
                raise DefinitionError(f"{owner}: field '{field}' is not supported by this interpreter")
            if field not in allowed:
                raise DefinitionError(f"{owner}: unknown field '{field}'")

    def reachability(self, start_at: str, states: dict[str, Any], where: str) -> None:
        reached, pending = {start_at}, deque([start_at])
        while pending:
            for target in _transitions(states[pending.popleft()]):
                if target not in reached:
                    reached.add(target)
                    pending.append(target)
        for name in states:
            if name not in reached:
                raise DefinitionError(f"{where}State '{name}': it is not reachable from '{start_at}'")


def _transitions(state: dict[str, Any]) -> Iterable[str]:
    if "Next" in state:
        yield state["Next"]
    if "Default" in state:
        yield state["Default"]
    for rule in state.get("Choices", []):
        yield rule["Next"]
    for catcher in state.get("Catch", []):
        yield catcher["Next"]


class _StateValidator:
    def __init__(self, validator: _Validator, name: str, state: Any, scope: dict[str, Any], where: str) -> None:
        self.validator = validator
        self.name = name
        self.state = state
        self.scope = scope
        self.where = f"{where}State '{name}'"

    def fail(self, problem: str) -> NoReturn:
        raise DefinitionError(f"{self.where}: {problem}")

    def validate(self) -> None:
        if len(self.name) > MAX_STATE_NAME_LENGTH:
            self.fail(f"state names must be at most {MAX_STATE_NAME_LENGTH} characters")
        if self.name in self.validator.state_names:
            self.fail("state names must be unique within the whole state machine")
        self.validator.state_names.add(self.name)
        if not isinstance(self.state, dict):
            self.fail("a state must be a JSON object")
        state_type = self.state.get("Type")
        if state_type not in _ALLOWED_FIELDS:
            self.fail(f"unknown state type {state_type!r}")
        self.validator.fields(self.state, _ALLOWED_FIELDS[state_type], self.where)
        if self.state.get("QueryLanguage", "JSONPath") != "JSONPath":
            self.fail("only the JSONPath query language is supported")
        self.transition(state_type)
        self.filters()
        getattr(self, f"validate_{state_type.lower()}")()

    def transition(self, state_type: str) -> None:
        if "Next" not in _ALLOWED_FIELDS[state_type]:
            return
        has_next, ends = "Next" in self.state, self.state.get("End") is True
        if "End" in self.state and self.state["End"] is not True:
            self.fail("'End' must be true when present")
        if has_next == ends:
            self.fail("exactly one of 'Next' or \"End\": true is required")
        if has_next:
            self.target(self.state["Next"], "Next")

    def target(self, name: Any, field: str) -> None:
        if not isinstance(name, str) or name not in self.scope:
            self.fail(f"'{field}' points to {name!r}, which is not a state in the same scope")

    def filters(self) -> None:
        for field in ("InputPath", "OutputPath"):
            if self.state.get(field) is not None:
                self.path(field, self.state[field])
        if self.state.get("ResultPath") is not None:
            self.result_path(self.state["ResultPath"], "ResultPath")
        for field in ("Parameters", "ResultSelector", "ItemSelector"):
            if field in self.state:
                if not isinstance(self.state[field], dict):
                    self.fail(f"'{field}' must be a JSON object")
                self.payload_template(self.state[field], field)

    def path(self, field: str, value: Any) -> None:
        try:
            compile_path(value[1:] if isinstance(value, str) and value.startswith("$$") else value)
        except ValueError as exc:
            self.fail(f"'{field}': {exc}")

    def reference_path(self, field: str, value: Any) -> None:
        self.path(field, value)
        if not is_reference_path(value[1:] if value.startswith("$$") else value):
            self.fail(f"'{field}' must be a Reference Path (a single node), got '{value}'")

    def result_path(self, value: Any, field: str) -> None:
        if isinstance(value, str) and value.startswith("$$"):
            self.fail(f"'{field}' must not point into the context object")
        self.reference_path(field, value)

    def intrinsic(self, field: str, value: str) -> None:
        try:
            validate_invocation(parse_intrinsic(value))
        except IntrinsicSyntaxError as exc:
            self.fail(f"'{field}': {exc}")

    def payload_template(self, template: Any, field: str) -> None:
        if isinstance(template, list):
            for item in template:
                self.payload_template(item, field)
        if not isinstance(template, dict):
            return
        names = [key[:-2] if key.endswith(".$") else key for key in template]
        if len(names) != len(set(names)):
            self.fail(f"'{field}' has duplicate field names once '.$' is removed")
        for key, value in template.items():
            if not key.endswith(".$"):
                self.payload_template(value, field)
            elif not isinstance(value, str):
                self.fail(f"'{field}': the value of '{key}' must be a string")
            elif value.startswith("$"):
                self.path(f"{field}.{key}", value)
            else:
                self.intrinsic(f"{field}.{key}", value)

    def positive_integer(self, field: str, allow_zero: bool = False) -> None:
        value = self.state.get(field)
        if field in self.state and not (is_integer(value) and value >= (0 if allow_zero else 1)):
            self.fail(f"'{field}' must be a {'non-negative' if allow_zero else 'positive'} integer")

    def one_of(self, literal: str, path: str) -> None:
        if literal in self.state and path in self.state:
            self.fail(f"'{literal}' and '{path}' are mutually exclusive")
        if path in self.state:
            self.reference_path(path, self.state[path])

    def validate_pass(self) -> None:
        pass

    def validate_succeed(self) -> None:
        pass

    def validate_task(self) -> None:
        if not isinstance(self.state.get("Resource"), str):
            self.fail("'Resource' is required and must be a string")
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.positive_integer(field)
            self.one_of(field, field + "Path")
        timeout, heartbeat = self.state.get("TimeoutSeconds"), self.state.get("HeartbeatSeconds")
        if timeout is not None and heartbeat is not None and heartbeat >= timeout:
            self.fail("'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'")
        self.error_handling()

    def validate_choice(self) -> None:
        choices = self.state.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.fail("'Choices' must be a non-empty array")
        for rule in choices:
            self.choice_rule(rule, top_level=True)
        if "Default" in self.state:
            self.target(self.state["Default"], "Default")

    def choice_rule(self, rule: Any, top_level: bool) -> None:
        if not isinstance(rule, dict):
            self.fail("a Choice Rule must be a JSON object")
        if top_level:
            self.target(rule.get("Next"), "Next")
        elif "Next" in rule:
            self.fail("only top-level Choice Rules may have 'Next'")
        allowed = {"Next", "Comment"}
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        if combinators:
            combinator = combinators[0]
            allowed.add(combinator)
            inner = rule[combinator]
            if combinator == "Not":
                self.choice_rule(inner, top_level=False)
            elif not isinstance(inner, list) or not inner:
                self.fail(f"'{combinator}' must be a non-empty array of Choice Rules")
            else:
                for inner_rule in inner:
                    self.choice_rule(inner_rule, top_level=False)
        else:
            if not isinstance(rule.get("Variable"), str):
                self.fail("a Choice Rule needs 'Variable' (or And/Or/Not)")
            self.path("Variable", rule["Variable"])
            operators = [key for key in rule if key in COMPARISON_OPERATORS]
            if len(operators) != 1:
                self.fail(f"a Choice Rule needs exactly one comparison operator, found {operators}")
            problem = comparison_value_problem(operators[0], rule[operators[0]])
            if problem:
                self.fail(f"'{operators[0]}' {problem}")
            allowed |= {"Variable", operators[0]}
        unknown = set(rule) - allowed
        if unknown:
            self.fail(f"unexpected field(s) {sorted(unknown)} in a Choice Rule")

    def validate_wait(self) -> None:
        given = [f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in self.state]
        if len(given) != 1:
            self.fail("exactly one of Seconds, SecondsPath, Timestamp or TimestampPath is required")
        self.positive_integer("Seconds", allow_zero=True)
        if "Timestamp" in self.state and parse_timestamp(self.state["Timestamp"]) is None:
            self.fail(f"'Timestamp' is not an RFC 3339 timestamp: {self.state['Timestamp']!r}")
        for field in ("SecondsPath", "TimestampPath"):
            if field in self.state:
                self.reference_path(field, self.state[field])

    def validate_fail(self) -> None:
        for literal in ("Error", "Cause"):
            path = literal + "Path"
            if literal in self.state and path in self.state:
                self.fail(f"'{literal}' and '{path}' are mutually exclusive")
            if literal in self.state and not isinstance(self.state[literal], str):
                self.fail(f"'{literal}' must be a string")
            value = self.state.get(path)
            if path not in self.state:
                continue
            if isinstance(value, str) and value.startswith("$"):
                self.reference_path(path, value)
            elif isinstance(value, str):
                self.intrinsic(path, value)
            else:
                self.fail(f"'{path}' must be a Reference Path or an intrinsic function")

    def validate_parallel(self) -> None:
        branches = self.state.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.fail("'Branches' must be a non-empty array")
        for index, branch in enumerate(branches):
            self.validator.machine(branch, f"{self.where} > branch {index} > ", _NESTED_MACHINE_FIELDS)
        self.error_handling()

    def validate_map(self) -> None:
        processors = [field for field in ("ItemProcessor", "Iterator") if field in self.state]
        if len(processors) != 1:
            self.fail("exactly one of 'ItemProcessor' or 'Iterator' is required")
        if "ItemSelector" in self.state and "Parameters" in self.state:
            self.fail("'ItemSelector' and 'Parameters' are mutually exclusive")
        processor = self.state[processors[0]]
        allowed = _NESTED_MACHINE_FIELDS | ({"ProcessorConfig"} if processors[0] == "ItemProcessor" else set())
        self.validator.machine(processor, f"{self.where} > {processors[0]} > ", allowed)
        config = processor.get("ProcessorConfig", {})
        if not isinstance(config, dict) or config.get("Mode", "INLINE") not in _PROCESSOR_MODES:
            self.fail(f"'ProcessorConfig' must be an object with Mode one of {sorted(_PROCESSOR_MODES)}")
        if "ItemsPath" in self.state:
            self.reference_path("ItemsPath", self.state["ItemsPath"])
        self.positive_integer("MaxConcurrency", allow_zero=True)
        self.one_of("MaxConcurrency", "MaxConcurrencyPath")
        self.error_handling()

    def error_handling(self) -> None:
        retriers, catchers = self.state.get("Retry", []), self.state.get("Catch", [])
        if not isinstance(retriers, list) or not isinstance(catchers, list):
            self.fail("'Retry' and 'Catch' must be arrays")
        for index, retrier in enumerate(retriers):
            self.error_equals(retrier, "Retry", is_last=index == len(retriers) - 1)
            self.validator.fields(retrier, _RETRIER_FIELDS, f"{self.where} Retry[{index}]")
            self.retrier_numbers(retrier, index)
        for index, catcher in enumerate(catchers):
            self.error_equals(catcher, "Catch", is_last=index == len(catchers) - 1)
            self.validator.fields(catcher, _CATCHER_FIELDS, f"{self.where} Catch[{index}]")
            self.target(catcher.get("Next"), f"Catch[{index}].Next")
            if catcher.get("ResultPath") is not None:
                self.result_path(catcher["ResultPath"], f"Catch[{index}].ResultPath")

    def error_equals(self, handler: Any, field: str, is_last: bool) -> None:
        if not isinstance(handler, dict):
            self.fail(f"every element of '{field}' must be a JSON object")
        names = handler.get("ErrorEquals")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.fail(f"'{field}': 'ErrorEquals' must be a non-empty array of strings")
        if STATES_ALL in names and (len(names) > 1 or not is_last):
            self.fail(f"'{field}': States.ALL must appear alone, in the last element")

    def retrier_numbers(self, retrier: dict[str, Any], index: int) -> None:
        checks = {
            "IntervalSeconds": lambda v: is_integer(v) and v > 0,
            "MaxAttempts": lambda v: is_integer(v) and v >= 0,
            "MaxDelaySeconds": lambda v: is_integer(v) and v > 0,
            "BackoffRate": lambda v: is_number(v) and v >= 1.0,
            "JitterStrategy": lambda v: v in ("FULL", "NONE"),
        }
        for field, is_valid in checks.items():
            if field in retrier and not is_valid(retrier[field]):
                self.fail(f"Retry[{index}]: invalid {field} {retrier[field]!r}")
