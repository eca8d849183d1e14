"""Each record's sentence embedding, computed once per run and joined into every round's job inputs.

The bundled model's encoder is frozen, so a record's embedding never changes during a run. When a
run precomputes them (``ActiveLearningConfig.PrecomputeEmbeddings``, resolved by
:func:`precompute_embeddings`), the loop runs one transform job before the first round: the
bundled image in its ``embed`` serving mode (``BYOAL_SERVE_MODE=embed``, no model data) over
``embeddings/input/records.jsonl`` (every record of the working manifest as ``{"byoal-id",
"source"}``, in working-manifest order), which writes ``embeddings/output/records.jsonl.out``: one
``{"byoal-id": i, "SageMakerOutput": {"byoal-embedding": {...}}}`` line per input line, in the same
order (container/README.md, *Each record is encoded once per run*).

The embeddings never go into the working manifest, which every round rewrites. Instead the steps
that write a training channel or a transform input read the working manifest and the embedding
output side by side (:func:`with_embeddings`: both are in working-manifest order, so a streaming
join by position, each pair's ids checked) and give each record they write its ``byoal-embedding``.
So the final manifest carries the field only if the input record had it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from byoal import hyperparameters, layout, manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import Storage

CONFIG_KEY = "PrecomputeEmbeddings"
FIELD = f"ActiveLearningConfig.{CONFIG_KEY}"
SETTINGS = ("auto", True, False)
EMBEDDING_MODELS = ("minilm-tfidf",)
"""The bundled container's models that read a record's ``byoal-embedding``."""
SERVE_MODE_ENVIRONMENT = {"BYOAL_SERVE_MODE": "embed"}
"""The embed model's ``PrimaryContainer.Environment`` (container/byoal_model/serve.py)."""
OUTPUT_KEY = "SageMakerOutput"


class EmbeddingJoinError(RuntimeError):
    """The embed transform's output does not line up with the working manifest; names the line and both ids."""


def check_setting(value: Any) -> Any:
    """``value`` if it is ``"auto"``, ``true`` or ``false``; InputError naming the key otherwise."""
    if not any(value is setting or (isinstance(setting, str) and value == setting) for setting in SETTINGS):
        raise InputError(f"'{FIELD}' must be \"auto\", true or false, got {value!r}")
    return value


def bundled_model(config: dict[str, Any]) -> str:
    """The ``model`` hyperparameter the bundled container will train (its schema's default if not given)."""
    default = hyperparameters.bundled_schema()["properties"]["model"]["default"]
    return config["HyperParameters"].get("model", default)


def precompute_embeddings(config: dict[str, Any], *, algorithm: str | None, image: str | None) -> bool:
    """Whether the run embeds every record once before the first round.

    ``"auto"``: yes for the bundled container's ``minilm-tfidf`` model (the default); no for its
    ``keras-scratch``, for BlazingText and for an image of the user's own (which may not know the
    ``embed`` mode). ``true`` opts an image of the user's own in (it must serve
    ``BYOAL_SERVE_MODE=embed`` as the bundled one does); ``false`` opts out. InputError for ``true``
    where no model would read the embeddings: BlazingText, or the bundled ``keras-scratch``.
    """
    setting = check_setting(config.get(CONFIG_KEY, "auto"))
    bundled_image = algorithm == "bundled" and hyperparameters.published_schema(algorithm, image) is not None
    reads_embeddings = bundled_image and bundled_model(config) in EMBEDDING_MODELS
    if setting == "auto":
        return reads_embeddings
    if setting is True:
        if algorithm != "bundled":
            raise InputError(f"'{FIELD}' is true, but the model algorithm {algorithm!r} reads no embeddings")
        if bundled_image and not reads_embeddings:
            raise InputError(
                f"'{FIELD}' is true, but the bundled model {bundled_model(config)!r} reads no embeddings "
                f"(only {list(EMBEDDING_MODELS)} does)"
            )
    return setting


def embeds_records(config: dict[str, Any], algorithm: str) -> bool:
    """The run has an embed transform output to join (ValidateInput resolved the setting to true)."""
    return algorithm == "bundled" and config.get(CONFIG_KEY) is True


def embed_input(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The embed transform's input: each working-manifest record as ``{"byoal-id", "source"}``, in order."""
    for record in records:
        yield {rec.ID_FIELD: rec.record_id(record), rec.SOURCE_FIELD: record[rec.SOURCE_FIELD]}


def with_embeddings(
    records: Iterable[dict[str, Any]], output: Iterable[dict[str, Any]], *, uri: str
) -> Iterator[dict[str, Any]]:
    """Each working-manifest record with its ``byoal-embedding`` from the embed transform's ``output`` (read from
    ``uri``).

    A streaming join by position: the n-th output line must carry the n-th record's id. Records are
    copied, never changed in place. Raises EmbeddingJoinError naming ``uri``, the line and both ids
    when they differ, when a line has no embedding, or when one side ends before the other.
    """
    lines = iter(output)
    number = 0
    for number, record in enumerate(records, start=1):
        line = next(lines, None)
        if line is None:
            raise EmbeddingJoinError(
                f"{uri} ends after {number - 1} lines, but the working manifest has a record "
                f"{rec.record_id(record)} at line {number}: the embed transform did not cover every record"
            )
        if line.get(rec.ID_FIELD) != rec.record_id(record):
            raise EmbeddingJoinError(
                f"{uri} line {number}: '{rec.ID_FIELD}' is {line.get(rec.ID_FIELD)!r}, but the working manifest's "
                f"record {number} is {rec.record_id(record)}: the embedding output is not in working-manifest order"
            )
        output_value = line.get(OUTPUT_KEY)
        if not isinstance(output_value, dict) or rec.EMBEDDING_FIELD not in output_value:
            raise EmbeddingJoinError(
                f"{uri} line {number}: no '{OUTPUT_KEY}.{rec.EMBEDDING_FIELD}' for record {rec.record_id(record)} "
                f"(got {str(output_value)[:80]}); was the model served with BYOAL_SERVE_MODE=embed?"
            )
        yield {**record, rec.EMBEDDING_FIELD: output_value[rec.EMBEDDING_FIELD]}
    extra = next(lines, None)
    if extra is not None:
        raise EmbeddingJoinError(
            f"{uri} has a line {number + 1} (record {extra.get(rec.ID_FIELD)!r}) after the working manifest's "
            f"{number} records: the embedding output is not of this working manifest"
        )


def working_records(
    storage: Storage, config: dict[str, Any], *, root: str, working_manifest: str, algorithm: str
) -> Iterator[dict[str, Any]]:
    """The records of ``working_manifest``, each with its ``byoal-embedding`` joined in if the run (folder
    ``root``, configuration ``config``) embedded its records for this model ``algorithm``; as they are
    otherwise. EmbeddingJoinError when the embedding output does not match the manifest record by record."""
    records = manifest.read_records(storage, working_manifest)
    if not embeds_records(config, algorithm):
        return records
    output = layout.embeddings_output(root)
    return with_embeddings(records, manifest.read_records(storage, output), uri=output)
