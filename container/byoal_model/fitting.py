"""Fit the classifier with early stopping and report SageMaker metric lines."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from byoal_model.channels import Channel
from byoal_model.hyperparameters import Hyperparameters
from byoal_model.model import build_classifier, build_text_model, build_vectorizer
from byoal_model.text import clean_texts
from byoal_model.train import metric_line

# Metric line name -> Keras history key.
METRIC_KEYS = {
    "train:loss": "loss",
    "train:accuracy": "accuracy",
    "validation:loss": "val_loss",
    "validation:accuracy": "val_accuracy",
}
EVALUATION_BATCH_SIZE = 1024


@dataclass(frozen=True)
class TrainedModel:
    """A fitted ``keras-scratch`` model with its final metrics, the epochs run and the (1-based) best epoch."""

    model: keras.Model
    """Cleaned strings -> class probabilities."""
    metrics: dict[str, float]
    """Of the restored best weights, keyed like the metric lines."""
    epochs_run: int
    best_epoch: int


class MetricLines(keras.callbacks.Callback):
    """Prints one metric line per epoch (``epoch=<n> train:loss=... validation:accuracy=...``) to stdout."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Print the epoch's loss and accuracy on both channels; ``epoch`` is 0-based, printed 1-based."""
        metrics = {name: float(logs[key]) for name, key in METRIC_KEYS.items()}
        print(metric_line(f"epoch={epoch + 1}", metrics), flush=True)


def fit(hyperparameters: Hyperparameters, num_classes: int, train: Channel, validation: Channel) -> TrainedModel:
    """Adapt the vocabulary to the training texts, fit, and keep the weights of the best validation loss.

    Labels are class indexes below ``num_classes``. Seeds Python, NumPy and TensorFlow with
    ``hyperparameters.seed``; stops after ``early_stopping_patience`` epochs without a lower validation loss.
    """
    keras.utils.set_random_seed(hyperparameters.seed)
    train_texts = tf.constant(clean_texts(train.texts))
    vectorizer = build_vectorizer(hyperparameters)
    vectorizer.adapt(train_texts)
    train_ids = vectorizer(train_texts).numpy()
    validation_ids = vectorizer(tf.constant(clean_texts(validation.texts))).numpy()
    train_labels, validation_labels = np.array(train.labels), np.array(validation.labels)

    classifier = build_classifier(hyperparameters, num_classes)
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=hyperparameters.early_stopping_patience, restore_best_weights=True
    )
    history = classifier.fit(
        train_ids,
        train_labels,
        validation_data=(validation_ids, validation_labels),
        epochs=hyperparameters.epochs,
        batch_size=hyperparameters.batch_size,
        callbacks=[stopping, MetricLines()],
        verbose=0,
    )
    train_loss, train_accuracy = classifier.evaluate(
        train_ids, train_labels, batch_size=EVALUATION_BATCH_SIZE, verbose=0
    )
    validation_loss, validation_accuracy = classifier.evaluate(
        validation_ids, validation_labels, batch_size=EVALUATION_BATCH_SIZE, verbose=0
    )
    return TrainedModel(
        model=build_text_model(vectorizer, classifier),
        metrics={
            "train:loss": float(train_loss),
            "train:accuracy": float(train_accuracy),
            "validation:loss": float(validation_loss),
            "validation:accuracy": float(validation_accuracy),
        },
        epochs_run=len(history.epoch),
        best_epoch=stopping.best_epoch + 1,
    )
