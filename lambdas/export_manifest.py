"""Step: write the final manifest (every input record once, in input order) and count it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from byoal import manifest
from byoal.counts import Counts
from byoal.step_contracts import ExportManifestEvent, ExportManifestResult, require
from byoal.storage import storage_from_environment
from byoal.working import export_lines


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """ExportManifestEvent -> ExportManifestResult (the final manifest's URI and counts)."""
    parsed = ExportManifestEvent.from_event(event)
    storage = storage_from_environment()
    config = parsed.config
    target = require(parsed.run.final_manifest, step=parsed.step, key="run.final_manifest")
    counts = Counts(human_labeled_by_class=[0] * len(config["Labels"]))

    def counted_lines() -> Iterator[bytes]:
        for line, record in export_lines(manifest.read_lines_and_records(storage, parsed.working.manifest)):
            counts.add(record, label_attribute=config["LabelAttributeName"])
            yield line

    manifest.write_lines(storage, target, counted_lines())
    return ExportManifestResult(final_manifest=target, counts=counts.as_dict()).to_result()
