"""Step: count the working manifest and decide what the loop does next (seed batch, round, or export)."""

from __future__ import annotations

from typing import Any

from byoal import manifest, round_stats
from byoal.counts import count_records, next_step
from byoal.storage import storage_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config = event["config"]
    counts = count_records(
        manifest.read_records(storage, event["working"]["manifest"]),
        label_attribute=config["LabelAttributeName"],
        num_classes=len(config["Labels"]),
    )
    history = round_stats.read_history(storage, event["run"]["root"])
    last_model = next((entry["model"] for entry in reversed(history) if entry.get("model")), None)
    return {**counts.as_dict(), "rounds": history, "last_model": last_model, **next_step(counts, config, history)}
