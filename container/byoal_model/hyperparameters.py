"""Training hyperparameters: parsed from SageMaker's strings (or real JSON values) and validated.

SageMaker passes every value as a string; the workflow writes a non-string value as its JSON text
(``"3"``, ``"0.25"``, ``'["A", "B"]'``), which the parsers below decode.
:func:`hyperparameter_schema` publishes what this model accepts, as a JSON Schema derived from the
same parsers, so the workflow can refuse a misspelled name or a bad value before the first round
(``python -m byoal_model.hyperparameters`` prints it; ``--module`` prints the workflow's copy,
``byoal/bundled_hyperparameters.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

MAX_SEED = 2**32 - 1
MODELS = ("minilm-tfidf", "keras-scratch")
"""The ``model`` hyperparameter's values: the default (sentence encoder + TF-IDF, logistic regression) first."""


class HyperparameterError(ValueError):
    """A hyperparameter is missing, malformed or out of range; the message names it."""


@dataclass(frozen=True)
class Hyperparameters:
    """The parsed hyperparameters with their defaults; container/README.md has the table with meanings and ranges.

    ``epochs``, ``vocab_size``, ``max_len`` (tokens), ``embedding_dim``, ``dropout``, ``batch_size``,
    ``learning_rate`` (Adam) and ``early_stopping_patience`` (epochs) apply to ``keras-scratch``;
    ``logistic_c``, ``embedding_weight`` and ``encoder_path`` to ``minilm-tfidf``. ``num_classes`` None
    (with no ``label_names``) means: the largest label in the channels plus one.
    """

    epochs: int = 10
    vocab_size: int = 5000
    max_len: int = 100
    embedding_dim: int = 50
    dropout: float = 0.5
    batch_size: int = 32
    learning_rate: float = 0.002
    early_stopping_patience: int = 2
    label_attribute_name: str = "category"
    num_classes: int | None = None
    label_names: tuple[str, ...] | None = None
    seed: int = 0
    model: str = MODELS[0]
    logistic_c: float = 10.0
    embedding_weight: float = 1.0
    encoder_path: str = ""

    def to_json(self) -> dict[str, Any]:
        """Every field by name, JSON-serializable (``label_names`` as a list), as ``metadata.json`` records them."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        if self.label_names is not None:
            values["label_names"] = list(self.label_names)
        return values


def _fail(name: str, value: Any, expected: str) -> HyperparameterError:
    return HyperparameterError(f"hyperparameter '{name}' is {value!r}; expected {expected}")


def _number(name: str, value: Any, expected: str) -> float:
    """A hyperparameter as a float (SageMaker passes strings), or the error naming it."""
    if isinstance(value, bool):
        raise _fail(name, value, expected)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _fail(name, value, expected) from None


def _declare(parse: Callable[[str, Any], Any], schema: dict[str, Any]) -> Callable[[str, Any], Any]:
    """Attach the JSON Schema of the values ``parse`` accepts (published by :func:`hyperparameter_schema`)."""
    parse.schema = schema  # type: ignore[attr-defined]
    return parse


def _integer(minimum: int, maximum: int | None = None) -> Callable[[str, Any], int]:
    expected = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"

    def parse(name: str, value: Any) -> int:
        number = _number(name, value, expected)
        if not number.is_integer() or number < minimum or (maximum is not None and number > maximum):
            raise _fail(name, value, expected)
        return int(number)

    bounds = {"minimum": minimum} if maximum is None else {"minimum": minimum, "maximum": maximum}
    return _declare(parse, {"type": "integer", **bounds})


def _real(minimum: float, maximum: float, *, include_minimum: bool) -> Callable[[str, Any], float]:
    low = "[" if include_minimum else "("
    expected = f"a number in {low}{minimum}, {maximum})"

    def parse(name: str, value: Any) -> float:
        number = _number(name, value, expected)
        above_minimum = number >= minimum if include_minimum else number > minimum
        if not math.isfinite(number) or not above_minimum or number >= maximum:
            raise _fail(name, value, expected)
        return number

    schema: dict[str, Any] = {"type": "number", ("minimum" if include_minimum else "exclusiveMinimum"): minimum}
    if math.isfinite(maximum):
        schema["exclusiveMaximum"] = maximum
    return _declare(parse, schema)


def _name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, value, "a non-empty string")
    return value.strip()


_declare(_name, {"type": "string", "pattern": "\\S"})


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(name, value, "a string")
    return value.strip()


_declare(_text, {"type": "string"})


def _choice(*options: str) -> Callable[[str, Any], str]:
    def parse(name: str, value: Any) -> str:
        if value not in options:
            raise _fail(name, value, "one of " + ", ".join(repr(option) for option in options))
        return value

    return _declare(parse, {"type": "string", "enum": list(options)})


def _label_names(name: str, value: Any) -> tuple[str, ...]:
    expected = 'a JSON list of at least two distinct non-empty names, e.g. \'["Business", "Sports"]\''
    names = value
    if isinstance(value, str):
        try:
            names = json.loads(value)
        except json.JSONDecodeError:
            raise _fail(name, value, expected) from None
    if (
        not isinstance(names, list)
        or len(names) < 2
        or not all(isinstance(item, str) and item.strip() for item in names)
        or len(set(names)) != len(names)
    ):
        raise _fail(name, value, expected)
    return tuple(names)


_declare(
    _label_names,
    {"type": "array", "items": {"type": "string", "pattern": "\\S"}, "minItems": 2, "uniqueItems": True},
)

_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "epochs": _integer(1),
    "vocab_size": _integer(3),
    "max_len": _integer(1),
    "embedding_dim": _integer(1),
    "dropout": _real(0.0, 1.0, include_minimum=True),
    "batch_size": _integer(1),
    "learning_rate": _real(0.0, math.inf, include_minimum=False),
    "early_stopping_patience": _integer(0),
    "label_attribute_name": _name,
    "num_classes": _integer(2),
    "label_names": _label_names,
    "seed": _integer(0, MAX_SEED),
    "model": _choice(*MODELS),
    "logistic_c": _real(0.0, math.inf, include_minimum=False),
    "embedding_weight": _real(0.0, math.inf, include_minimum=True),
    "encoder_path": _text,
}


def parse_hyperparameters(raw: Mapping[str, Any]) -> tuple[Hyperparameters, list[str]]:
    """Validated hyperparameters and the names that were ignored because this model does not know them.

    ``raw`` maps names to SageMaker's strings or to JSON values. Raises :class:`HyperparameterError`
    naming the first bad value, or when ``num_classes`` disagrees with the length of ``label_names``.
    """
    values = {name: _PARSERS[name](name, value) for name, value in raw.items() if name in _PARSERS}
    unknown = sorted(name for name in raw if name not in _PARSERS)
    label_names = values.get("label_names")
    if label_names is not None and values.setdefault("num_classes", len(label_names)) != len(label_names):
        raise HyperparameterError(
            f"hyperparameter 'num_classes' is {values['num_classes']} but 'label_names' lists {len(label_names)} names"
        )
    return Hyperparameters(**values), unknown


def hyperparameter_schema() -> dict[str, Any]:
    """What this model accepts: a JSON Schema (draft 2020-12) object with one property per hyperparameter.

    Each property is the JSON Schema its parser declares (``{}`` — anything — for a parser that declares
    none) with the default; ``additionalProperties: false`` says an unknown name is a mistake.
    """
    defaults = {field.name: field.default for field in fields(Hyperparameters)}
    properties = {}
    for name, parse in _PARSERS.items():
        default = defaults.get(name)
        properties[name] = {
            **getattr(parse, "schema", {}),
            **({} if default is None else {"default": list(default) if isinstance(default, tuple) else default}),
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "byoal bundled model hyperparameters",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def read_hyperparameters_file(path: Path) -> dict[str, Any]:
    """The raw name -> value mapping; a missing file means all defaults.

    Raises :class:`HyperparameterError` when the file is not UTF-8 JSON or not a JSON object.
    """
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HyperparameterError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise HyperparameterError(f"{path} must hold a JSON object of name -> value, got {type(raw).__name__}")
    return raw


def schema_module() -> str:
    """The workflow's copy of the schema, ``byoal/bundled_hyperparameters.py``, as Python source."""
    return (
        '"""The bundled container\'s hyperparameter schema, as it publishes it. Generated; do not edit:\n\n'
        "    PYTHONPATH=container python -m byoal_model.hyperparameters --module > byoal/bundled_hyperparameters.py\n"
        '"""\n\nimport json\n\nSCHEMA = json.loads(\n    r"""\n'
        + json.dumps(hyperparameter_schema(), indent=2)
        + '\n"""\n)\n'
    )


if __name__ == "__main__":
    import sys

    print(schema_module() if sys.argv[1:] == ["--module"] else json.dumps(hyperparameter_schema(), indent=2), end="")
