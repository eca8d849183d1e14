"""The States.* intrinsic functions: validation of invocations and their evaluation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import INTRINSIC_FAILURE, StatesError
from .intrinsic_parser import Argument, IntrinsicSyntaxError, Invocation, Literal, PathArgument
from .json_values import compact_json, is_number, json_equal
from .paths import resolve

MAX_STRING_LENGTH = 10_000
MAX_RANGE_ITEMS = 1000


class _InvalidArguments(Exception):
    pass


@dataclass(frozen=True)
class _Signature:
    implementation: Callable[..., Any]
    min_arguments: int
    max_arguments: int | None
    needs_rng: bool = False


@dataclass(frozen=True)
class _Template:
    """The first argument of States.Format with the offsets of its `{}` placeholders."""

    text: str
    placeholders: tuple[int, ...]


def validate_invocation(invocation: Invocation) -> None:
    """Check function names and argument counts, recursively; raises IntrinsicSyntaxError."""
    signature = _FUNCTIONS.get(invocation.name)
    if signature is None:
        raise IntrinsicSyntaxError(f"Unknown intrinsic function '{invocation.name}'")
    count = len(invocation.arguments)
    if count < signature.min_arguments or (signature.max_arguments is not None and count > signature.max_arguments):
        raise IntrinsicSyntaxError(f"{invocation.name} takes {_arity(signature)} argument(s), {count} given")
    if invocation.name == "States.JsonToString" and not isinstance(invocation.arguments[0], PathArgument):
        raise IntrinsicSyntaxError("The argument of States.JsonToString must be a Path")
    for argument in invocation.arguments:
        if isinstance(argument, Invocation):
            validate_invocation(argument)


def _arity(signature: _Signature) -> str:
    if signature.max_arguments is None:
        return f"at least {signature.min_arguments}"
    if signature.max_arguments == signature.min_arguments:
        return str(signature.min_arguments)
    return f"{signature.min_arguments} to {signature.max_arguments}"


def evaluate_intrinsic(invocation: Invocation, data: Any, context: Any, rng: random.Random) -> Any:
    """Evaluate an invocation against the payload template's input and the context object.

    Raises StatesError(States.IntrinsicFailure) when a function rejects its
    arguments, and paths.PathNotFound when a Path argument matches nothing.
    """
    values = [_argument_value(argument, data, context, rng) for argument in invocation.arguments]
    signature = _FUNCTIONS[invocation.name]
    if invocation.name == "States.Format":
        values[0] = _template(invocation.arguments[0], values[0])
    try:
        if signature.needs_rng:
            return signature.implementation(rng, *values)
        return signature.implementation(*values)
    except _InvalidArguments as exc:
        raise StatesError(INTRINSIC_FAILURE, f"Invalid arguments in {invocation.name}: {exc}") from None


def _argument_value(argument: Argument, data: Any, context: Any, rng: random.Random) -> Any:
    if isinstance(argument, Literal):
        return argument.value
    if isinstance(argument, PathArgument):
        return resolve(argument.path, data, context)
    return evaluate_intrinsic(argument, data, context, rng)


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise _InvalidArguments(problem)


def _integer(value: Any, name: str) -> int:
    _require(is_number(value) and float(value).is_integer(), f"{name} must be an integer")
    return int(value)


def _rounded_integer(value: Any, name: str) -> int:
    # AWS rounds non-integer numbers to the nearest integer here (Java's Math.round).
    _require(is_number(value), f"{name} must be a number")
    return math.floor(value + 0.5)


def _array(value: Any) -> list[Any]:
    _require(isinstance(value, list), "the first argument must be an array")
    return value


def _bounded_string(value: Any) -> str:
    _require(isinstance(value, str), "the argument must be a string")
    _require(len(value) <= MAX_STRING_LENGTH, f"the string exceeds {MAX_STRING_LENGTH} characters")
    return value


def _template(argument: Argument, value: Any) -> _Template | Any:
    if isinstance(argument, Literal) and isinstance(value, str):
        return _Template(value, argument.placeholders)
    if isinstance(value, str):
        return _Template(value, tuple(_find_all(value, "{}")))
    return value


def _format(template: Any, *arguments: Any) -> str:
    _require(isinstance(template, _Template), "the template must be a string")
    placeholders = template.placeholders
    _require(
        len(placeholders) == len(arguments),
        f"the template has {len(placeholders)} placeholder(s) but {len(arguments)} value(s) were given",
    )
    parts, last = [], 0
    for offset, value in zip(placeholders, arguments, strict=True):
        parts += [template.text[last:offset], _natural_string(value)]
        last = offset + 2
    return "".join(parts) + template.text[last:]


def _find_all(text: str, needle: str) -> list[int]:
    offsets, start = [], text.find(needle)
    while start != -1:
        offsets.append(start)
        start = text.find(needle, start + len(needle))
    return offsets


def _natural_string(value: Any) -> str:
    """A value as States.Format writes it: strings as they are, objects and arrays as Java prints its maps
    and lists (``{Arg1=1, Arg2=[]}``), as executions recorded on AWS show (LocalStack's test_format_2)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_natural_string(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_natural_string(item) for item in value) + "]"
    return json.dumps(value)


def _string_to_json(text: Any) -> Any:
    _require(isinstance(text, str), "the argument must be a string")
    if not text.strip():
        return None  # AWS returns null for an empty or blank string (recorded: LocalStack's test_string_to_json)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise _InvalidArguments(f"the argument is not JSON text: {exc}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _array_partition(array: Any, chunk_size: Any) -> list[list[Any]]:
    items, size = _array(array), _integer(chunk_size, "the chunk size")
    _require(size > 0, "the chunk size must be positive")
    return [items[start : start + size] for start in range(0, len(items), size)]


def _array_contains(array: Any, value: Any) -> bool:
    return any(json_equal(item, value) for item in _array(array))


def _array_range(first: Any, last: Any, step: Any) -> list[int]:
    start, end = _integer(first, "the first element"), _integer(last, "the last element")
    increment = _integer(step, "the step")
    _require(increment != 0, "the step must not be zero")
    numbers = range(start, end + (1 if increment > 0 else -1), increment)
    _require(len(numbers) <= MAX_RANGE_ITEMS, f"the range exceeds {MAX_RANGE_ITEMS} items")
    return list(numbers)


def _array_get_item(array: Any, index: Any) -> Any:
    items, position = _array(array), _integer(index, "the index")
    _require(0 <= position < len(items), f"index {position} is out of bounds")
    return items[position]


def _array_length(array: Any) -> int:
    return len(_array(array))


def _array_unique(array: Any) -> list[Any]:
    unique: list[Any] = []
    for item in _array(array):
        if not any(json_equal(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _base64_encode(text: Any) -> str:
    return base64.b64encode(_bounded_string(text).encode("utf-8")).decode("ascii")


def _base64_decode(encoded: Any) -> str:
    try:
        return base64.b64decode(_bounded_string(encoded), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _InvalidArguments(f"the argument is not Base64-encoded UTF-8: {exc}") from None


_HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(data: Any, algorithm: Any) -> str:
    _require(algorithm in _HASH_ALGORITHMS, f"unsupported algorithm {algorithm!r}")
    text = data if isinstance(data, str) else compact_json(data)
    _require(len(text) <= MAX_STRING_LENGTH, f"the data exceeds {MAX_STRING_LENGTH} characters")
    return hashlib.new(_HASH_ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(first: Any, second: Any, deep: Any) -> dict[str, Any]:
    _require(isinstance(first, dict) and isinstance(second, dict), "both values must be objects")
    _require(isinstance(deep, bool), "the third argument must be a boolean")
    return _merge(first, second, deep)


def _merge(first: dict[str, Any], second: dict[str, Any], deep: bool) -> dict[str, Any]:
    merged = dict(first)
    for key, value in second.items():
        if deep and isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value, deep)
        else:
            merged[key] = value
    return merged


def _math_random(rng: random.Random, start: Any, end: Any, seed: Any = None) -> int:
    low, high = _rounded_integer(start, "the start"), _rounded_integer(end, "the end")
    _require(low <= high, "the start must not exceed the end")
    generator = rng if seed is None else random.Random(_rounded_integer(seed, "the seed"))
    # The spec says only "between start and end"; both bounds are included here.
    return generator.randint(low, high)


def _math_add(first: Any, second: Any) -> int:
    return _rounded_integer(first, "the first value") + _rounded_integer(second, "the second value")


def _string_split(text: Any, delimiters: Any) -> list[str]:
    _require(isinstance(text, str) and isinstance(delimiters, str), "both arguments must be strings")
    # Every character of the second argument delimits, and empty pieces are dropped, as AWS does.
    pieces = re.split("|".join(map(re.escape, delimiters)), text) if delimiters else [text]
    return [piece for piece in pieces if piece]


def _uuid() -> str:
    return str(uuid.uuid4())


_FUNCTIONS: dict[str, _Signature] = {
    "States.Format": _Signature(_format, 1, None),
    "States.StringToJson": _Signature(_string_to_json, 1, 1),
    "States.JsonToString": _Signature(compact_json, 1, 1),
    "States.Array": _Signature(lambda *values: list(values), 0, None),
    "States.ArrayPartition": _Signature(_array_partition, 2, 2),
    "States.ArrayContains": _Signature(_array_contains, 2, 2),
    "States.ArrayRange": _Signature(_array_range, 3, 3),
    "States.ArrayGetItem": _Signature(_array_get_item, 2, 2),
    "States.ArrayLength": _Signature(_array_length, 1, 1),
    "States.ArrayUnique": _Signature(_array_unique, 1, 1),
    "States.Base64Encode": _Signature(_base64_encode, 1, 1),
    "States.Base64Decode": _Signature(_base64_decode, 1, 1),
    "States.Hash": _Signature(_hash, 2, 2),
    "States.JsonMerge": _Signature(_json_merge, 3, 3),
    "States.MathRandom": _Signature(_math_random, 2, 3, needs_rng=True),
    "States.MathAdd": _Signature(_math_add, 2, 2),
    "States.StringSplit": _Signature(_string_split, 2, 2),
    "States.UUID": _Signature(_uuid, 0, 0),
}
