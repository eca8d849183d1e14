"""Round step: hold out human-labeled records for calibration, stratified by class where possible.

The first round draws ``ValidationShare`` of the human labels (at least ``MinValidationRecords``
while that is at most half of them). Those labels, from the input and the seed batch, are a
random sample of the data, which is what calibration needs. Later human labels were chosen by
the query strategy, the hardest records first: they go to training, and join the validation set
only to bring it up to ``MinValidationRecords``. Records once chosen stay in the set.
"""

from __future__ import annotations

import math
from typing import Any

from byoal import layout, manifest
from byoal import records as rec
from byoal.sampling import choose_positions, stratified_quotas
from byoal.storage import storage_from_environment


def validation_target(human_labeled: int, existing: int, config: dict[str, Any]) -> int:
    minimum = min(config["MinValidationRecords"], human_labeled // 2)
    if existing:
        return max(existing, minimum)
    return max(math.ceil(config["ValidationShare"] * human_labeled), minimum)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root, round_number = event["config"], event["run"]["root"], event["round"]
    attribute = config["LabelAttributeName"]
    source = event["working"]["manifest"]

    available_by_class = [0] * len(config["Labels"])
    existing = human_labeled = 0
    for record in manifest.read_records(storage, source):
        if rec.is_human_labeled(record, attribute):
            human_labeled += 1
            if rec.is_validation(record):
                existing += 1
            else:
                available_by_class[record[attribute]] += 1

    quotas = stratified_quotas(available_by_class, validation_target(human_labeled, existing, config) - existing)
    chosen = [
        choose_positions(available, quota, seed=f"validation-{config['Seed']}-{round_number}-{label}")
        for label, (available, quota) in enumerate(zip(available_by_class, quotas))
    ]

    def flagged():
        positions = [0] * len(config["Labels"])
        for record in manifest.read_records(storage, source):
            if rec.is_human_labeled(record, attribute) and not rec.is_validation(record):
                label = record[attribute]
                if positions[label] in chosen[label]:
                    record = {**record, rec.VALIDATION_FIELD: True}
                positions[label] += 1
            yield record

    target = layout.round_file(root, round_number, "working-validation.manifest")
    manifest.write_records(storage, target, flagged())
    return {"manifest": target, "validation": existing + sum(quotas)}
