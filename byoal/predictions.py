"""Model outputs read into one shape, whichever model produced them.

Accepted per-record outputs:

* the bundled container: ``{"label": 2, "probabilities": [p0, p1, ..., pK-1]}``;
* SageMaker BlazingText: ``{"label": ["__label__2", "__label__0"], "prob": [0.91, 0.05]}`` (top-k,
  best first). Classes it leaves out share the remaining probability mass evenly.

Models round: BlazingText reports ``1.0000100135803223`` for a confident prediction, a float32
softmax sums to 1 only within a few 1e-7. A probability within :data:`PROBABILITY_TOLERANCE` of
[0, 1] is clipped into it, and the distribution renormalised (to sum 1; a top-k list to at most 1);
a value further out, NaN, or a full distribution whose sum is more than :data:`SUM_TOLERANCE` from
1, is refused, naming the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from byoal.errors import InputError

BLAZINGTEXT_PREFIX = "__label__"
PROBABILITY_TOLERANCE = 1e-4
"""How far outside [0, 1] a model's probability may be and still be read (clipped)."""
SUM_TOLERANCE = 1e-3
"""How far from 1 the sum of a full distribution may be and still be read (renormalised)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """One record's prediction: the predicted class index and the figures query strategies rank by.

    ``entropy`` is the Shannon entropy of the class distribution in nats (natural logarithm).
    """
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
    """The values clipped into [0, 1]; InputError if one is not a number within the tolerance of it."""
    if not isinstance(values, list) or not values:
        raise InputError(f"{where}: '{field}' must be a non-empty list of probabilities, got {values!r}"[:300])
    for index, value in enumerate(values):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not -PROBABILITY_TOLERANCE <= value <= 1 + PROBABILITY_TOLERANCE
        ):
            raise InputError(
                f"{where}: '{field}'[{index}] is {value!r}, not a probability "
                f"(expected a number in [0, 1], give or take {PROBABILITY_TOLERANCE})"
            )
    return [min(1.0, max(0.0, float(value))) for value in values]


def _normalised(probabilities: list[float], *, where: str, field: str, partial: bool) -> list[float]:
    """A full distribution scaled to sum 1; a top-k list scaled down to sum at most 1."""
    total = math.fsum(probabilities)
    too_far = total > 1 + SUM_TOLERANCE or (not partial and total < 1 - SUM_TOLERANCE)
    if too_far or (total == 0 and not partial):
        expected = "at most 1" if partial else "1"
        raise InputError(
            f"{where}: '{field}' sums to {total!r}; expected {expected} (give or take {SUM_TOLERANCE})"
        )
    if partial and total <= 1:
        return probabilities
    return [probability / total for probability in probabilities]


def _blazingtext_class(name: Any, *, num_classes: int, where: str) -> int:
    text = name[len(BLAZINGTEXT_PREFIX):] if isinstance(name, str) and name.startswith(BLAZINGTEXT_PREFIX) else None
    if text is None or not text.isdigit() or int(text) >= num_classes:
        raise InputError(f"{where}: BlazingText label {name!r} is not '__label__<class index below {num_classes}>'")
    return int(text)


def parse_prediction(output: Any, *, num_classes: int, where: str) -> Prediction:
    """Read one record's model output (either accepted format, see the module docstring).

    ``num_classes`` is the label file's class count; ``where`` names the line in error messages.
    Raises InputError for anything else, or for probabilities beyond the tolerances.
    """
    if not isinstance(output, dict):
        raise InputError(f"{where}: the model output must be a JSON object, got {output!r}")
    if "probabilities" in output:
        probabilities = _check_probabilities(output["probabilities"], where=where, field="probabilities")
        if len(probabilities) != num_classes:
            raise InputError(
                f"{where}: {len(probabilities)} probabilities for a label file of {num_classes} classes"
            )
        return _from_distribution(_normalised(probabilities, where=where, field="probabilities", partial=False))
    if isinstance(output.get("label"), list) and "prob" in output:
        probabilities = _check_probabilities(output["prob"], where=where, field="prob")
        probabilities = _normalised(probabilities, where=where, field="prob", partial=True)
        names = output["label"]
        if len(names) != len(probabilities):
            raise InputError(f"{where}: {len(names)} BlazingText labels but {len(probabilities)} probabilities")
        distribution = [None] * num_classes
        for name, probability in zip(names, probabilities, strict=True):
            index = _blazingtext_class(name, num_classes=num_classes, where=where)
            if distribution[index] is not None:
                raise InputError(f"{where}: BlazingText label {name!r} appears twice")
            distribution[index] = probability
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
