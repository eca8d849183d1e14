"""Helpers for treating Python values as the JSON texts states exchange."""

from __future__ import annotations

import json
from typing import Any


def compact_json(value: Any) -> str:
    """JSON text without insignificant whitespace, as AWS prints it in error causes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def as_json_value(value: Any) -> Any:
    """A deep, independent copy of `value` restricted to JSON; raises TypeError/ValueError otherwise."""
    return json.loads(json.dumps(value, allow_nan=False))


def is_number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (``int`` or ``float``, not ``bool``)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    """Whether ``value`` is a JSON integer (``int``, not ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values, where `true` is not the number 1 (unlike Python's ==)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) or is_number(right):
        return is_number(left) and is_number(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right
