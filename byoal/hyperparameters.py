"""Training hyperparameters from the request: encoded for SageMaker and checked against what the model declares.

SageMaker's ``CreateTrainingJob`` takes hyperparameters as a map of strings (at most 100 entries,
names up to 256 characters, values up to 2,500). A string from the request is passed as it is;
any other JSON value as its JSON text (``3`` -> ``"3"``, ``true`` -> ``"true"``, ``["A", "B"]`` ->
``'["A", "B"]'``), never Python's ``str()`` (``"True"``, ``"['A', 'B']"``).

A model may publish a hyperparameter schema: a JSON Schema object with one property per name
(the subset used: ``type``, ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``,
``enum``, ``pattern``, ``minItems``, ``uniqueItems``, ``items``; ``additionalProperties: false``
refuses unknown names). The bundled container publishes one
(``container/byoal_model/hyperparameters.py``, copied to ``byoal/bundled_hyperparameters.py``); a model
that publishes none gets its hyperparameters passed through unchecked.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import sys
from typing import Any

from byoal import bundled_hyperparameters
from byoal.errors import InputError

FIELD = "ActiveLearningConfig.HyperParameters"
MAX_ENTRIES = 100
MAX_NAME_LENGTH = 256
MAX_VALUE_LENGTH = 2500
"""SageMaker CreateTrainingJob's limits on ``HyperParameters``."""

WORKFLOW_SET = {
    "label_attribute_name": "LabelAttributeName",
    "num_classes": "the label-category file",
    "label_names": "the label-category file",
    "seed": "ActiveLearningConfig.Seed",
}
"""Hyperparameters the workflow sends a model of the bundled contract, and where each comes from."""

LOCAL_BUNDLED_IMAGE = "byoal-local/bundled-model:latest"
"""The image name the offline runner gives the bundled container."""
_CDK_ASSET_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/cdk-[a-z0-9]+-container-assets-")
"""An image CDK built from ``container/`` (a DockerImageAsset in the bootstrap repository)."""


def encode(raw: Any) -> dict[str, str]:
    """The request's hyperparameters as SageMaker's string map; InputError naming the entry that cannot be."""
    if not isinstance(raw, dict):
        raise InputError(f"'{FIELD}' must be a JSON object of name -> value, got {type(raw).__name__} {str(raw)[:60]}")
    if len(raw) > MAX_ENTRIES - len(WORKFLOW_SET):
        raise InputError(f"'{FIELD}' has {len(raw)} entries; SageMaker takes at most {MAX_ENTRIES} in all")
    encoded = {}
    for name, value in raw.items():
        if not name.strip() or len(name) > MAX_NAME_LENGTH:
            raise InputError(f"'{FIELD}' has the name {name[:60]!r}; expected 1 to {MAX_NAME_LENGTH} characters")
        try:
            text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
        except ValueError:
            raise InputError(f"'{FIELD}.{name}' is {value!r}; expected a finite number, a string or JSON") from None
        if len(text) > MAX_VALUE_LENGTH:
            raise InputError(
                f"'{FIELD}.{name}' is {len(text)} characters long; SageMaker takes at most {MAX_VALUE_LENGTH}"
            )
        encoded[name] = text
    return encoded


def published_schema(algorithm: str | None, image: str | None) -> dict[str, Any] | None:
    """The schema of the model that will train: the bundled container's, or None (a model that publishes none).

    The bundled container is the ``bundled`` algorithm in the image the offline runner names, or in an
    image CDK built from ``container/``; an image of your own (``imageUri``) publishes nothing the
    workflow can read before training, and BlazingText takes the workflow's own settings.
    """
    if algorithm != "bundled" or image is None:
        return None
    if image != LOCAL_BUNDLED_IMAGE and not _CDK_ASSET_IMAGE.match(image):
        return None
    return bundled_schema()


def bundled_schema() -> dict[str, Any]:
    """The bundled container's published hyperparameter schema."""
    return copy.deepcopy(bundled_hyperparameters.SCHEMA)


def check(values: dict[str, str], schema: dict[str, Any] | None) -> None:
    """InputError naming the first hyperparameter the model does not accept, and what it expects."""
    for name in values:
        if name in WORKFLOW_SET:
            raise InputError(
                f"'{FIELD}.{name}' is set by the workflow from {WORKFLOW_SET[name]}; remove it from HyperParameters"
            )
    if schema is None:
        return
    properties: dict[str, Any] = schema.get("properties", {})
    for name, text in values.items():
        if name not in properties:
            if schema.get("additionalProperties", True) is False:
                close = difflib.get_close_matches(
                    name, [known for known in properties if known not in WORKFLOW_SET], n=1
                )
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                known = sorted(set(properties) - set(WORKFLOW_SET))
                raise InputError(f"'{FIELD}' has the unknown name '{name}'{hint}; the model accepts {known}")
            continue
        problem = _problem(text, properties[name])
        if problem is not None:
            raise InputError(f"'{FIELD}.{name}' is {text!r}; expected {problem}")


def _decode(text: str, kind: str | None) -> Any:
    if kind == "string":
        return text
    try:
        return json.loads(text, parse_constant=lambda name: math.nan)
    except (json.JSONDecodeError, RecursionError):
        return text


def _problem(text: str, schema: dict[str, Any]) -> str | None:
    """What ``text`` should have been under ``schema`` (a property of the model's schema), or None if it fits."""
    return _value_problem(_decode(text, schema.get("type")), schema)


def _value_problem(value: Any, schema: dict[str, Any]) -> str | None:
    expected = _describe(schema)
    kind = schema.get("type")
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or abs(value) > sys.float_info.max:
            return expected
        if isinstance(value, float) and (not math.isfinite(value) or (kind == "integer" and not value.is_integer())):
            return expected
        if (
            ("minimum" in schema and value < schema["minimum"])
            or ("maximum" in schema and value > schema["maximum"])
            or ("exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"])
            or ("exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"])
        ):
            return expected
    elif kind == "string":
        if not isinstance(value, str) or ("pattern" in schema and not re.search(schema["pattern"], value)):
            return expected
    elif kind == "boolean":
        if not isinstance(value, bool):
            return expected
    elif kind == "array":
        if not isinstance(value, list) or len(value) < schema.get("minItems", 0):
            return expected
        if schema.get("uniqueItems") and len({json.dumps(item, sort_keys=True) for item in value}) != len(value):
            return expected
        items = schema.get("items")
        if items is not None and any(_value_problem(item, items) is not None for item in value):
            return expected
    if "enum" in schema and value not in schema["enum"]:
        return expected
    return None


def _describe(schema: dict[str, Any]) -> str:
    """``schema`` in words: "an integer >= 1", "a number in [0, 1)", "one of ['bow', 'minilm']"."""
    if "enum" in schema:
        return f"one of {schema['enum']}"
    kind = schema.get("type")
    if kind in ("integer", "number"):
        noun = "an integer" if kind == "integer" else "a number"
        low = ("[", schema["minimum"]) if "minimum" in schema else ("(", schema.get("exclusiveMinimum"))
        high = ("]", schema["maximum"]) if "maximum" in schema else (")", schema.get("exclusiveMaximum"))
        if low[1] is None and high[1] is None:
            return noun
        if high[1] is None:
            return f"{noun} {'>=' if low[0] == '[' else '>'} {low[1]}"
        if low[1] is None:
            return f"{noun} {'<=' if high[0] == ']' else '<'} {high[1]}"
        return f"{noun} in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if kind == "string":
        return "a non-empty string" if schema.get("pattern") == r"\S" else "a string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        least = f" of at least {schema['minItems']}" if "minItems" in schema else ""
        distinct = " distinct" if schema.get("uniqueItems") else ""
        items = schema.get("items", {})
        what = "non-empty strings" if items.get("type") == "string" else "values"
        return f"a JSON list{least}{distinct} {what}"
    return "a value this model accepts"
