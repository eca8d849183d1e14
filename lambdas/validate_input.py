"""Step: check the execution input, then copy the input manifest into the run's working area.

Every record is checked before the copy is published, so bad input fails here, naming the field
or line, before any job starts and with nothing written.
"""

from __future__ import annotations

import math
from typing import Any

from byoal import layout, manifest
from byoal.answer_key import check_answer_key
from byoal import records as rec
from byoal.errors import InputError
from byoal.labels import load_label_categories
from byoal.request import validate_request
from byoal.storage import StorageError, storage_from_environment
from byoal.working import assign_ids


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    request = event["request"]
    config = validate_request(request)
    labels = load_label_categories(storage, config["LabelCategoryConfigS3Uri"])
    source_uri = config["InputManifestS3Uri"]
    if not storage.exists(source_uri):
        raise InputError(f"'InputConfig.DataSource.S3DataSource.ManifestS3Uri': object not found: {source_uri}")
    if config["Workforce"] == "Simulated" and not storage.exists(config["AnswerKeyS3Uri"]):
        raise InputError(f"'ActiveLearningConfig.AnswerKeyS3Uri': object not found: {config['AnswerKeyS3Uri']}")

    run = layout.run_id(config["LabelingJobNamePrefix"], event["execution_name"])
    root = layout.run_root(config["S3OutputPath"], run)
    copy_uri = layout.input_copy(root)
    attribute = config["LabelAttributeName"]

    def checked_records():
        for number, record in manifest.read_numbered_records(storage, source_uri):
            rec.check_record(record, label_attribute=attribute, num_classes=len(labels), where=f"{source_uri} line {number}")
            yield number, record

    try:
        record_count = sum(1 for _ in assign_ids(checked_records(), uri=source_uri))
    except StorageError as error:
        raise InputError(f"'InputConfig.DataSource.S3DataSource.ManifestS3Uri': {error}") from None
    if record_count == 0:
        raise InputError(f"{source_uri}: the input manifest holds no records")
    if config["AnswerKeyS3Uri"] and storage.exists(config["AnswerKeyS3Uri"]):
        check_answer_key(storage, config["AnswerKeyS3Uri"], source_uri, label_attribute=attribute, num_classes=len(labels))
    with storage.open_read(source_uri) as stream, storage.open_write(copy_uri) as sink:
        while chunk := stream.read(1024 * 1024):
            sink.write(chunk)

    config.update(
        Labels=labels,
        RecordCount=record_count,
        HumanBatchSize=config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * record_count)),
    )
    return {
        "request": request,
        "config": config,
        "run": {"id": run, "root": root, "input_manifest": copy_uri, "final_manifest": layout.final_manifest(root)},
    }
