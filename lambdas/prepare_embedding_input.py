"""Step: write the embed transform's input, every record of the working manifest once, before the first round.

Each record as ``{"byoal-id", "source"}``, in working-manifest order, at the run's
``embeddings/input/records.jsonl``; the transform job writes ``embeddings/output/records.jsonl.out``,
which the training and transform-input steps of every round join by record id (byoal.embeddings).
A retry or a redrive writes the same object again.

Names, unique per redrive as SageMaker requires: the model is named with the loop's redrive count
when this step runs (``attempt``; a model whose creation failed does not exist, so a redrive of
CreateEmbeddingModel may reuse it); the transform job name is ``job_name`` plus the redrive count
when EmbedRecords runs, so a redriven EmbedRecords starts a new job. ``encoder_path`` is the
``encoder_path`` hyperparameter ("" for the bundled encoder), so the vectors come from the encoder
the model will train with.
"""

from __future__ import annotations

from typing import Any

from byoal import embeddings, layout, manifest
from byoal.storage import storage_from_environment

STEP = "embed"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    run, root = event["run"]["id"], event["run"]["root"]
    target = layout.embeddings_input(root)
    records = embeddings.embed_input(manifest.read_records(storage, event["working"]["manifest"]))
    count = manifest.write_records(storage, target, records)
    return {
        "model_name": layout.job_name(run, 0, STEP, event.get("attempt", 0)),
        "job_name": layout.job_name(run, 0, STEP),
        "input_prefix": target.rsplit("/", 1)[0] + "/",
        "output_prefix": layout.embeddings_output(root).rsplit("/", 1)[0] + "/",
        "encoder_path": event["config"]["HyperParameters"].get("encoder_path", ""),
        "records": count,
    }
