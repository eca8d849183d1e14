"""Local stand-ins for human labeling: a Ground Truth job answered from the answer key, and task tokens.

``createLabelingJob.sync`` labels the job's input manifest with the Simulated workforce (the
answer key and error rate of the run) and writes the output where Ground Truth would.
``.waitForTaskToken`` tasks wait until a token's answer appears in the token folder, which is
where ``callback_resume`` writes when it runs offline (``BYOAL_LOCAL_TASK_TOKEN_DIR``).
A labeling job whose output exists already (answered before the execution stopped) is not
answered again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asl_interpreter import TaskContext, TaskFailure
from byoal import manifest
from byoal.labels import load_label_categories
from byoal.records import iso_timestamp
from byoal.simulated_labeling import simulate_labels
from byoal.storage import LocalStorage


class LocalGroundTruth:
    """Ground Truth offline: a labeling job is answered from the answer key, wrong at ``error_rate``.

    The errors are drawn as the Simulated workforce draws them (``simulate_labels``), seeded per job name.
    """

    def __init__(self, storage: LocalStorage, *, answer_key_uri: str | None, error_rate: float, seed: int) -> None:
        self.storage = storage
        self.answer_key_uri = answer_key_uri
        self.error_rate = error_rate
        self.seed = seed

    def create_labeling_job(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        """``createLabelingJob.sync`` offline: label the batch, return the completed job's description.

        The output manifest goes where Ground Truth writes it (``<S3OutputPath>/<job>/manifests/output/``)
        and is written once: a redriven task reads the labels already there. TaskFailure without an answer key.
        """
        if self.answer_key_uri is None:
            raise TaskFailure(
                "States.TaskFailed",
                "offline, a Ground Truth labeling job is answered from the answer key: "
                "set ActiveLearningConfig.AnswerKeyS3Uri",
            )
        name = parameters["LabelingJobName"]
        batch_uri = parameters["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
        output_uri = (
            parameters["OutputConfig"]["S3OutputPath"].rstrip("/") + f"/{name}/manifests/output/output.manifest"
        )
        if not self.storage.exists(output_uri):
            self._label(parameters, name, batch_uri, output_uri)
        labeled = sum(1 for _ in manifest.read_records(self.storage, output_uri))
        return {
            "LabelingJobName": name,
            "LabelingJobStatus": "Completed",
            "LabelCounters": {"TotalLabeled": labeled, "HumanLabeled": labeled, "MachineLabeled": 0},
            "LabelingJobOutput": {"OutputDatasetS3Uri": output_uri},
        }

    def _label(self, parameters: dict[str, Any], name: str, batch_uri: str, output_uri: str) -> None:
        labeled = simulate_labels(
            list(manifest.read_records(self.storage, batch_uri)),
            manifest.read_numbered_records(self.storage, self.answer_key_uri),
            answer_key_uri=self.answer_key_uri,
            label_attribute=parameters["LabelAttributeName"],
            labels=load_label_categories(self.storage, parameters["LabelCategoryConfigS3Uri"]),
            error_rate=self.error_rate,
            seed=f"{self.seed}-{name}",
            job_name=name,
            labeled_at=iso_timestamp(),
        )
        manifest.write_records(self.storage, output_uri, labeled)


class TaskTokenInbox:
    """Answers to ``.waitForTaskToken`` tasks, one JSON file per token, polled until the task's deadline."""

    def __init__(self, directory: Path, *, poll_seconds: float = 2.0, log: Callable[[str], None] = print) -> None:
        self.directory = directory
        self.poll_seconds = poll_seconds
        self.log = log

    def path(self, token: str) -> Path:
        """The answer file of a task token (``/`` in the token becomes ``_``)."""
        return self.directory / f"{token.replace('/', '_')}.json"

    def wait(self, token: str, context: TaskContext, *, pending: str) -> Any:
        """The task's output, from its answer file, polled every ``poll_seconds``.

        Raises TaskFailure ``States.Timeout`` if the task's deadline passes first.
        """
        answer = self.path(token)
        if answer.exists():
            return json.loads(answer.read_text(encoding="utf-8"))
        self.log(
            f"waiting for labels: label them in the page (python -m scripts.label --workdir {self.directory.parent}), "
            f"or send a labeled manifest: python -m scripts.local_callback --workdir {self.directory.parent} "
            f"--pending {pending} --labeled <file>"
        )
        while not answer.exists():
            if context.deadline is not None and datetime.now(UTC) >= context.deadline:
                raise TaskFailure("States.Timeout", "no labeled batch arrived before the task's timeout")
            time.sleep(self.poll_seconds)
        return json.loads(answer.read_text(encoding="utf-8"))
