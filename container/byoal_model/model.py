"""The Keras model: cleaned headline -> token ids -> mean word embedding -> class probabilities.

Training fits the classifier on token ids; the saved model wraps vectorizer and classifier so it
takes cleaned strings and carries its own vocabulary.
"""

from __future__ import annotations

from pathlib import Path

import keras

from byoal_model.hyperparameters import Hyperparameters

STEPS_PER_EXECUTION = 16


@keras.saving.register_keras_serializable(package="byoal_model")
class MaskedAverage(keras.layers.Layer):
    """Mean of the embeddings of a headline's tokens, ignoring padding.

    Unlike ``GlobalAveragePooling1D`` it returns zeros, not NaN, for a headline with no tokens left
    after cleaning (one made only of stop words): a single NaN would poison a whole training batch.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, embeddings, mask=None):
        if mask is None:
            return keras.ops.mean(embeddings, axis=1)
        weights = keras.ops.expand_dims(keras.ops.cast(mask, embeddings.dtype), axis=-1)
        total = keras.ops.sum(embeddings * weights, axis=1)
        return total / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None


def build_vectorizer(hyperparameters: Hyperparameters) -> keras.layers.TextVectorization:
    """Whitespace tokens of already-cleaned text, padded or cut to ``max_len`` ids; adapt before use."""
    return keras.layers.TextVectorization(
        max_tokens=hyperparameters.vocab_size,
        standardize=None,
        split="whitespace",
        output_mode="int",
        output_sequence_length=hyperparameters.max_len,
        name="vectorizer",
    )


def build_classifier(hyperparameters: Hyperparameters, num_classes: int) -> keras.Model:
    """Token ids -> class probabilities, compiled for integer labels."""
    token_ids = keras.Input(shape=(hyperparameters.max_len,), dtype="int64", name="token_ids")
    embedded = keras.layers.Embedding(
        hyperparameters.vocab_size, hyperparameters.embedding_dim, mask_zero=True, name="embedding"
    )(token_ids)
    pooled = MaskedAverage(name="average")(embedded)
    dropped = keras.layers.Dropout(hyperparameters.dropout, name="dropout")(pooled)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(dropped)
    classifier = keras.Model(token_ids, probabilities, name="classifier")
    classifier.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hyperparameters.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        # Several batches per graph call: for a model this small, per-step overhead dominates on CPU.
        steps_per_execution=STEPS_PER_EXECUTION,
    )
    return classifier


def build_text_model(vectorizer: keras.layers.TextVectorization, classifier: keras.Model) -> keras.Model:
    """Cleaned strings -> class probabilities: the model that is saved and served."""
    texts = keras.Input(shape=(), dtype="string", name="text")
    return keras.Model(texts, classifier(vectorizer(texts)), name="headline_classifier")


def load_text_model(path: Path) -> keras.Model:
    return keras.models.load_model(path, compile=False)
