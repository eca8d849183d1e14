"""Step: count the working manifest and decide what the loop does next (seed batch, round, or export)."""

from __future__ import annotations

from typing import Any

from byoal import manifest, round_stats
from byoal.counts import count_records, next_step
from byoal.step_contracts import CountRecordsEvent, CountRecordsResult
from byoal.storage import storage_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """CountRecordsEvent -> CountRecordsResult (counts, round history, the last model, the next step)."""
    parsed = CountRecordsEvent.from_event(event)
    storage = storage_from_environment()
    config = parsed.config
    counts = count_records(
        manifest.read_records(storage, parsed.working.manifest),
        label_attribute=config["LabelAttributeName"],
        num_classes=len(config["Labels"]),
    )
    history = round_stats.read_history(storage, parsed.run.root)
    last_model = next((entry["model"] for entry in reversed(history) if entry.get("model")), None)
    return CountRecordsResult(
        **counts.as_dict(), rounds=history, last_model=last_model, **next_step(counts, config, history)
    ).to_result()
