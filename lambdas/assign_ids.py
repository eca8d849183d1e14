"""Step: give every record a stable id (its position, unless it brings its own) for the whole run."""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest
from byoal.storage import storage_from_environment
from byoal.working import assign_ids


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    source = event["run"]["input_manifest"]
    target = layout.working_with_ids(event["run"]["root"])
    manifest.write_records(storage, target, assign_ids(manifest.read_numbered_records(storage, source), uri=source))
    return {"manifest": target}
