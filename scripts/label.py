"""``python -m scripts.label``: a web page where people label the batch a Callback-workforce run waits for.

    python -m scripts.label --workdir W                 # an offline run (scripts.run_local --workdir W)
    python -m scripts.label --stack-name Byoal-dev      # the running executions of a deployed stack

It serves on http://127.0.0.1:8765/ by default: one record at a time with the label categories
and the worker instructions of the request's UI template; digits pick a label, U takes the last
answer back, S skips, R opens the review list. Every answer is written to disk as it is given
(``--answers-dir``), so a closed tab or a restarted server loses nothing. Submitting writes the
labels in the Ground Truth output format and resumes the execution, once; the page then waits
for the run's next batch.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.serving import make_server

from byoal import records as rec
from byoal.errors import InputError
from byoal.storage import StorageError
from scripts import aws_stack, cli
from scripts.labeling import (
    SKIPPED,
    AnswerLog,
    AwsBatches,
    Batch,
    Batches,
    OfflineBatches,
    labeled_lines,
    load_batch,
    write_manifest_file,
)

DEFAULT_PORT = 8765
TOKEN_HEADER = "X-Byoal-Token"
PAGE_FOLDER = Path(__file__).with_name("label_page")


class LabelingSession:
    """The batch on the page, its answers, and the one-time submission; safe across request threads."""

    def __init__(self, batches: Batches, answers_dir: Path, *, pending_uri: str | None = None) -> None:
        self.batches = batches
        self.answers_dir = Path(answers_dir)
        self.pending_uri = pending_uri
        self.batch: Batch | None = None
        self.lock = threading.Lock()
        self.writing = threading.Lock()  # one answer or submission at a time, so a batch is sent once

    def current(self) -> Batch | None:
        """The batch to label: the one named, else the first pending one; None while nothing waits."""
        with self.lock:
            if self.batch is not None and not self.log(self.batch).submitted():
                return self.batch
            if self.pending_uri is not None:
                if self.batch is None:
                    self.batch = load_batch(self.batches, self.pending_uri)
                return self.batch
            waiting = self.batches.pending()
            self.batch = load_batch(self.batches, waiting[0]) if waiting else None
            return self.batch

    def log(self, batch: Batch) -> AnswerLog:
        """The batch's answer log, ``<answers_dir>/<job>.answers.jsonl``."""
        return AnswerLog(self.answers_dir / f"{batch.job_name}.answers.jsonl")

    def state(self) -> dict[str, Any]:
        """What ``GET /api/batch`` returns: the batch the page shows, or ``{"batch": None}`` while none waits.

        The batch part holds its job, pending URI, class names, records (``id``, ``text``), the answers given
        so far (id -> class index or ``"skip"``), the submission's output manifest if sent, and the worker
        instructions of the request's template (None without one).
        """
        batch = self.current()
        if batch is None:
            return {"batch": None, "where": self.batches.where}
        log = self.log(batch)
        instructions = batch.instructions
        return {
            "where": self.batches.where,
            "batch": {
                "job": batch.job_name,
                "pending": batch.pending_uri,
                "labels": batch.labels,
                "records": [
                    {"id": rec.record_id(record), "text": record[rec.SOURCE_FIELD]} for record in batch.records
                ],
                "answers": {str(identity): label for identity, label in log.answers().items()},
                "submitted": log.submitted(),
                "instructions": None
                if instructions is None
                else {
                    "question": instructions.question,
                    "short": instructions.short,
                    "full": instructions.full,
                },
            },
        }

    def _batch_named(self, job: Any) -> Batch:
        batch = self.batch if self.batch is not None and self.batch.job_name == job else self.current()
        if batch is None or batch.job_name != job:
            raise LookupError(f"batch {job!r} is not the one waiting for labels")
        return batch

    def answer(self, job: Any, identity: Any, label: Any) -> int:
        """Record one answer (class index, ``"skip"``, or None to take it back); returns how many records are answered.

        LookupError if ``job`` is not the waiting batch, ValueError for an id not in it or a label out of range,
        PermissionError once the batch is submitted.
        """
        batch = self._batch_named(job)
        if identity not in {rec.record_id(record) for record in batch.records} or isinstance(identity, bool):
            raise ValueError(f"record {identity!r} is not in batch {batch.job_name}")
        valid = (
            label is None
            or label == SKIPPED
            or (isinstance(label, int) and not isinstance(label, bool) and 0 <= label < len(batch.labels))
        )
        if not valid:
            raise ValueError(f"label {label!r}: expected a class index 0-{len(batch.labels) - 1}, {SKIPPED!r} or null")
        log = self.log(batch)
        with self.writing:
            if log.submitted():
                raise PermissionError(f"batch {batch.job_name} was submitted already")
            log.record(identity, label)
            return len(log.answers())

    def submit(self, job: Any) -> dict[str, Any]:
        """Send the answered records to the run once; returns the counts, file and resume result as a dict.

        LookupError if ``job`` is not the waiting batch, PermissionError if it was submitted already,
        InputError if no record is labeled (a batch of skips gives the next round nothing to train on).
        """
        batch = self._batch_named(job)
        log = self.log(batch)
        with self.writing:
            if log.submitted() or self.batches.storage.exists(batch.output_manifest):
                raise PermissionError(f"batch {batch.job_name} was submitted already")
            answers = log.answers()
            lines = labeled_lines(batch, answers, labeled_at=rec.iso_timestamp())
            if not lines:
                skipped = sum(label == SKIPPED for label in answers.values())
                raise InputError(
                    f"batch {batch.job_name}: no record is labeled ({skipped} skipped, "
                    f"{len(batch.records) - len(answers)} unanswered of {len(batch.records)}); label at least one "
                    "before submitting: a batch with no label gives the next round nothing to train on"
                )
            path = self.answers_dir / f"{batch.job_name}.labeled.manifest"
            write_manifest_file(path, lines)
            resumed = self.batches.submit(batch.pending_uri, path)
            log.mark_submitted(batch.output_manifest)
        skipped = sum(label == SKIPPED for label in answers.values())
        return {
            "job": batch.job_name,
            "labeled": len(lines),
            "skipped": skipped,
            "of": len(batch.records),
            "labeled_manifest": str(path),
            "output_manifest": batch.output_manifest,
            "resumed": resumed,
        }


def create_app(session: LabelingSession, *, token: str | None = None) -> Flask:
    """The Flask app of the page; every change needs the page's token (so no other site can post answers)."""
    app = Flask(__name__, template_folder=str(PAGE_FOLDER / "templates"), static_folder=str(PAGE_FOLDER / "static"))
    app.config["TOKEN"] = token or secrets.token_urlsafe(24)

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def checked_body() -> dict[str, Any]:
        if request.headers.get(TOKEN_HEADER) != app.config["TOKEN"]:
            abort(403)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            abort(400)
        return body

    def refused(error: Exception, status: int):
        return jsonify({"error": str(error)}), status

    @app.get("/")
    def page():
        return render_template("label.html", token=app.config["TOKEN"])

    @app.get("/api/batch")
    def batch():
        try:
            return jsonify(session.state())
        except (InputError, StorageError) as error:
            return refused(error, 500)

    @app.post("/api/answer")
    def answer():
        body = checked_body()
        try:
            answered = session.answer(body.get("job"), body.get("id"), body.get("label"))
        except LookupError as error:
            return refused(error, 409)
        except PermissionError as error:
            return refused(error, 409)
        except ValueError as error:
            return refused(error, 400)
        return jsonify({"answered": answered})

    @app.post("/api/submit")
    def submit():
        body = checked_body()
        try:
            return jsonify(session.submit(body.get("job")))
        except (LookupError, PermissionError) as error:
            return refused(error, 409)
        except (InputError, StorageError) as error:
            return refused(error, 400)

    return app


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m scripts.label``; one source: --workdir, --stack-name or --execution-arn."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.label",
        description="Serve a web page where people label the batch a Callback-workforce run waits for.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--workdir", type=Path, help="the --workdir of an offline run (scripts.run_local)")
    source.add_argument(
        "--stack-name", help=f"a deployed stack (e.g. {aws_stack.DEFAULT_STACK_NAME}): its running executions"
    )
    source.add_argument("--execution-arn", help="one running execution of the deployed stack")
    parser.add_argument("--region", help="AWS region (default: your configured one)")
    parser.add_argument("--pending", help="the callback.json URI of one batch (default: the first that waits)")
    parser.add_argument(
        "--answers-dir",
        type=Path,
        help="where answers are kept as they are given (default: W/labeling offline, ./byoal-labeling on AWS)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this machine only)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    return parser


def session_from_arguments(arguments: argparse.Namespace) -> LabelingSession:
    """The session for an offline run's workdir or a deployed stack; InputError if ``--workdir`` is no folder."""
    if arguments.workdir is not None:
        if not arguments.workdir.is_dir():
            raise InputError(
                f"--workdir {arguments.workdir}: no such folder; start the run with python -m scripts.run_local"
            )
        batches: Batches = OfflineBatches(arguments.workdir)
        answers_dir = arguments.answers_dir or arguments.workdir / "labeling"
    else:
        batches = AwsBatches(
            region=arguments.region,
            stack_name=arguments.stack_name or aws_stack.DEFAULT_STACK_NAME,
            execution_arn=arguments.execution_arn,
        )
        answers_dir = arguments.answers_dir or Path("byoal-labeling")
    return LabelingSession(batches, answers_dir, pending_uri=arguments.pending)


def main(argv: list[str] | None = None) -> int:
    """Serve the labeling page until Ctrl+C; exit code 0, or 2 with a message naming the cause."""
    arguments = build_parser().parse_args(argv)

    def command() -> int:
        session = session_from_arguments(arguments)
        waiting = session.current()
        server = make_server(arguments.host, arguments.port, create_app(session), threaded=True)
        print(f"labeling page for {session.batches.where}: http://{arguments.host}:{server.server_port}/", flush=True)
        if waiting is None:
            print("no batch waits for labels yet; the page shows the next one as soon as the run publishes it")
        else:
            print(f"batch {waiting.job_name}: {len(waiting.records):,} records; answers kept in {session.answers_dir}")
        print("stop with Ctrl+C (answers given so far are kept)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0

    return cli.run(command)


if __name__ == "__main__":
    sys.exit(main())
