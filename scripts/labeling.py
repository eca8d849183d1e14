"""The labeling page's back end: pending Callback batches, the answers people give, and the labeled manifest.

A Callback-workforce execution publishes each human batch as a ``callback.json`` beside its
input manifest (``lambdas/callback_batch.py``) and waits. :class:`OfflineBatches` finds those in
an offline run's work directory and answers them through ``scripts.local_callback``;
:class:`AwsBatches` finds them in the bucket of a deployed stack's running executions and
answers them as ``lambdas/callback_resume`` does, with the user's credentials
(``SendTaskSuccess``). :class:`AnswerLog` keeps every answer on disk the moment it is given.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

from byoal import layout, manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import LocalStorage, Storage, StorageError, read_bytes

SKIPPED = "skip"
_LIQUID = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


@dataclass(frozen=True)
class Instructions:
    """The worker instructions of a crowd-html UI template, as plain text."""

    question: str
    short: list[str]
    full: list[str]


class _InstructionsParser(HTMLParser):
    """Collects the text blocks (paragraphs, list items) of <short-instructions> and <full-instructions>."""

    BLOCKS = {"p", "li", "div", "h1", "h2", "h3", "h4", "br", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.question = ""
        self.sections: dict[str, list[str]] = {"short-instructions": [], "full-instructions": []}
        self.section: str | None = None
        self.block: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self.block).split())
        if self.section and text:
            self.sections[self.section].append(text)
        self.block = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "crowd-classifier":
            self.question = dict(attrs).get("header") or ""
        if tag in self.sections:
            self.section = tag
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS or tag in self.sections:
            self._flush()
        if tag in self.sections:
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.section:
            self.block.append(data)


def instructions_from_template(template: str) -> Instructions:
    """The question and the short and full instructions of a UI template, text only (Liquid tags dropped)."""
    parser = _InstructionsParser()
    parser.feed(_LIQUID.sub("", template))
    parser.close()
    return Instructions(
        question=parser.question.strip(),
        short=parser.sections["short-instructions"],
        full=parser.sections["full-instructions"],
    )


@dataclass(frozen=True)
class Batch:
    """One pending Callback batch: its ``callback.json`` URI, contents, and the records to label."""

    pending_uri: str
    job_name: str
    label_attribute: str
    labels: list[str]
    output_manifest: str
    records: list[dict[str, Any]]
    instructions: Instructions | None


class Batches(Protocol):
    """Where pending batches come from and where labeled ones go."""

    storage: Storage
    where: str

    def pending(self) -> list[str]:
        """The ``callback.json`` URIs of the batches that wait for labels (no output manifest yet)."""

    def ui_template_uri(self, pending_uri: str) -> str | None:
        """The request's worker-task template (``UiTemplateS3Uri``) for the batch's run; None if it has none."""

    def submit(self, pending_uri: str, labeled: Path) -> str:
        """Send a labeled manifest file for the batch and resume the run; returns what the resume reported."""


def load_batch(batches: Batches, pending_uri: str) -> Batch:
    """The batch a ``callback.json`` describes, with its records and the request's worker instructions."""
    pending = json.loads(read_bytes(batches.storage, pending_uri))
    records = list(manifest.read_records(batches.storage, pending["input_manifest"]))
    instructions = None
    template_uri = batches.ui_template_uri(pending_uri)
    if template_uri is not None:
        try:
            template = read_bytes(batches.storage, template_uri).decode("utf-8", errors="replace")
        except StorageError:
            template = None
        instructions = instructions_from_template(template) if template is not None else None
    return Batch(
        pending_uri=pending_uri,
        job_name=pending["job_name"],
        label_attribute=pending["label_attribute"],
        labels=list(pending["labels"]),
        output_manifest=pending["output_manifest"],
        records=records,
        instructions=instructions,
    )


class OfflineBatches:
    """The batches of an offline run (``scripts.run_local --workdir W``), answered through
    ``scripts.local_callback``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.storage = LocalStorage(self.workdir / "s3")
        self.where = f"offline run {self.workdir}"

    def pending(self) -> list[str]:
        """The pending batches under ``<workdir>/s3``, sorted by path."""
        found = []
        for path in sorted(self.storage.root.glob(f"*/**/{layout.LABELING_JOBS}/*/{layout.CALLBACK_PENDING_FILE}")):
            uri = "s3://" + path.relative_to(self.storage.root).as_posix()
            pending = json.loads(path.read_text(encoding="utf-8"))
            if not self.storage.exists(pending["output_manifest"]):
                found.append(uri)
        return found

    def ui_template_uri(self, pending_uri: str) -> str | None:
        """The template of the run whose ``S3OutputPath`` holds the batch, from ``history.jsonl``; None if not found."""
        root, _ = layout.labeling_job_of(pending_uri)
        history = self.workdir / "history.jsonl"
        if not history.is_file():
            return None
        for line in history.read_text(encoding="utf-8").splitlines():
            if '"ExecutionStarted"' not in line:
                continue
            event = json.loads(line)
            request = event.get("input") or {}
            output_path = (request.get("OutputConfig") or {}).get("S3OutputPath", "")
            if isinstance(request, dict) and output_path and root.startswith(output_path):
                return request.get("HumanTaskConfig", {}).get("UiConfig", {}).get("UiTemplateS3Uri")
        return None

    def submit(self, pending_uri: str, labeled: Path) -> str:
        """Run ``scripts.local_callback`` for the batch; returns its output (the resume result as JSON).

        InputError with its error message if it refuses the labels.
        """
        from scripts import local_callback

        output, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(errors):
            code = local_callback.main(
                ["--workdir", str(self.workdir), "--pending", pending_uri, "--labeled", str(labeled)]
            )
        if code != 0:
            raise InputError(
                errors.getvalue().strip().removeprefix("error: ") or f"scripts.local_callback exit code {code}"
            )
        return output.getvalue().strip()


class AwsBatches:
    """The batches of a deployed stack's running executions, answered with ``SendTaskSuccess``."""

    def __init__(self, *, region: str | None, stack_name: str, execution_arn: str | None) -> None:
        from byoal.storage import S3Storage
        from scripts import aws_stack

        self.region = region
        self.options = argparse.Namespace(region=region, stack_name=stack_name, execution_arn=execution_arn)
        self.sfn = aws_stack.client("stepfunctions", region)
        self.s3 = aws_stack.client("s3", region)
        self.storage = S3Storage(self.s3)
        self.where = f"execution {execution_arn}" if execution_arn else f"stack {stack_name}"
        self._templates: dict[str, str | None] = {}

    def pending(self) -> list[str]:
        """The pending batches of every running execution (or the one named); notes each run's template."""
        from scripts import callback

        found = []
        for execution in callback._executions(self.sfn, self.options):
            request = json.loads(execution["input"])
            root = callback.run_root(execution)
            template = request.get("HumanTaskConfig", {}).get("UiConfig", {}).get("UiTemplateS3Uri")
            for batch in callback.pending_batches(self.storage, root):
                self._templates[batch.uri] = template
                found.append(batch.uri)
        return found

    def ui_template_uri(self, pending_uri: str) -> str | None:
        """The template noted for the batch by the last :meth:`pending`; None if unknown or unset."""
        return self._templates.get(pending_uri)

    def submit(self, pending_uri: str, labeled: Path) -> str:
        """Upload the file to the batch's submission key and resume with ``callback_resume`` (SendTaskSuccess).

        Returns the resume result as JSON text.
        """
        from lambdas import callback_resume
        from scripts import aws_stack

        labeled_uri = layout.callback_submission(*layout.labeling_job_of(pending_uri))
        aws_stack.upload_files(self.s3, {labeled_uri: labeled})
        result = callback_resume.handler({"pending": pending_uri, "labeled_manifest": labeled_uri}, resumer=self.sfn)
        return json.dumps(result)


class AnswerLog:
    """Every answer given for one batch, appended to a JSON Lines file and synced to disk before it counts.

    Lines: ``{"id": <byoal-id>, "label": <class index> | "skip" | null}`` (null takes an answer
    back) and, once the labels are sent, ``{"submitted": <output manifest URI>}``. The last line
    for an id wins.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _lines(self) -> Iterator[dict[str, Any]]:
        if not self.path.is_file():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: every earlier answer still counts

    def answers(self) -> dict[int, int | str]:
        """The answers in force: id -> class index or ``"skip"``; the last line for an id wins, null removes it."""
        given: dict[int, int | str] = {}
        for entry in self._lines():
            if "id" not in entry:
                continue
            if entry["label"] is None:
                given.pop(entry["id"], None)
            else:
                given[entry["id"]] = entry["label"]
        return given

    def submitted(self) -> str | None:
        """The output manifest URI the batch was submitted for, or None while it is not."""
        return next((entry["submitted"] for entry in self._lines() if "submitted" in entry), None)

    def _append(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(entry) + "\n")
            sink.flush()
            os.fsync(sink.fileno())

    def record(self, identity: int, label: int | str | None) -> None:
        """Append one timestamped answer and sync it to disk."""
        self._append({"id": identity, "label": label, "at": rec.iso_timestamp()})

    def mark_submitted(self, output_manifest: str) -> None:
        """Append the submission line and sync it; :meth:`submitted` returns ``output_manifest`` from then on."""
        self._append({"submitted": output_manifest, "at": rec.iso_timestamp()})


def labeled_lines(batch: Batch, answers: dict[int, int | str], *, labeled_at: str) -> list[dict[str, Any]]:
    """The answered records in Ground Truth output format (label index and metadata), in batch order."""
    lines = []
    for record in batch.records:
        label = answers.get(rec.record_id(record))
        if isinstance(label, int):
            metadata = rec.label_metadata(
                class_name=batch.labels[label],
                confidence=1.0,
                human=True,
                job_name=batch.job_name,
                creation_date=labeled_at,
            )
            lines.append(
                {
                    rec.ID_FIELD: rec.record_id(record),
                    batch.label_attribute: label,
                    rec.metadata_field(batch.label_attribute): metadata,
                }
            )
    return lines


def write_manifest_file(path: Path, lines: list[dict[str, Any]]) -> None:
    """A JSON Lines file written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.writelines(manifest.dumps(line) for line in lines)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
