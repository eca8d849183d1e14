"""JSONPath for the States Language: Paths, Reference Paths, InputPath/OutputPath and ResultPath.

Parsing and matching are done by jsonpath-ng; this module adds the States
Language rules on top (context paths, definite vs. indefinite results,
Reference Paths and writing a result into the raw input).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.ext import parse as parse_jsonpath
from jsonpath_ng.jsonpath import Child, Fields, Index, Root

from .errors import RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from .json_values import as_json_value, compact_json

Step = str | int


class PathNotFound(LookupError):
    """A Path matched nothing in the data it was applied to."""


@lru_cache(maxsize=2048)
def compile_path(path: str) -> JSONPath:
    """Parse a Path (starting with `$`) into a jsonpath-ng expression; raises ValueError if it is not one.

    ``compile_path(path).find(data)`` yields each match with its value and where it was found
    (``match.path``), for callers that need the matched keys rather than the values alone.
    """
    if not isinstance(path, str) or not path.startswith("$"):
        raise ValueError(f"'{path}' is not a JSONPath: it must start with '$'")
    try:
        return parse_jsonpath(path)
    except Exception as exc:
        raise ValueError(f"'{path}' is not a valid JSONPath: {exc}") from exc


def reference_steps(path: str) -> list[Step] | None:
    """The field names and indices a Reference Path walks, or None if `path` is not one."""
    return _steps(compile_path(path))


def is_reference_path(path: str) -> bool:
    """Whether ``path`` is a Reference Path: fields and single indices only, naming at most one node."""
    return reference_steps(path) is not None


def _steps(expression: JSONPath) -> list[Step] | None:
    if isinstance(expression, Root):
        return []
    if isinstance(expression, Child):
        left, right = _steps(expression.left), _single_step(expression.right)
        if left is None or right is None:
            return None
        return left + [right]
    return None


def _single_step(node: JSONPath) -> Step | None:
    if type(node) is Fields and len(node.fields) == 1 and node.fields[0] != "*":
        return node.fields[0]
    if type(node) is Index and len(node.indices) == 1:
        return node.indices[0]
    return None


def select(path: str, data: Any) -> Any:
    """Apply a Path to `data`.

    A definite path (one that names a single node) yields that node's value,
    and raises PathNotFound when there is none; any other path (a wildcard, a
    slice, a filter) yields the list of all matches, `[]` when nothing matches,
    as Jayway JSONPath does and AWS returns. Raises ValueError if `path` is not a Path.
    """
    expression = compile_path(path)
    matches = [match.value for match in expression.find(data)]
    if _steps(expression) is None:
        return matches
    if not matches:
        raise PathNotFound(path)
    return matches[0]


def resolve(path: str, data: Any, context: Any) -> Any:
    """Apply a Path to `data`, or to the context object when it starts with `$$`."""
    if path.startswith("$$"):
        return select(path[1:], context)
    return select(path, data)


def normalized(path: str) -> str:
    """The bracketed form Jayway prints in its messages, e.g. `$['a'][0]`."""
    steps = reference_steps(path) if not path.startswith("$$") else None
    if steps is None:
        return path
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f"['{step}']" for step in steps)


def apply_filter_path(data: Any, path: str | None, context: Any = None) -> Any:
    """InputPath/OutputPath: select part of `data` (or of the context object with `$$`); `null` yields `{}`."""
    if path is None:
        return {}
    try:
        return resolve(path, data, context)
    except PathNotFound:
        raise invalid_path_error(path) from None


def invalid_path_error(path: str) -> StatesError:
    """The States.Runtime failure AWS reports when a path in a state's fields matches nothing."""
    return StatesError(RUNTIME, f"Invalid path '{path}' : No results for path: {normalized(path)}")


def insert_result(raw_input: Any, result_path: str | None, result: Any) -> Any:
    """ResultPath: place `result` into a copy of the raw input; `null` keeps the raw input."""
    if result_path is None:
        return raw_input
    steps = reference_steps(result_path)
    if not steps:
        return result
    # A JSON round trip rather than deepcopy, so no two places of the output share an object.
    output, result = as_json_value(raw_input), as_json_value(result)
    node = output
    for position, step in enumerate(steps):
        is_last = position == len(steps) - 1
        if isinstance(step, str) and isinstance(node, dict):
            if is_last:
                node[step] = result
            else:
                node = node.setdefault(step, {})
        elif isinstance(step, int) and isinstance(node, list) and -len(node) <= step < len(node):
            if is_last:
                node[step] = result
            else:
                node = node[step]
        else:
            raise StatesError(
                RESULT_PATH_MATCH_FAILURE,
                f"Unable to apply ResultPath '{result_path}' to input '{compact_json(raw_input)}'",
            )
    return output
