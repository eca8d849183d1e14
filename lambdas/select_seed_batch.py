"""Step: pick a random batch of unlabeled records for humans to label before the first model is trained."""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest
from byoal import records as rec
from byoal.sampling import choose_positions
from byoal.storage import storage_from_environment

SEED_ROUND = 0


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root = event["config"], event["run"]["root"]
    attribute = config["LabelAttributeName"]
    chosen = choose_positions(event["counts"]["unlabeled"], event["counts"]["batch_size"], seed=f"seed-batch-{config['Seed']}")

    def selection():
        position = 0
        for record in manifest.read_records(storage, event["working"]["manifest"]):
            if not rec.is_labeled(record, attribute):
                if position in chosen:
                    yield {rec.ID_FIELD: rec.record_id(record)}
                position += 1

    target = layout.round_file(root, SEED_ROUND, "selection.manifest")
    count = manifest.write_records(storage, target, selection())
    return {"manifest": target, "count": count, "round": SEED_ROUND}
