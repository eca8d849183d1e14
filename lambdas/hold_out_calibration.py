"""Round step (first round only): hold out part of the input labels as calibration records.

Input (pre-)labels are training data. Only when the request says they were drawn at random
(``InputLabelsAreRandomSample``) are they a sample of the pool too: then round 1 holds out a
uniform random ``ValidationShare`` of them as calibration records (``byoal-calibration: 0``). A
skewed set of pre-labels would otherwise yield a skewed threshold. Every other round, and round 1
without that key, passes the working manifest on unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from byoal import layout, manifest
from byoal import records as rec
from byoal.sampling import choose_positions
from byoal.step_contracts import HoldOutCalibrationEvent, HoldOutCalibrationResult
from byoal.storage import storage_from_environment

FIRST_ROUND = 1
INPUT_DRAW_ROUND = 0


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """HoldOutCalibrationEvent -> HoldOutCalibrationResult (the round's working manifest)."""
    parsed = HoldOutCalibrationEvent.from_event(event)
    storage = storage_from_environment()
    config, root, round_number = parsed.config, parsed.run.root, parsed.round
    attribute = config["LabelAttributeName"]
    source = parsed.working.manifest
    if round_number != FIRST_ROUND or not config["InputLabelsAreRandomSample"]:
        return HoldOutCalibrationResult(manifest=source, held_out_input_labels=0).to_result()

    input_labeled = [
        rec.record_id(record)
        for record in manifest.read_records(storage, layout.working_with_ids(root))
        if rec.is_human_labeled(record, attribute)
    ]
    positions = choose_positions(
        len(input_labeled), round(config["ValidationShare"] * len(input_labeled)),
        seed=f"input-calibration-{config['Seed']}",
    )
    held_out = {input_labeled[position] for position in positions}

    def flagged() -> Iterator[dict[str, Any]]:
        for record in manifest.read_records(storage, source):
            if rec.record_id(record) in held_out and not rec.is_calibration(record):
                record = {**record, rec.CALIBRATION_FIELD: INPUT_DRAW_ROUND}
            yield record

    target = layout.working_with_calibration(root, round_number)
    manifest.write_records(storage, target, flagged())
    return HoldOutCalibrationResult(manifest=target, held_out_input_labels=len(held_out)).to_result()
