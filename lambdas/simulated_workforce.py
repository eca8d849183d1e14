"""Workforce ``Simulated``: label a batch from an answer key, optionally with annotator mistakes.

The labeling itself is :func:`byoal.simulated_labeling.simulate_labels` (``AnnotatorErrorRate``,
seeded by ``Seed`` and the job name, so a re-run labels identically). A batch that has its labels
already (answered before the execution stopped) is not labeled again.
"""

from __future__ import annotations

from typing import Any

from byoal import manifest
from byoal import records as rec
from byoal.simulated_labeling import simulate_labels
from byoal.step_contracts import SimulatedWorkforceEvent, SimulatedWorkforceResult, require
from byoal.storage import storage_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """SimulatedWorkforceEvent -> SimulatedWorkforceResult; InputError when the answer key does not fit the batch."""
    parsed = SimulatedWorkforceEvent.from_event(event)
    storage = storage_from_environment()
    config, batch_job = parsed.config, parsed.human_batch
    output = require(batch_job.output_manifest, step=parsed.step, key="human_batch.output_manifest")
    if not storage.exists(output):
        labeled = simulate_labels(
            list(manifest.read_records(storage, batch_job.input_manifest)),
            manifest.read_numbered_records(storage, config["AnswerKeyS3Uri"]),
            answer_key_uri=config["AnswerKeyS3Uri"],
            label_attribute=config["LabelAttributeName"],
            labels=config["Labels"],
            error_rate=config["AnnotatorErrorRate"],
            seed=f"{config['Seed']}-{batch_job.job_name}",
            job_name=batch_job.job_name,
            labeled_at=rec.normalize_timestamp(parsed.labeled_at),
        )
        manifest.write_records(storage, output, labeled)
    return SimulatedWorkforceResult(output_manifest=output).to_result()
