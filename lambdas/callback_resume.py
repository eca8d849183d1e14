"""Workforce ``Callback``, second half: take a labeled manifest and resume the waiting execution.

Event: ``{"pending": "s3://.../labeling-jobs/<job>/callback.json", "labeled_manifest": "s3://..."}``.
Each labeled line needs the batch record's ``byoal-id`` and the label attribute (a class index);
metadata is added in the Ground Truth format when the line has none. The labels are checked
before anything is written or the execution resumes, so a bad file can be fixed and sent again.

A batch is labeled once: the labels object is written only if absent (a conditional write), and
only then is the task token used. A second submission for the batch is refused and changes
nothing. If the execution stopped waiting meanwhile (the task timed out), the labels stay stored
and a redrive of the execution takes them without asking again (``callback_batch``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from byoal import manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import ObjectExists, Storage, read_bytes, storage_from_environment

LOCAL_TOKEN_DIR_ENV = "BYOAL_LOCAL_TASK_TOKEN_DIR"


class TaskResumer(Protocol):
    def send_task_success(self, *, taskToken: str, output: str) -> Any: ...


class LocalTaskResumer:
    """The offline runner's stand-in for Step Functions: one file per answered task token."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = taskToken.replace("/", "_")
        (self.directory / f"{name}.json").write_text(output, encoding="utf-8")


def resumer_from_environment() -> TaskResumer:
    directory = os.environ.get(LOCAL_TOKEN_DIR_ENV)
    if directory:
        return LocalTaskResumer(directory)
    import boto3

    return boto3.client("stepfunctions")


def resume(resumer: TaskResumer, pending: dict[str, Any]) -> None:
    """Hand the batch's stored labels to the task waiting with the pending file's token."""
    try:
        resumer.send_task_success(taskToken=pending["task_token"], output=json.dumps({"output_manifest": pending["output_manifest"]}))
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code not in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            raise
        raise InputError(
            f"the labels of batch {pending['job_name']} are stored ({pending['output_manifest']}), but the execution "
            f"no longer waits for them ({code}): redrive it (python -m scripts.start --redrive <execution ARN>) "
            "and it takes these labels without asking again"
        ) from None


def labeled_batch(batch: list[dict[str, Any]], labeled: Any, *, pending: dict[str, Any], uri: str, labeled_at: str) -> list[dict[str, Any]]:
    attribute, labels = pending["label_attribute"], pending["labels"]
    by_id = {rec.record_id(record): record for record in batch}
    result: dict[int, dict[str, Any]] = {}
    for line, record in labeled:
        where = f"{uri} line {line}"
        identity = record.get(rec.ID_FIELD)
        if identity not in by_id:
            raise InputError(f"{where}: '{rec.ID_FIELD}' {identity!r} is not a record of batch {pending['job_name']}")
        if identity in result:
            raise InputError(f"{where}: record id {identity} is labeled twice")
        if attribute not in record:
            continue
        label = rec.check_label(record[attribute], label_attribute=attribute, num_classes=len(labels), where=where)
        metadata = record.get(rec.metadata_field(attribute)) or rec.label_metadata(
            class_name=labels[label], confidence=1.0, human=True, job_name=pending["job_name"], creation_date=labeled_at
        )
        result[identity] = rec.with_label(by_id[identity], label_attribute=attribute, label=label, metadata=metadata)
    return [result[identity] for identity in by_id if identity in result]


def already_labeled(pending: dict[str, Any]) -> InputError:
    return InputError(
        f"batch {pending['job_name']} already has its labels ({pending['output_manifest']}); a labeled batch is "
        "accepted once, so this submission changed nothing"
    )


def store_labels(storage: Storage, pending: dict[str, Any], labeled: list[dict[str, Any]]) -> None:
    """Write the batch's labels unless it has some already (then InputError, nothing written)."""
    try:
        with storage.open_write(pending["output_manifest"], if_absent=True) as sink:
            for record in labeled:
                sink.write(manifest.dumps(record))
    except ObjectExists:
        raise already_labeled(pending) from None


def handler(event: dict[str, Any], context: Any = None, *, resumer: TaskResumer | None = None) -> dict[str, Any]:
    storage = storage_from_environment()
    pending = json.loads(read_bytes(storage, event["pending"]))
    if storage.exists(pending["output_manifest"]):
        raise already_labeled(pending)
    batch = list(manifest.read_records(storage, pending["input_manifest"]))
    labeled = labeled_batch(
        batch,
        manifest.read_numbered_records(storage, event["labeled_manifest"]),
        pending=pending,
        uri=event["labeled_manifest"],
        labeled_at=rec.iso_timestamp(),
    )
    store_labels(storage, pending, labeled)
    resume(resumer or resumer_from_environment(), pending)
    return {"job_name": pending["job_name"], "labeled": len(labeled), "of": len(batch)}
