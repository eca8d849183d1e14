"""Step: give every record a stable id (its position, unless it brings its own) for the whole run."""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest
from byoal.step_contracts import AssignIdsEvent, AssignIdsResult, require
from byoal.storage import storage_from_environment
from byoal.working import assign_ids


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """AssignIdsEvent -> AssignIdsResult (the first working manifest); InputError for an id that is not unique."""
    parsed = AssignIdsEvent.from_event(event)
    storage = storage_from_environment()
    source = require(parsed.run.input_manifest, step=parsed.step, key="run.input_manifest")
    target = layout.working_with_ids(parsed.run.root)
    manifest.write_records(storage, target, assign_ids(manifest.read_numbered_records(storage, source), uri=source))
    return AssignIdsResult(manifest=target).to_result()
