"""Load a trained model directory and predict, vectorised over whole batches of texts.

Used by ``serve`` and, in-process, by the offline runner. One prediction is
``{"label": <argmax class index>, "probabilities": [p_0, ..., p_{K-1}]}`` with probabilities
in class-index order, rounded to 6 decimals.

A ``minilm-tfidf`` model needs the sentence encoder it was trained with: it is loaded from the
image (or ``encoder_path``) and must have the encoder id that ``metadata.json`` records. Records
may carry their embedding (``byoal-embedding``); with ``$BYOAL_EMBEDDING_CACHE`` set, vectors are
also taken from and added to that cache (byoal_model.embeddings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from byoal_model import artifacts
from byoal_model.records import (
    BadRecordError,
    encode_jsonlines,
    parse_json_record_with_embedding,
    parse_jsonlines_with_embeddings,
)

__all__ = ["BadRecordError", "EmbeddingService", "Predictor"]

# Large enough to amortise per-call overhead, small enough that a padded batch of embeddings stays small.
CHUNK_SIZE = 1024
DECIMALS = 6


class Predictor:
    """Either model kind behind one interface: a Keras model (``model.keras``) or a ``LinearTextModel``."""

    def __init__(self, model: Any, metadata: dict[str, Any], *, embedder: Any = None) -> None:
        self.classes: list[str] = list(metadata["classes"])
        self.num_classes: int = len(self.classes)
        self.metadata = metadata
        self.embedder = embedder
        from byoal_model.linear import LinearTextModel

        if isinstance(model, LinearTextModel):
            if embedder is None:
                raise ValueError("a minilm-tfidf model needs an embedder")
            self._linear = model
            self._keras_probabilities = None
        else:
            import tensorflow as tf

            self._linear = None
            # One traced graph for every batch size, instead of Keras retracing per input shape.
            self._keras_probabilities = tf.function(
                lambda texts: model(texts, training=False),
                input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string)],
            )

    @classmethod
    def load(cls, model_dir: str | Path, *, embedding_cache: str | Path | None = None) -> Predictor:
        """The model in ``model_dir``; ``embedding_cache`` overrides ``$BYOAL_EMBEDDING_CACHE``.

        Raises byoal_model.encoder.EncoderError if the encoder is missing, fails its pinned hash, or
        is not the one the model was trained with.
        """
        model_dir = Path(model_dir)
        metadata = artifacts.read_metadata(model_dir)
        if metadata.get("model", "keras-scratch") == "keras-scratch":
            from byoal_model.model import load_text_model

            return cls(load_text_model(model_dir / artifacts.MODEL_FILE), metadata)
        import joblib

        from byoal_model.embeddings import Embedder, EmbeddingCache
        from byoal_model.encoder import EncoderError, load_encoder

        encoder = load_encoder(metadata["hyperparameters"].get("encoder_path"))
        if encoder.encoder_id != metadata["encoder"]["encoder_id"]:
            raise EncoderError(
                f"the model in {model_dir} was trained with encoder {metadata['encoder']['encoder_id']}, "
                f"but this image has {encoder.encoder_id}"
            )
        if embedding_cache is None:
            embedder = Embedder.with_cache_from_environment(encoder)
        else:
            embedder = Embedder(encoder, EmbeddingCache(Path(embedding_cache), encoder.encoder_id))
        return cls(joblib.load(model_dir / artifacts.LINEAR_MODEL_FILE), metadata, embedder=embedder)

    def predict_proba(self, texts: list[str], embeddings: list[Any] | None = None) -> np.ndarray:
        """Class probabilities (len(texts), num_classes), rows summing to 1; ``embeddings``: each record's
        ``byoal-embedding`` or None.

        Raises byoal_model.embeddings.EmbeddingFieldError for a malformed ``byoal-embedding``.
        """
        if self._linear is not None:
            return self._linear.predict_proba(texts, self.embedder.embed(texts, embeddings))
        import tensorflow as tf

        from byoal_model.text import clean_texts

        cleaned = clean_texts(texts)
        chunks = [
            self._keras_probabilities(tf.constant(cleaned[start : start + CHUNK_SIZE], dtype=tf.string)).numpy()
            for start in range(0, len(cleaned), CHUNK_SIZE)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.num_classes), dtype=np.float32)

    def predict_texts(self, texts: list[str], embeddings: list[Any] | None = None) -> list[dict[str, Any]]:
        """One ``{"label", "probabilities"}`` dict per text, in order."""
        probabilities = self.predict_proba(texts, embeddings)
        labels = probabilities.argmax(axis=1).tolist()
        rounded = np.round(probabilities.astype(np.float64), DECIMALS).tolist()
        return [{"label": label, "probabilities": row} for label, row in zip(labels, rounded, strict=True)]

    def _predict_records(self, texts: list[str], embeddings: list[Any]) -> list[dict[str, Any]]:
        from byoal_model.embeddings import EmbeddingFieldError

        try:
            return self.predict_texts(texts, embeddings)
        except EmbeddingFieldError as error:
            raise BadRecordError(error.index + 1, str(error).split(": ", 1)[1]) from None

    def predict_jsonlines(self, body: bytes | str) -> bytes:
        """One output line per input line, in order; raises BadRecordError for a malformed line."""
        return encode_jsonlines(self._predict_records(*parse_jsonlines_with_embeddings(body)))

    def predict_json(self, body: bytes | str) -> dict[str, Any]:
        """The prediction for a body holding one JSON record; raises BadRecordError if it is malformed."""
        text, embedding = parse_json_record_with_embedding(body)
        return self._predict_records([text], [embedding])[0]


class EmbeddingService:
    """The ``embed`` serving mode: each record's sentence embedding instead of a prediction.

    An output line is ``{"byoal-embedding": {"encoder": "<encoder id>", "float16": "<base64>"}}``,
    the field a record carries so that later training jobs and transforms need not encode it
    again (byoal_model.embeddings). No trained model is needed, only the encoder.
    """

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    @classmethod
    def load(cls, encoder_path: str = "") -> EmbeddingService:
        """Raises byoal_model.encoder.EncoderError if the encoder is missing or fails its pinned hash."""
        from byoal_model.embeddings import Embedder
        from byoal_model.encoder import load_encoder

        return cls(Embedder.with_cache_from_environment(load_encoder(encoder_path)))

    def embed_records(self, texts: list[str], embeddings: list[Any] | None = None) -> list[dict[str, Any]]:
        """One ``{"byoal-embedding": ...}`` dict per text, in order; a record's own valid embedding is reused.

        Raises :class:`BadRecordError` (1-based line) for a malformed ``byoal-embedding``.
        """
        from byoal_model.embeddings import EMBEDDING_FIELD, EmbeddingFieldError, encode_field

        try:
            vectors = self.embedder.embed(texts, embeddings)
        except EmbeddingFieldError as error:
            raise BadRecordError(error.index + 1, str(error).split(": ", 1)[1]) from None
        encoder_id = self.embedder.encoder.encoder_id
        return [{EMBEDDING_FIELD: encode_field(encoder_id, vector)} for vector in vectors]

    def predict_texts(self, texts: list[str]) -> list[dict[str, Any]]:
        """:meth:`embed_records` of texts that carry no embedding, with ``Predictor.predict_texts``' signature."""
        return self.embed_records(texts)

    def predict_jsonlines(self, body: bytes | str) -> bytes:
        """One output line per input line, in order; raises BadRecordError for a malformed line."""
        return encode_jsonlines(self.embed_records(*parse_jsonlines_with_embeddings(body)))

    def predict_json(self, body: bytes | str) -> dict[str, Any]:
        """The embedding of a body holding one JSON record; raises BadRecordError if it is malformed."""
        text, embedding = parse_json_record_with_embedding(body)
        return self.embed_records([text], [embedding])[0]
