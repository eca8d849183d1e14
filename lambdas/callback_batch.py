"""Workforce ``Callback``, first half: publish the batch and keep the task token beside it.

The state machine waits (``.waitForTaskToken``) until ``callback_resume`` receives the labeled
manifest. The token is stored in the run's bucket (encrypted at rest), never logged.

If the batch has labels already — stored before the execution stopped, and now redriven — they are
handed over at once with the new token: a labeled batch is never asked for again.
"""

from __future__ import annotations

import json
from typing import Any

from byoal import layout
from byoal.storage import storage_from_environment, write_bytes
from lambdas.callback_resume import resume, resumer_from_environment

PENDING_FILE = "callback.json"


def pending_uri(root: str, job_name: str) -> str:
    return layout.labeling_job_folder(root, job_name) + PENDING_FILE


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    storage = storage_from_environment()
    config, batch = event["config"], event["human_batch"]
    uri = pending_uri(event["run"]["root"], batch["job_name"])
    pending = {
        "task_token": event["task_token"],
        "job_name": batch["job_name"],
        "input_manifest": batch["input_manifest"],
        "output_manifest": batch["output_manifest"],
        "label_attribute": config["LabelAttributeName"],
        "labels": config["Labels"],
    }
    write_bytes(storage, uri, json.dumps(pending, indent=1).encode("utf-8"))
    if storage.exists(batch["output_manifest"]):
        resume(resumer_from_environment(), pending)
        return {"pending": uri, "records": batch["count"], "labeled_before": True}
    return {"pending": uri, "records": batch["count"]}
