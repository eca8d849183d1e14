"""Round step: write the training and validation channels and the training job's settings.

``algorithm`` is ``bundled`` for a container that follows this project's contract (the bundled
Keras model, or a user's image built the same way) or ``blazingtext`` for the SageMaker built-in
algorithm, which reads the channels as augmented manifests.

When the run embedded its records before the first round (byoal.embeddings), each channel record of a
``bundled`` container carries its ``byoal-embedding``, joined from that output by record id.
"""

from __future__ import annotations

import json
from typing import Any

from byoal import embeddings, layout, manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import storage_from_environment

METRIC_DEFINITIONS = [
    {"Name": name, "Regex": f"{name}=([0-9.]+)"}
    for name in ("train:accuracy", "train:loss", "validation:accuracy", "validation:loss")
]


def _channel(name: str, uri: str, algorithm: str, attribute: str) -> dict[str, Any]:
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
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}},
        "ContentType": "application/jsonlines",
        "CompressionType": "None",
    }


def training_settings(config: dict[str, Any], *, algorithm: str, training_image: str) -> dict[str, Any]:
    if algorithm == "blazingtext":
        hyperparameters = {"mode": "supervised", "epochs": "10", "early_stopping": "True", "patience": "2", "min_epochs": "3"}
        specification = {"TrainingImage": training_image, "TrainingInputMode": "Pipe"}
    elif algorithm == "bundled":
        hyperparameters = {
            "label_attribute_name": config["LabelAttributeName"],
            "num_classes": str(len(config["Labels"])),
            "label_names": json.dumps(config["Labels"]),
            "seed": str(config["Seed"]),
        }
        specification = {"TrainingImage": training_image, "TrainingInputMode": "File", "MetricDefinitions": METRIC_DEFINITIONS}
    else:
        raise InputError(f"model algorithm must be 'bundled' or 'blazingtext', got {algorithm!r}")
    return {"AlgorithmSpecification": specification, "HyperParameters": {**hyperparameters, **config["HyperParameters"]}}


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, root, round_number = event["config"], event["run"]["root"], event["round"]
    attribute = config["LabelAttributeName"]
    settings = training_settings(config, algorithm=event["algorithm"], training_image=event["training_image"])
    folders = {name: layout.round_folder(root, round_number) + f"training/{name}/" for name in ("train", "validation")}
    files = {name: folder + f"{name}.manifest" for name, folder in folders.items()}
    # A built-in algorithm reads an augmented manifest file; a bring-your-own container reads a folder.
    channel_uris = files if event["algorithm"] == "blazingtext" else folders

    def channel(validation: bool):
        for record in embeddings.working_records(storage, event):
            if rec.is_human_labeled(record, attribute) and rec.is_validation(record) == validation:
                yield {
                    rec.SOURCE_FIELD: record[rec.SOURCE_FIELD],
                    attribute: record[attribute],
                    **rec.embedding_fields(record, event["algorithm"]),
                }

    train_records = manifest.write_records(storage, files["train"], channel(validation=False))
    validation_records = manifest.write_records(storage, files["validation"], channel(validation=True))
    if train_records == 0 or validation_records == 0:
        raise InputError(
            f"round {round_number}: {train_records} training and {validation_records} validation records; "
            "both need human labels (raise SeedShare or label part of the input manifest)"
        )
    return {
        "job_name": layout.job_name(event["run"]["id"], round_number, "train", event.get("attempt", 0)),
        **settings,
        "InputDataConfig": [_channel(name, uri, event["algorithm"], attribute) for name, uri in channel_uris.items()],
        "OutputDataConfig": {"S3OutputPath": layout.round_folder(root, round_number) + "model/"},
        "train_records": train_records,
        "validation_records": validation_records,
    }
