"""Step: pick a random batch of unlabeled records for humans to label before the first model is trained.

The batch is a uniform random sample of the unlabeled records, so a random ``CalibrationShare``
of it serves as round 1's calibration records: its selection lines carry ``byoal-calibration: 0``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from byoal import layout, manifest, policy
from byoal import records as rec
from byoal.sampling import choose_positions
from byoal.step_contracts import SelectSeedBatchEvent, SelectSeedBatchResult
from byoal.storage import storage_from_environment

SEED_ROUND = 0


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """SelectSeedBatchEvent -> SelectSeedBatchResult (the seed batch's selection manifest, round 0)."""
    parsed = SelectSeedBatchEvent.from_event(event)
    storage = storage_from_environment()
    config = parsed.config
    attribute = config["LabelAttributeName"]
    chosen = choose_positions(parsed.counts.unlabeled, parsed.counts.batch_size, seed=f"seed-batch-{config['Seed']}")
    calibration = choose_positions(
        len(chosen), policy.calibration_draw_size(len(chosen), config["CalibrationShare"]),
        seed=f"calibration-{config['Seed']}-{SEED_ROUND}",
    )

    def selection() -> Iterator[dict[str, Any]]:
        position = drawn = 0
        for record in manifest.read_records(storage, parsed.working.manifest):
            if not rec.is_labeled(record, attribute):
                if position in chosen:
                    line = {rec.ID_FIELD: rec.record_id(record)}
                    if drawn in calibration:
                        line[rec.CALIBRATION_FIELD] = SEED_ROUND
                    drawn += 1
                    yield line
                position += 1

    target = layout.selection(parsed.run.root, SEED_ROUND)
    count = manifest.write_records(storage, target, selection())
    return SelectSeedBatchResult(
        manifest=target, count=count, round=SEED_ROUND, calibration=len(calibration)
    ).to_result()
