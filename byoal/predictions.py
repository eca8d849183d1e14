"""Model outputs read into one shape, whichever model produced them.

Accepted per-record outputs:

* the bundled container: ``{"label": 2, "probabilities": [p0, p1, ..., pK-1]}``;
* SageMaker BlazingText: ``{"label": ["__label__2", "__label__0"], "prob": [0.91, 0.05]}`` (top-k,
  best first). Classes it leaves out share the remaining probability mass evenly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from byoal.errors import InputError

BLAZINGTEXT_PREFIX = "__label__"


@dataclass(frozen=True, slots=True)
class Prediction:
    label: int
    confidence: float
    """Probability of the predicted class."""
    margin: float
    """Top probability minus the second one."""
    entropy: float


def _from_distribution(probabilities: list[float]) -> Prediction:
    ranked = sorted(range(len(probabilities)), key=lambda index: probabilities[index], reverse=True)
    top = probabilities[ranked[0]]
    second = probabilities[ranked[1]] if len(ranked) > 1 else 0.0
    entropy = -sum(p * math.log(p) for p in probabilities if p > 0)
    return Prediction(label=ranked[0], confidence=top, margin=top - second, entropy=entropy)


def _check_probabilities(values: Any, *, where: str, field: str) -> list[float]:
    if not isinstance(values, list) or not values:
        raise InputError(f"{where}: '{field}' must be a non-empty list of probabilities")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1.000001:
            raise InputError(f"{where}: '{field}' holds {value!r}, not a probability")
    return [float(value) for value in values]


def _blazingtext_class(name: Any, *, num_classes: int, where: str) -> int:
    text = name[len(BLAZINGTEXT_PREFIX):] if isinstance(name, str) and name.startswith(BLAZINGTEXT_PREFIX) else None
    if text is None or not text.isdigit() or int(text) >= num_classes:
        raise InputError(f"{where}: BlazingText label {name!r} is not '__label__<class index below {num_classes}>'")
    return int(text)


def parse_prediction(output: Any, *, num_classes: int, where: str) -> Prediction:
    if not isinstance(output, dict):
        raise InputError(f"{where}: the model output must be a JSON object, got {output!r}")
    if "probabilities" in output:
        probabilities = _check_probabilities(output["probabilities"], where=where, field="probabilities")
        if len(probabilities) != num_classes:
            raise InputError(
                f"{where}: {len(probabilities)} probabilities for a label file of {num_classes} classes"
            )
        return _from_distribution(probabilities)
    if isinstance(output.get("label"), list) and "prob" in output:
        probabilities = _check_probabilities(output["prob"], where=where, field="prob")
        names = output["label"]
        if len(names) != len(probabilities):
            raise InputError(f"{where}: {len(names)} BlazingText labels but {len(probabilities)} probabilities")
        distribution = [None] * num_classes
        for name, probability in zip(names, probabilities):
            distribution[_blazingtext_class(name, num_classes=num_classes, where=where)] = probability
        missing = [index for index, value in enumerate(distribution) if value is None]
        if missing:
            share = max(0.0, 1.0 - sum(probabilities)) / len(missing)
            for index in missing:
                distribution[index] = share
        return _from_distribution(distribution)
    raise InputError(
        f"{where}: unknown model output; expected {{'label': i, 'probabilities': [...]}} "
        f"or BlazingText {{'label': ['__label__i', ...], 'prob': [...]}}, got keys {sorted(output)}"
    )
