"""Step: check the execution input, then copy the input manifest into the run's working area.

Every record is checked before the copy is published, so bad input fails here, naming the field
or line, before any job starts and with nothing written. The run folder is then claimed for the
execution (``execution.json``, written only if absent): a retry or redrive of the same execution
finds its own claim, and any other execution that would land in the folder is refused, so no
execution ever reads another's round files.
"""

from __future__ import annotations

import json
import math
from typing import Any

from byoal import layout, manifest
from byoal.answer_key import check_answer_key
from byoal import records as rec
from byoal.errors import InputError
from byoal.labels import load_label_categories
from byoal.request import validate_request
from byoal.storage import ObjectExists, Storage, StorageError, read_bytes, storage_from_environment
from byoal.working import assign_ids


def claim_run_folder(storage: Storage, root: str, execution_id: str) -> None:
    """Mark the run folder as this execution's; InputError if another execution owns it."""
    marker = layout.execution_marker(root)
    try:
        with storage.open_write(marker, if_absent=True) as sink:
            sink.write(json.dumps({"execution_id": execution_id}).encode("utf-8"))
    except ObjectExists:
        owner = json.loads(read_bytes(storage, marker))["execution_id"]
        if owner != execution_id:
            raise InputError(
                f"the run folder {root} belongs to execution {owner}; start this one under another name "
                "(or redrive that one)"
            ) from None


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
    claim_run_folder(storage, root, event.get("execution_id", event["execution_name"]))
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
