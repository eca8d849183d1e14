"""``train``: fit the text classifier on the ``train`` and ``validation`` channels.

Reads ``input/config/hyperparameters.json`` and ``input/data/{train,validation}/``, writes
``model/model.joblib`` (``model=minilm-tfidf``, the default) or ``model/model.keras``
(``model=keras-scratch``) and ``model/metadata.json``, and prints metric lines such as
``validation:accuracy=0.912000`` (Keras: once per epoch too) and once for the final model. On any
error the reason goes to ``output/failure``, the exit code is 1 and nothing is left in ``model/``.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any

from byoal_model import artifacts
from byoal_model.channels import Channel, ChannelError, read_channel
from byoal_model.hyperparameters import (
    HyperparameterError,
    Hyperparameters,
    parse_hyperparameters,
    read_hyperparameters_file,
)
from byoal_model.paths import MlPaths

CHANNELS = ("train", "validation")


class TrainingDataError(ValueError):
    """The channels are well-formed but cannot train a classifier."""


def _expected_errors() -> tuple[type[Exception], ...]:
    from byoal_model.encoder import EncoderError

    return (HyperparameterError, ChannelError, TrainingDataError, EncoderError)


def class_names(hyperparameters: Hyperparameters, channels: dict[str, Channel]) -> list[str]:
    """``label_names``; else the indexes below ``num_classes``; else those up to the largest label seen."""
    if hyperparameters.label_names is not None:
        return list(hyperparameters.label_names)
    num_classes = hyperparameters.num_classes or 1 + max(max(channel.labels) for channel in channels.values())
    return [str(index) for index in range(num_classes)]


def check_classes(train: Channel, classes: list[str]) -> None:
    """Raise :class:`TrainingDataError` when the ``train`` channel holds fewer than two classes."""
    present = sorted(set(train.labels))
    if len(present) < 2:
        raise TrainingDataError(
            f"channel 'train' holds only class {present[0]} ({classes[present[0]]!r}) in its "
            f"{len(train.labels)} records; training needs at least two classes"
        )


def train(paths: MlPaths) -> None:
    """Read the hyperparameters and channels under ``paths``, fit the chosen model, publish it in ``model/``.

    Unknown hyperparameters are ignored with a warning. Raises :class:`HyperparameterError`,
    :class:`ChannelError`, :class:`TrainingDataError` or ``EncoderError`` for bad inputs; ``model/`` then
    gets no new files.
    """
    hyperparameters, unknown = parse_hyperparameters(read_hyperparameters_file(paths.hyperparameters_file))
    for name in unknown:
        print(f"warning: ignoring unknown hyperparameter '{name}'", flush=True)
    channels = {
        name: read_channel(
            paths.channel_dir(name),
            name,
            label_attribute=hyperparameters.label_attribute_name,
            num_classes=hyperparameters.num_classes,
        )
        for name in CHANNELS
    }
    classes = class_names(hyperparameters, channels)
    check_classes(channels["train"], classes)
    records = {name: len(channel.labels) for name, channel in channels.items()}
    print(f"training on {records['train']} records, validating on {records['validation']}, {len(classes)} classes")

    metadata = {
        "model": hyperparameters.model,
        "classes": classes,
        "num_classes": len(classes),
        "label_attribute_name": hyperparameters.label_attribute_name,
        "records": records,
        "hyperparameters": hyperparameters.to_json(),
    }
    if hyperparameters.model == "keras-scratch":
        _train_keras(hyperparameters, channels, metadata, paths.model_dir)
    else:
        _train_linear(hyperparameters, channels, metadata, paths.model_dir)


def metric_line(prefix: str, metrics: dict[str, float]) -> str:
    """One line that SageMaker metric definitions such as ``validation:accuracy=([0-9.]+)`` match."""
    return " ".join([prefix, *(f"{name}={value:.6f}" for name, value in metrics.items())])


def _train_keras(
    hyperparameters: Hyperparameters, channels: dict[str, Channel], metadata: dict[str, Any], model_dir: Path
) -> None:
    # Imported once the inputs are known to be good, so that bad ones fail without TensorFlow's start-up time.
    from byoal_model.fitting import fit

    trained = fit(hyperparameters, metadata["num_classes"], channels["train"], channels["validation"])
    print(metric_line("final", trained.metrics), flush=True)
    with artifacts.staged_files(model_dir) as staging:
        trained.model.save(staging / artifacts.MODEL_FILE)
        metadata.update(metrics=trained.metrics, epochs_run=trained.epochs_run, best_epoch=trained.best_epoch)
        artifacts.write_metadata(staging, metadata)


def _channel_embeddings(embedder: Any, channel: Channel) -> Any:
    from byoal_model.embeddings import EmbeddingFieldError

    try:
        return embedder.embed(channel.texts, channel.embeddings)
    except EmbeddingFieldError as error:
        raise ChannelError(f"channel '{channel.name}': {error}") from None


def _train_linear(
    hyperparameters: Hyperparameters, channels: dict[str, Channel], metadata: dict[str, Any], model_dir: Path
) -> None:
    import joblib

    from byoal_model import linear
    from byoal_model.embeddings import Embedder
    from byoal_model.encoder import load_encoder

    started = time.perf_counter()
    embedder = Embedder.with_cache_from_environment(load_encoder(hyperparameters.encoder_path))
    train, validation = channels["train"], channels["validation"]
    train_vectors = _channel_embeddings(embedder, train)
    validation_vectors = _channel_embeddings(embedder, validation)
    embedding_seconds = time.perf_counter() - started
    counts = embedder.counts.as_dict()
    print(
        "embeddings: {encoded} encoded, {cached} from the cache, {precomputed} from the records".format(**counts)
        + f" ({embedding_seconds:.1f} s, encoder {embedder.encoder.encoder_id})",
        flush=True,
    )
    started = time.perf_counter()
    model = linear.fit_linear(
        train.texts,
        train_vectors,
        train.labels,
        num_classes=metadata["num_classes"],
        logistic_c=hyperparameters.logistic_c,
        embedding_weight=hyperparameters.embedding_weight,
    )
    fitting_seconds = time.perf_counter() - started
    metrics = {
        f"{name}:{key}": value
        for name, texts, vectors, labels in (
            ("train", train.texts, train_vectors, train.labels),
            ("validation", validation.texts, validation_vectors, validation.labels),
        )
        for key, value in linear.metrics(model, texts, vectors, labels).items()
    }
    print(f"fitted in {fitting_seconds:.1f} s", flush=True)
    print(metric_line("final", metrics), flush=True)
    with artifacts.staged_files(model_dir) as staging:
        joblib.dump(model, staging / artifacts.LINEAR_MODEL_FILE)
        metadata.update(
            metrics=metrics,
            encoder={"encoder_id": embedder.encoder.encoder_id, "dimension": embedder.encoder.dimension},
            embeddings=counts,
            seconds={"embedding": round(embedding_seconds, 3), "fitting": round(fitting_seconds, 3)},
        )
        artifacts.write_metadata(staging, metadata)


def failure_reason(error: Exception) -> str:
    """What goes to ``output/failure``: the message of an expected input error, else its type, message and traceback."""
    if isinstance(error, _expected_errors()):
        return str(error)
    return f"unexpected error: {type(error).__name__}: {error}\n\n{traceback.format_exc()}"


def main() -> int:
    """Train; on failure write ``output/failure`` and return 1."""
    paths = MlPaths.from_environment()
    try:
        train(paths)
    except Exception as error:
        reason = failure_reason(error)
        paths.failure_file.parent.mkdir(parents=True, exist_ok=True)
        paths.failure_file.write_text(reason + "\n", encoding="utf-8")
        print(f"training failed: {reason}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
