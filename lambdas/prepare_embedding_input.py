"""Step: write the embed transform's input, every record of the working manifest once, before the first round.

Each record as ``{"byoal-id", "source"}``, in working-manifest order, at ``layout.embeddings_input``;
the transform job writes ``layout.embeddings_output``, which the training and transform-input steps
of every round join by record id (byoal.embeddings). A retry or a redrive writes the same object again.

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
from byoal.step_contracts import PrepareEmbeddingInputEvent, PrepareEmbeddingInputResult
from byoal.storage import storage_from_environment

STEP = "embed"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """PrepareEmbeddingInputEvent -> PrepareEmbeddingInputResult (the embed transform's names and prefixes)."""
    parsed = PrepareEmbeddingInputEvent.from_event(event)
    storage = storage_from_environment()
    run, root = parsed.run.id, parsed.run.root
    records = embeddings.embed_input(manifest.read_records(storage, parsed.working.manifest))
    count = manifest.write_records(storage, layout.embeddings_input(root), records)
    return PrepareEmbeddingInputResult(
        model_name=layout.job_name(run, 0, STEP, parsed.attempt),
        job_name=layout.job_name(run, 0, STEP),
        input_prefix=layout.embeddings_input_prefix(root),
        output_prefix=layout.embeddings_output_prefix(root),
        encoder_path=parsed.config["HyperParameters"].get("encoder_path", ""),
        records=count,
    ).to_result()
