"""Round step: test the new model's confidence, auto-label what it is sure of, pick the next human batch.

The decisions and what they store are :mod:`byoal.round_decision`'s; the event and result are
:class:`byoal.step_contracts.ActiveLearningEvent` and :class:`~byoal.step_contracts.ActiveLearningResult`.
The result names the working manifest the round read, for the loop to merge the auto-labels into.
"""

from __future__ import annotations

from typing import Any

from byoal.round_decision import run_round
from byoal.step_contracts import ActiveLearningEvent
from byoal.storage import storage_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """ActiveLearningEvent -> ActiveLearningResult; InputError for predictions that do not fit the round's input."""
    return run_round(storage_from_environment(), ActiveLearningEvent.from_event(event)).to_result()
