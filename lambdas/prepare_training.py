"""Round step: write the training and validation channels and the training job's settings.

Both channels hold only human-labeled records that are not calibration records: no model sees a
calibration label, not even to choose its best epoch. ``train`` holds all of them; ``validation``
(the container's early stopping and its validation metrics) a seeded random
``EARLY_STOPPING_SHARE`` of the same records. Holding that share out of training instead cost a
tenth of the training labels for nothing measurable: on the bundled sample the bundled model's
validation loss still fell at epoch 10 of 10, so early stopping never stopped it.

``algorithm`` is ``bundled`` for a container that follows this project's contract (the bundled
Keras model, or a user's image built the same way) or ``blazingtext`` for the SageMaker built-in
algorithm, which reads the channels as augmented manifests.

When the run embedded its records before the first round (byoal.embeddings), each channel record of a
``bundled`` container carries its ``byoal-embedding``, joined from that output by record id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from byoal import embeddings, layout, manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.sampling import choose_positions
from byoal.step_contracts import PrepareTrainingEvent, PrepareTrainingResult
from byoal.storage import storage_from_environment

EARLY_STOPPING_SHARE = 0.1

METRIC_DEFINITIONS = [
    {"Name": name, "Regex": f"{name}=([0-9.]+)"}
    for name in ("train:accuracy", "train:loss", "validation:accuracy", "validation:loss")
]


def _channel(name: str, uri: str, algorithm: str, attribute: str) -> dict[str, Any]:
    """One ``InputDataConfig`` channel: an augmented manifest for BlazingText, a JSON Lines folder otherwise."""
    if algorithm == "blazingtext":
        return {
            "ChannelName": name,
            "DataSource": {"S3DataSource": {
                "S3DataType": "AugmentedManifestFile", "S3Uri": uri,
                "S3DataDistributionType": "FullyReplicated", "AttributeNames": [rec.SOURCE_FIELD, attribute],
            }},
            "ContentType": "application/x-recordio",
            "RecordWrapperType": "RecordIO",
            "CompressionType": "None",
        }
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
        },
        "ContentType": "application/jsonlines",
        "CompressionType": "None",
    }


def training_settings(config: dict[str, Any], *, algorithm: str, training_image: str) -> dict[str, Any]:
    """``{"AlgorithmSpecification", "HyperParameters"}`` of the training job (hyperparameters as strings, the
    request's ``HyperParameters`` over the defaults); InputError for an algorithm other than ``bundled`` or
    ``blazingtext``."""
    if algorithm == "blazingtext":
        hyperparameters = {
            "mode": "supervised", "epochs": "10", "early_stopping": "True", "patience": "2", "min_epochs": "3"
        }
        specification = {"TrainingImage": training_image, "TrainingInputMode": "Pipe"}
    elif algorithm == "bundled":
        hyperparameters = {
            "label_attribute_name": config["LabelAttributeName"],
            "num_classes": str(len(config["Labels"])),
            "label_names": json.dumps(config["Labels"]),
            "seed": str(config["Seed"]),
        }
        specification = {
            "TrainingImage": training_image, "TrainingInputMode": "File", "MetricDefinitions": METRIC_DEFINITIONS
        }
    else:
        raise InputError(f"model algorithm must be 'bundled' or 'blazingtext', got {algorithm!r}")
    return {
        "AlgorithmSpecification": specification, "HyperParameters": {**hyperparameters, **config["HyperParameters"]}
    }


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """PrepareTrainingEvent -> PrepareTrainingResult (the training job's name, settings and channels).

    InputError when either channel would be empty (too few human labels outside the calibration set).
    """
    parsed = PrepareTrainingEvent.from_event(event)
    storage = storage_from_environment()
    config, root, round_number, algorithm = parsed.config, parsed.run.root, parsed.round, parsed.algorithm
    attribute = config["LabelAttributeName"]
    settings = training_settings(config, algorithm=algorithm, training_image=parsed.training_image)
    channels = ("train", "validation")
    folders = {name: layout.training_channel_folder(root, round_number, name) for name in channels}
    files = {name: layout.training_channel_manifest(root, round_number, name) for name in channels}
    # A built-in algorithm reads an augmented manifest file; a bring-your-own container reads a folder.
    channel_uris = files if algorithm == "blazingtext" else folders

    def training_records() -> Iterator[dict[str, Any]]:
        working = embeddings.working_records(
            storage, config, root=root, working_manifest=parsed.working.manifest, algorithm=algorithm
        )
        for record in working:
            if rec.is_human_labeled(record, attribute) and not rec.is_calibration(record):
                yield {
                    rec.SOURCE_FIELD: record[rec.SOURCE_FIELD],
                    attribute: record[attribute],
                    **rec.embedding_fields(record, algorithm),
                }

    available = sum(1 for _ in training_records())
    chosen = choose_positions(
        available, max(1, round(EARLY_STOPPING_SHARE * available)),
        seed=f"early-stopping-{config['Seed']}-{round_number}",
    )

    def early_stopping_records() -> Iterator[dict[str, Any]]:
        for position, record in enumerate(training_records()):
            if position in chosen:
                yield record

    train_records = manifest.write_records(storage, files["train"], training_records())
    validation_records = manifest.write_records(storage, files["validation"], early_stopping_records())
    if train_records == 0 or validation_records == 0:
        raise InputError(
            f"round {round_number}: {train_records} training and {validation_records} validation records; "
            "both need human labels that are not calibration records "
            "(raise SeedShare or label part of the input manifest)"
        )
    return PrepareTrainingResult(
        job_name=layout.job_name(parsed.run.id, round_number, "train", parsed.attempt),
        AlgorithmSpecification=settings["AlgorithmSpecification"],
        HyperParameters=settings["HyperParameters"],
        InputDataConfig=[_channel(name, uri, algorithm, attribute) for name, uri in channel_uris.items()],
        OutputDataConfig={"S3OutputPath": layout.model_output_prefix(root, round_number)},
        train_records=train_records,
        validation_records=validation_records,
    ).to_result()
