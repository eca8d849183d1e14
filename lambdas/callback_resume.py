"""Workforce ``Callback``, second half: take a labeled manifest and resume the waiting execution.

Event and result: :class:`byoal.step_contracts.CallbackResumeEvent`/``CallbackResumeResult``
(``pending``: the batch's pending file, ``layout.callback_pending``). Each labeled line needs the batch
record's ``byoal-id`` and the label attribute (a class index); metadata is added in the Ground Truth
format when the line has none (byoal.labeled_batch). The labels are checked before anything is
written or the execution resumes, so a bad file can be fixed and sent again.

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
from byoal.labeled_batch import labeled_records
from byoal.step_contracts import CallbackPending, CallbackResumeEvent, CallbackResumeResult, HumanLabels
from byoal.storage import ObjectExists, Storage, read_bytes, storage_from_environment

LOCAL_TOKEN_DIR_ENV = "BYOAL_LOCAL_TASK_TOKEN_DIR"


class TaskResumer(Protocol):
    """What resumes a waiting task: the Step Functions client, or :class:`LocalTaskResumer` offline."""

    def send_task_success(self, *, taskToken: str, output: str) -> Any:
        """Complete the task waiting with ``taskToken``; ``output`` is its JSON output (Step Functions' API)."""


class LocalTaskResumer:
    """The offline runner's stand-in for Step Functions: one file per answered task token."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        """Write ``output`` (the task's JSON output) to ``<directory>/<token, / as _>.json``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = taskToken.replace("/", "_")
        (self.directory / f"{name}.json").write_text(output, encoding="utf-8")


def resumer_from_environment() -> TaskResumer:
    """A LocalTaskResumer when ``BYOAL_LOCAL_TASK_TOKEN_DIR`` is set (offline runner), else Step Functions."""
    directory = os.environ.get(LOCAL_TOKEN_DIR_ENV)
    if directory:
        return LocalTaskResumer(directory)
    import boto3

    return boto3.client("stepfunctions")


def resume(resumer: TaskResumer, pending: CallbackPending) -> None:
    """Hand the batch's stored labels to the task waiting with the pending file's token.

    The task's output is :class:`byoal.step_contracts.HumanLabels`. InputError (saying to redrive) when the
    execution no longer waits for the token; any other error of the call is raised as it is.
    """
    output = HumanLabels(output_manifest=pending.output_manifest).to_result()
    try:
        resumer.send_task_success(taskToken=pending.task_token, output=json.dumps(output))
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code not in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            raise
        raise InputError(
            f"the labels of batch {pending.job_name} are stored ({pending.output_manifest}), but the execution "
            f"no longer waits for them ({code}): redrive it (python -m scripts.start --redrive <execution ARN>) "
            "and it takes these labels without asking again"
        ) from None


def read_pending(storage: Storage, uri: str) -> CallbackPending:
    """The pending file at ``uri``; StorageError if there is none, StepContractError if it lacks a field."""
    return CallbackPending.from_event(json.loads(read_bytes(storage, uri)))


def already_labeled(pending: CallbackPending) -> InputError:
    """The error for a second submission of a batch that has its labels."""
    return InputError(
        f"batch {pending.job_name} already has its labels ({pending.output_manifest}); a labeled batch is "
        "accepted once, so this submission changed nothing"
    )


def store_labels(storage: Storage, pending: CallbackPending, labeled: list[dict[str, Any]]) -> None:
    """Write the batch's labels unless it has some already (then InputError, nothing written)."""
    try:
        with storage.open_write(pending.output_manifest, if_absent=True) as sink:
            for record in labeled:
                sink.write(manifest.dumps(record))
    except ObjectExists:
        raise already_labeled(pending) from None


def handler(event: dict[str, Any], context: Any = None, *, resumer: TaskResumer | None = None) -> dict[str, Any]:
    """CallbackResumeEvent -> CallbackResumeResult.

    InputError (nothing written, the execution not resumed) for a batch labeled before or a labeled
    manifest that fails byoal.labeled_batch's check; ``resumer`` replaces Step Functions (tests, scripts).
    """
    parsed = CallbackResumeEvent.from_event(event)
    storage = storage_from_environment()
    pending = read_pending(storage, parsed.pending)
    if storage.exists(pending.output_manifest):
        raise already_labeled(pending)
    batch = list(manifest.read_records(storage, pending.input_manifest))
    labeled = labeled_records(
        batch,
        manifest.read_numbered_records(storage, parsed.labeled_manifest),
        uri=parsed.labeled_manifest,
        job_name=pending.job_name,
        label_attribute=pending.label_attribute,
        labels=pending.labels,
        labeled_at=rec.iso_timestamp(),
    )
    store_labels(storage, pending, labeled)
    resume(resumer or resumer_from_environment(), pending)
    return CallbackResumeResult(job_name=pending.job_name, labeled=len(labeled), of=len(batch)).to_result()
