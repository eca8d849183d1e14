"""Step: write the final manifest (every input record once, in input order) and count it."""

from __future__ import annotations

from typing import Any

from byoal import manifest
from byoal.counts import Counts, tally
from byoal.storage import storage_from_environment
from byoal.working import export_records


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config = event["config"]
    target = event["run"]["final_manifest"]
    counts = Counts(human_labeled_by_class=[0] * len(config["Labels"]))
    exported = export_records(manifest.read_records(storage, event["working"]["manifest"]))
    manifest.write_records(storage, target, tally(exported, counts, label_attribute=config["LabelAttributeName"]))
    return {"final_manifest": target, "counts": counts.as_dict()}
