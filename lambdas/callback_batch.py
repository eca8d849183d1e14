"""Workforce ``Callback``, first half: publish the batch and keep the task token beside it.

The state machine waits (``.waitForTaskToken``) until ``callback_resume`` receives the labeled
manifest. The token is stored in the run's bucket (encrypted at rest, ``layout.callback_pending``),
never logged.

If the batch has labels already — stored before the execution stopped, and now redriven — they are
handed over at once with the new token: a labeled batch is never asked for again.
"""

from __future__ import annotations

import json
from typing import Any

from byoal import layout
from byoal.step_contracts import CallbackBatchEvent, CallbackBatchResult, CallbackPending, require
from byoal.storage import storage_from_environment, write_bytes
from lambdas.callback_resume import resume, resumer_from_environment


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """CallbackBatchEvent -> CallbackBatchResult; the state's own result is the token's answer (HumanLabels)."""
    parsed = CallbackBatchEvent.from_event(event)
    storage = storage_from_environment()
    batch = parsed.human_batch
    uri = layout.callback_pending(parsed.run.root, batch.job_name)
    pending = CallbackPending(
        task_token=parsed.task_token,
        job_name=batch.job_name,
        input_manifest=batch.input_manifest,
        output_manifest=require(batch.output_manifest, step=parsed.step, key="human_batch.output_manifest"),
        label_attribute=parsed.config["LabelAttributeName"],
        labels=parsed.config["Labels"],
    )
    write_bytes(storage, uri, json.dumps(pending.to_result(), indent=1).encode("utf-8"))
    if storage.exists(pending.output_manifest):
        resume(resumer_from_environment(), pending)
        return CallbackBatchResult(pending=uri, records=batch.count, labeled_before=True).to_result()
    return CallbackBatchResult(pending=uri, records=batch.count).to_result()
