"""Load a trained model directory and predict, vectorised over whole batches of texts.

Used by ``serve`` and, in-process, by the offline runner. One prediction is
``{"label": <argmax class index>, "probabilities": [p_0, ..., p_{K-1}]}`` with probabilities
in class-index order, rounded to 6 decimals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from byoal_model import artifacts
from byoal_model.model import load_text_model
from byoal_model.records import BadRecordError, encode_jsonlines, parse_jsonlines
from byoal_model.text import clean_texts

__all__ = ["BadRecordError", "Predictor"]

# Large enough to amortise per-call overhead, small enough that a padded batch of embeddings stays small.
CHUNK_SIZE = 1024
DECIMALS = 6


class Predictor:
    def __init__(self, model: keras.Model, metadata: dict[str, Any]):
        self.classes: list[str] = list(metadata["classes"])
        self.num_classes: int = len(self.classes)
        self.metadata = metadata
        # One traced graph for every batch size, instead of Keras retracing per input shape.
        self._probabilities = tf.function(
            lambda texts: model(texts, training=False),
            input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string)],
        )

    @classmethod
    def load(cls, model_dir: str | Path) -> Predictor:
        model_dir = Path(model_dir)
        metadata = artifacts.read_metadata(model_dir)
        return cls(load_text_model(model_dir / artifacts.MODEL_FILE), metadata)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text."""
        cleaned = clean_texts(texts)
        chunks = [
            self._probabilities(tf.constant(cleaned[start : start + CHUNK_SIZE], dtype=tf.string)).numpy()
            for start in range(0, len(cleaned), CHUNK_SIZE)
        ]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.num_classes), dtype=np.float32)

    def predict_texts(self, texts: list[str]) -> list[dict[str, Any]]:
        """One ``{"label", "probabilities"}`` dict per text, in order."""
        probabilities = self.predict_proba(texts)
        labels = probabilities.argmax(axis=1).tolist()
        rounded = np.round(probabilities.astype(np.float64), DECIMALS).tolist()
        return [{"label": label, "probabilities": row} for label, row in zip(labels, rounded, strict=True)]

    def predict_jsonlines(self, body: bytes | str) -> bytes:
        """One output line per input line, in order; raises BadRecordError for a malformed line."""
        return encode_jsonlines(self.predict_texts(parse_jsonlines(body)))
