"""Choice Rules: Boolean expressions (And/Or/Not) and data-test expressions."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .errors import NO_CHOICE_MATCHED, RUNTIME, StatesError
from .json_values import is_number
from .paths import PathNotFound, compile_path, resolve
from .timestamps import parse_timestamp

_WRONG_TYPE = object()


def _string_key(value: Any) -> Any:
    # Strings compare like Java's String.compareTo, i.e. by UTF-16 code units.
    return value.encode("utf-16-be") if isinstance(value, str) else _WRONG_TYPE


def _number(value: Any) -> Any:
    return value if is_number(value) else _WRONG_TYPE


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _WRONG_TYPE


def _timestamp(value: Any) -> Any:
    moment = parse_timestamp(value)
    return _WRONG_TYPE if moment is None else moment


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_KINDS: dict[str, Callable[[Any], Any]] = {
    "String": _string_key,
    "Numeric": _number,
    "Boolean": _boolean,
    "Timestamp": _timestamp,
}
_COMPARISONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], bool]]] = {
    kind + relation: (convert, compare)
    for kind, convert in _KINDS.items()
    for relation, compare in _RELATIONS.items()
    if kind != "Boolean" or relation == "Equals"
}
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": is_number,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: parse_timestamp(value) is not None,
}

COMPARISON_OPERATORS = frozenset(
    {*_COMPARISONS, *(name + "Path" for name in _COMPARISONS), *_TYPE_TESTS} | {"IsPresent", "StringMatches"}
)


def comparison_value_problem(operator_name: str, value: Any) -> str | None:
    """Why `value` cannot be the operand of `operator_name` in a definition, or None if it can."""
    if operator_name.endswith("Path"):
        try:
            compile_path(value[1:] if isinstance(value, str) and value.startswith("$$") else value)
        except ValueError as exc:
            return str(exc)
        return None
    if operator_name in _TYPE_TESTS or operator_name == "IsPresent":
        return None if isinstance(value, bool) else "must be a boolean"
    if operator_name == "StringMatches":
        if not isinstance(value, str):
            return "must be a string"
        try:
            _wildcard_pattern(value)
        except ValueError as exc:
            return str(exc)
        return None
    convert, _ = _COMPARISONS[operator_name]
    return None if convert(value) is not _WRONG_TYPE else f"has the wrong type for {operator_name}"


@lru_cache(maxsize=512)
def _wildcard_pattern(pattern: str) -> re.Pattern[str]:
    parts, position = [], 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            escaped = pattern[position + 1 : position + 2]
            if escaped not in ("*", "\\"):
                raise ValueError(f"open escape in StringMatches pattern '{pattern}'")
            parts.append(re.escape(escaped))
            position += 2
        else:
            parts.append(".*" if char == "*" else re.escape(char))
            position += 1
    return re.compile("".join(parts), re.DOTALL)


def choose_next_state(state: dict[str, Any], data: Any, context: Any) -> str:
    """The Next of the first matching Choice Rule, else Default, else States.NoChoiceMatched."""
    for rule in state["Choices"]:
        if rule_matches(rule, data, context):
            return rule["Next"]
    if "Default" in state:
        return state["Default"]
    raise StatesError(NO_CHOICE_MATCHED, "No Choice Rule matched and no Default was given")


def rule_matches(rule: dict[str, Any], data: Any, context: Any) -> bool:
    """Whether a Choice Rule (a validated one: And/Or/Not or one comparison on ``Variable``) matches ``data``;
    ``$$`` paths read ``context``. Raises StatesError (States.Runtime) when ``Variable`` matches nothing."""
    if "And" in rule:
        return all(rule_matches(inner, data, context) for inner in rule["And"])
    if "Or" in rule:
        return any(rule_matches(inner, data, context) for inner in rule["Or"])
    if "Not" in rule:
        return not rule_matches(rule["Not"], data, context)
    operator_name = next(key for key in rule if key in COMPARISON_OPERATORS)
    expected = rule[operator_name]
    try:
        variable = resolve(rule["Variable"], data, context)
    except PathNotFound:
        if operator_name == "IsPresent":
            return expected is False
        raise _invalid_path(rule["Variable"]) from None
    if operator_name == "IsPresent":
        return expected is True
    if operator_name in _TYPE_TESTS:
        return _TYPE_TESTS[operator_name](variable) == expected
    if operator_name == "StringMatches":
        return isinstance(variable, str) and bool(_wildcard_pattern(expected).fullmatch(variable))
    if operator_name.endswith("Path"):
        operator_name = operator_name[: -len("Path")]
        try:
            expected = resolve(expected, data, context)
        except PathNotFound:
            raise _invalid_path(rule[operator_name + "Path"]) from None
    convert, compare = _COMPARISONS[operator_name]
    left, right = convert(variable), convert(expected)
    return left is not _WRONG_TYPE and right is not _WRONG_TYPE and compare(left, right)


def _invalid_path(path: str) -> StatesError:
    return StatesError(
        RUNTIME, f"Invalid path '{path}': The choice state's condition path references an invalid value."
    )
