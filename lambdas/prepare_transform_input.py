"""Round step: write the batch-transform input, the records the new model must predict.

That is every unlabeled record (candidates for auto-labels and for the next human batch) and
every calibration record (to test the model's confidence, and to screen the earlier rounds' ones),
each as ``{"source", "byoal-id"}`` (plus the record's ``byoal-embedding`` for a ``bundled``-contract
container, if it has one or the run embedded its records before the first round: byoal.embeddings),
in working-manifest order. BlazingText also gets ``k`` (the class count), so that it returns the
probability of every class rather than only the best one.
"""

from __future__ import annotations

from typing import Any

from byoal import embeddings, layout, manifest
from byoal import records as rec
from byoal.storage import storage_from_environment

OUTPUT_FILTER = f"$['{rec.ID_FIELD}','SageMakerOutput']"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root, round_number = event["config"], event["run"]["root"], event["round"]
    attribute = config["LabelAttributeName"]
    folder = layout.round_folder(root, round_number) + "transform/"
    extra = {"k": len(config["Labels"])} if event["algorithm"] == "blazingtext" else {}
    records = (
        {
            rec.SOURCE_FIELD: record[rec.SOURCE_FIELD],
            rec.ID_FIELD: rec.record_id(record),
            **extra,
            **rec.embedding_fields(record, event["algorithm"]),
        }
        for record in embeddings.working_records(storage, event)
        if not rec.is_labeled(record, attribute) or rec.is_calibration(record)
    )
    count = manifest.write_records(storage, folder + "input/records.jsonl", records)
    return {
        "job_name": layout.job_name(event["run"]["id"], round_number, "transform", event.get("attempt", 0)),
        "input_prefix": folder + "input/",
        "output_prefix": folder + "output/",
        "records": count,
    }
