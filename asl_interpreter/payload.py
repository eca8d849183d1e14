"""Payload Templates: the Parameters, ResultSelector and ItemSelector fields."""

from __future__ import annotations

import copy
import random
from typing import Any

from .errors import RUNTIME, StatesError
from .intrinsic_functions import evaluate_intrinsic
from .intrinsic_parser import parse_intrinsic
from .json_values import compact_json
from .paths import PathNotFound, resolve


def build_payload(template: Any, data: Any, context: Any, rng: random.Random) -> Any:
    """Evaluate a Payload Template against its input `data` and the context object.

    Fields whose name ends in `.$` are renamed without the suffix and their
    value replaced: a Path on `data`, a `$$` Path on the context object, or an
    intrinsic function. A Path that matches nothing fails with States.Runtime,
    which is what AWS reports (the spec names States.ParameterPathFailure).
    """
    if isinstance(template, dict):
        payload = {}
        for key, value in template.items():
            if key.endswith(".$"):
                payload[key[:-2]] = _dynamic_value(key, value, data, context, rng)
            else:
                payload[key] = build_payload(value, data, context, rng)
        return payload
    if isinstance(template, list):
        return [build_payload(item, data, context, rng) for item in template]
    return template


def _dynamic_value(key: str, expression: str, data: Any, context: Any, rng: random.Random) -> Any:
    try:
        if expression.startswith("$"):
            return copy.deepcopy(resolve(expression, data, context))
        return evaluate_intrinsic(parse_intrinsic(expression), data, context, rng)
    except PathNotFound as missing:
        raise StatesError(
            RUNTIME,
            f"The JSONPath '{missing.args[0]}' specified for the field '{key}' "
            f"could not be found in the input '{compact_json(data)}'",
        ) from None
