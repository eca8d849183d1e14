"""``python -m scripts.callback``: see and answer the batches a ``Callback``-workforce execution waits for.

``pending`` lists the batches of running executions that have no labels yet (each is a
``callback.json`` in its labeling-job folder, see ``lambdas/callback_batch.py``) and can download
them. ``submit`` checks a labeled manifest against its batch, uploads it next to the batch, and
invokes the stack's resume function, which stores the labels and resumes the execution.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byoal import layout, manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.labeled_batch import labeled_records
from byoal.request import validate_request
from byoal.storage import S3Storage, Storage, StorageError, read_bytes
from lambdas.callback_resume import already_labeled, read_pending
from scripts import aws_stack, cli


@dataclass(frozen=True)
class PendingBatch:
    """A Callback batch that waits for labels, from its ``callback.json``.

    ``records`` is the batch manifest's record count; ``labels`` are the class names by class index.
    """
    uri: str
    job_name: str
    input_manifest: str
    records: int
    label_attribute: str
    labels: list[str]


def run_root(execution: dict[str, Any]) -> str:
    """The run folder of an execution (DescribeExecution result), derived as the workflow derives it."""
    config = validate_request(json.loads(execution["input"]))
    run = layout.run_id(config["LabelingJobNamePrefix"], execution["name"])
    return layout.run_root(config["S3OutputPath"], run)


def pending_batches(storage: Storage, root: str) -> Iterator[PendingBatch]:
    """The run's Callback batches that have no labeled output yet."""
    for uri in storage.list(layout.labeling_jobs_folder(root)):
        if not uri.endswith("/" + layout.CALLBACK_PENDING_FILE):
            continue
        pending = read_pending(storage, uri)
        if storage.exists(pending.output_manifest):
            continue
        yield PendingBatch(
            uri=uri,
            job_name=pending.job_name,
            input_manifest=pending.input_manifest,
            records=sum(1 for _ in manifest.read_records(storage, pending.input_manifest)),
            label_attribute=pending.label_attribute,
            labels=pending.labels,
        )


def _executions(sfn: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.execution_arn:
        return [sfn.describe_execution(executionArn=args.execution_arn)]
    outputs = aws_stack.stack_outputs(aws_stack.client("cloudformation", args.region), args.stack_name)
    state_machine_arn = outputs[aws_stack.LOOP_STATE_MACHINE_ARN]
    running = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    ):
        running.extend(page["executions"])
    return [sfn.describe_execution(executionArn=execution["executionArn"]) for execution in running]


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(data)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def show_pending(args: argparse.Namespace) -> int:
    """``pending``: print every batch that waits for labels, saving each under ``--download`` if given; exit code 0."""
    sfn = aws_stack.client("stepfunctions", args.region)
    storage = S3Storage(aws_stack.client("s3", args.region))
    found = 0
    for execution in _executions(sfn, args):
        for batch in pending_batches(storage, run_root(execution)):
            found += 1
            classes = ", ".join(f"{index}={name}" for index, name in enumerate(batch.labels))
            print(f"job {batch.job_name}: {batch.records} records wait for labels (execution {execution['name']})")
            print(f"  batch:   {batch.input_manifest}")
            print(f"  pending: {batch.uri}")
            print(f'  labels:  "{batch.label_attribute}": {classes}')
            if args.download:
                path = args.download / f"{batch.job_name}.manifest"
                _write_file(path, read_bytes(storage, batch.input_manifest))
                print(f"  downloaded to {path}")
    if not found:
        print("no batch waits for labels")
        return 0
    print(
        f"label a batch by adding the label attribute (a class index) to its lines, keeping '{rec.ID_FIELD}', then: "
        "python -m scripts.callback submit --pending <pending URI> --labeled <file>"
    )
    return 0


def _labeled_records(storage: Storage, labeled: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if labeled.startswith("s3://"):
        yield from manifest.read_numbered_records(storage, labeled)
        return
    path = Path(labeled)
    if not path.is_file():
        raise InputError(f"--labeled: no such file: {path}")
    with open(path, "rb") as stream:
        for number, line in enumerate(manifest.iter_lines(stream), start=1):
            if line.strip():
                yield number, manifest.parse_line(line, uri=str(path), number=number)


def submit(args: argparse.Namespace) -> int:
    """``submit``: check the labeled manifest against the batch, upload it if local, invoke the resume function.

    InputError if the batch is labeled already, the labels do not fit it, or the function refuses them.
    """
    s3 = aws_stack.client("s3", args.region)
    storage = S3Storage(s3)
    if not args.pending.startswith("s3://"):
        raise InputError(
            f"--pending: expected the s3:// URI of a {layout.CALLBACK_PENDING_FILE}, got {args.pending!r}"
        )
    try:
        pending = read_pending(storage, args.pending)
    except StorageError as error:
        raise InputError(f"--pending: {error}") from None
    if storage.exists(pending.output_manifest):
        raise already_labeled(pending)
    batch = list(manifest.read_records(storage, pending.input_manifest))
    labeled = labeled_records(
        batch,
        _labeled_records(storage, args.labeled),
        uri=args.labeled,
        job_name=pending.job_name,
        label_attribute=pending.label_attribute,
        labels=pending.labels,
        labeled_at=rec.iso_timestamp(),
    )
    labeled_uri = args.labeled
    if not labeled_uri.startswith("s3://"):
        labeled_uri = layout.callback_submission(*layout.labeling_job_of(args.pending))
        aws_stack.upload_files(s3, {labeled_uri: Path(args.labeled)})
    function_name = aws_stack.stack_outputs(aws_stack.client("cloudformation", args.region), args.stack_name)[
        aws_stack.CALLBACK_RESUME_FUNCTION_NAME
    ]
    response = aws_stack.client("lambda", args.region).invoke(
        FunctionName=function_name,
        Payload=json.dumps({"pending": args.pending, "labeled_manifest": labeled_uri}).encode("utf-8"),
    )
    result = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        details = result if isinstance(result, dict) else {}
        raise InputError(
            f"the resume function {function_name} refused {labeled_uri}: "
            f"{details.get('errorType', 'Error')}: {details.get('errorMessage', result)}"
        )
    print(f"labels for {len(labeled)} of {len(batch)} records sent: {labeled_uri}")
    print(f"resumed: {json.dumps(result)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``pending`` and ``submit`` subcommands and their options."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.callback", description="Answer the human-labeling batches of the Callback workforce."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    pending = commands.add_parser("pending", help="show the batches that wait for labels")
    source = pending.add_mutually_exclusive_group()
    source.add_argument("--execution-arn", help="one execution (default: every running one of the stack)")
    source.add_argument("--stack-name", default=aws_stack.DEFAULT_STACK_NAME)
    pending.add_argument("--download", type=Path, metavar="DIR", help="save each batch as DIR/<job>.manifest")
    pending.add_argument("--region")
    pending.set_defaults(run=show_pending)

    answer = commands.add_parser("submit", help="send a labeled batch and resume the execution")
    answer.add_argument("--pending", required=True, help="the batch's callback.json URI, as 'pending' shows it")
    answer.add_argument("--labeled", required=True, help="the labeled manifest: a local file or an s3:// URI")
    answer.add_argument("--stack-name", default=aws_stack.DEFAULT_STACK_NAME)
    answer.add_argument("--region")
    answer.set_defaults(run=submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the chosen subcommand; exit code 0, or 2 with a message naming the cause (``scripts.cli.run``)."""
    args = build_parser().parse_args(argv)
    return cli.run(lambda: args.run(args))


if __name__ == "__main__":
    sys.exit(main())
