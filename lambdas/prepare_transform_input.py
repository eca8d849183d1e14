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
from byoal.step_contracts import PrepareTransformInputEvent, PrepareTransformInputResult
from byoal.storage import storage_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """PrepareTransformInputEvent -> PrepareTransformInputResult (the transform job's name and prefixes)."""
    parsed = PrepareTransformInputEvent.from_event(event)
    storage = storage_from_environment()
    config, root, round_number = parsed.config, parsed.run.root, parsed.round
    attribute = config["LabelAttributeName"]
    extra = {"k": len(config["Labels"])} if parsed.algorithm == "blazingtext" else {}
    working = embeddings.working_records(
        storage, config, root=root, working_manifest=parsed.working.manifest, algorithm=parsed.algorithm
    )
    records = (
        {
            rec.SOURCE_FIELD: record[rec.SOURCE_FIELD],
            rec.ID_FIELD: rec.record_id(record),
            **extra,
            **rec.embedding_fields(record, parsed.algorithm),
        }
        for record in working
        if not rec.is_labeled(record, attribute) or rec.is_calibration(record)
    )
    count = manifest.write_records(storage, layout.transform_input(root, round_number), records)
    return PrepareTransformInputResult(
        job_name=layout.job_name(parsed.run.id, round_number, "transform", parsed.attempt),
        input_prefix=layout.transform_input_prefix(root, round_number),
        output_prefix=layout.transform_output_prefix(root, round_number),
        records=count,
    ).to_result()
