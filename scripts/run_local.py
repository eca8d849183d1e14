"""Run the whole active-learning workflow offline, on this machine, with no AWS account.

    python -m scripts.run_local --inputs DIR --workdir W [--strategy margin] [--target-accuracy 0.95] ...

DIR is a folder from ``python -m scripts.prepare``. Its files are placed in ``W/s3`` at the URIs
that ``DIR/request.json`` names, then the ActiveLearningLoop definition — the same file CDK
deploys — runs in-process. Progress is printed while it runs; at the end a table per round,
``W/summary.json``, ``W/report.html`` and the execution history ``W/history.jsonl``.

A work directory holds one execution. Run the same command again on a work directory whose
execution stopped (killed, or failed at a state) and it continues that execution where it stopped,
like a Step Functions redrive (see ``local_runner.runner``): same input, finished steps kept, no
human batch asked twice. The first line says which it does. ``--restart`` discards the work
directory's execution and starts a new one.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asl_interpreter import NotRedrivable, TaskContext
from byoal import config_keys, manifest, round_stats
from byoal.errors import InputError
from byoal.request import parse_request, validate_request
from local_runner.model_runtime import ModelRuntime, from_commands
from local_runner.report import (
    failing_task,
    failure_lines,
    format_table,
    label_accuracy,
    round_progress,
    round_table,
    round_timings,
    run_time,
    write_report,
)
from local_runner.runner import LocalWorkflow
from scripts.cli import run as run_command
from scripts.prepare import input_files

STAGES = {
    "PrepareEmbeddingInput": "writing every record for the sentence encoder",
    "EmbedRecords": "encoding every record once for the whole run (embed transform)",
    "HoldOutCalibrationRecords": "holding out calibration records",
    "PrepareTrainingChannels": "writing training channels",
    "TrainModel": "training the model",
    "PrepareTransformInput": "writing transform input",
    "PredictRecords": "predicting unlabeled records",
    "PerformActiveLearning": "calibrating, auto-labeling, selecting",
    "LabelWithSimulatedWorkforce": "humans (simulated) labeling a batch",
    "LabelWithGroundTruth": "humans (Ground Truth, answered offline) labeling a batch",
    "ExportFinalManifest": "writing the final manifest",
}
"""Task state name -> the stage the console announces when it starts (state names are unique in both definitions)."""


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command-line options; the ActiveLearningConfig ones come from :mod:`byoal.config_keys` (``RUN_LOCAL``)."""
    parser = argparse.ArgumentParser(prog="python -m scripts.run_local", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inputs", type=Path, help="folder written by python -m scripts.prepare (not needed to resume)"
    )
    parser.add_argument(
        "--workdir", type=Path, required=True, help="where the run keeps its storage, history and report"
    )
    config_keys.add_options(parser, config_keys.RUN_LOCAL)
    parser.add_argument("--epochs", type=int, help="training epochs of the bundled model (keras-scratch)")
    parser.add_argument(
        "--model", choices=("minilm-tfidf", "keras-scratch"),
        help="the bundled container's model (default minilm-tfidf)",
    )
    parser.add_argument("--model-train-command", help="run this container's train program instead of the bundled model")
    parser.add_argument("--model-serve-command", help="... and its serve program (see container/README.md)")
    parser.add_argument("--name", help="execution name (default local-<UTC time>)")
    parser.add_argument("--quiet", action="store_true", help="print only the final table")
    parser.add_argument(
        "--restart", action="store_true",
        help="discard the work directory's execution (its labels and history) and start a new one",
    )
    return parser.parse_args(argv)


LOCK_FILE = "run.lock"
"""Held (flock) while a run uses the work directory; the system drops it when the process ends, even killed."""

RUN_FILES = ("s3", "history.jsonl", "summary.json", "report.html", "logs", "models", "task-tokens", "tmp")
"""What a run writes into its work directory; ``--restart`` removes exactly these."""


def discard_run(workdir: Path) -> None:
    """Remove what a run wrote into ``workdir`` (:data:`RUN_FILES`), nothing else."""
    for name in RUN_FILES:
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def build_request(arguments: argparse.Namespace) -> dict[str, Any]:
    """The execution input: ``--inputs``/request.json with the options given on the command line set in its
    ActiveLearningConfig, validated; InputError naming the missing file or the bad field."""
    if arguments.inputs is None:
        raise InputError(f"--inputs is required: {arguments.workdir} holds no execution to resume")
    path = arguments.inputs / "request.json"
    try:
        request = parse_request(path.read_bytes(), where=str(path))
    except FileNotFoundError:
        raise InputError(f"{path} does not exist; create the inputs with python -m scripts.prepare") from None
    config = request.setdefault("ActiveLearningConfig", {})
    config.update(config_keys.option_values(arguments, config_keys.RUN_LOCAL))
    if arguments.epochs is not None:
        config.setdefault("HyperParameters", {})["epochs"] = str(arguments.epochs)
    if arguments.model is not None:
        config.setdefault("HyperParameters", {})["model"] = arguments.model
    validate_request(request)
    return request


class Progress:
    """Prints what the workflow is doing: round, stage, and the labels given so far."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.round = 0
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        """Print ``message`` with the seconds since the start, unless ``--quiet``."""
        if not self.quiet:
            print(f"[{time.monotonic() - self.started:6.0f}s] {message}", flush=True)

    def on_task(self, resource: str, parameters: Any, context: TaskContext) -> None:
        """Say which stage of which round a task starts (the interpreter calls it before each task)."""
        if resource.endswith("startExecution.sync:2"):
            self.round = parameters["Input"]["round"]
        stage = STAGES.get(context.state_name)
        if stage:
            self.say(f"round {self.round}: {stage}")

    def on_event(self, event: dict[str, Any]) -> None:
        """Say the counts after each CountRecords state and each round's outcome (the history's events)."""
        if event["event"] != "State" or event["output"] is None:
            return
        if event["state_name"] == "CountRecords":
            counts = event["output"]["counts"]
            self.say(
                f"labeled by humans {counts['human_labeled']:,} · by the model {counts['auto_labeled']:,} · "
                f"unlabeled {counts['unlabeled']:,} of {counts['input_total']:,} → next: {counts['next_step']}"
            )
        elif event["state_name"] == "PerformActiveLearning":
            stats = event["output"]["stats"]
            self.say(f"round {self.round}: {round_progress(stats)}")


def summarize(workflow: LocalWorkflow, request: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """The run's figures for summary.json and report.html; the run time covers every leg of a resumed run."""
    counts = output["counts"]
    wall_seconds, legs = run_time(workflow.history_path)
    config = validate_request(request)
    timings = round_timings(workflow.history_path)
    details = [{**entry, "timings": timings.get(entry["round"], {})} for entry in output["rounds"]]
    final_uri = output["final_manifest"]
    if config["AnswerKeyS3Uri"]:
        tallies = round_stats.auto_labels_by_round(
            manifest.read_records(workflow.storage, final_uri),
            manifest.read_records(workflow.storage, config["AnswerKeyS3Uri"]),
            config["LabelAttributeName"],
        )
        details = [
            round_stats.with_measured_accuracy(entry, tallies) if entry["round"] > 0 else entry for entry in details
        ]
    summary = {
        "final_manifest": str(workflow.storage.path(final_uri)),
        "final_manifest_uri": final_uri,
        "records": counts["input_total"],
        "human_labeled": counts["human_labeled"],
        "auto_labeled": counts["auto_labeled"],
        "unlabeled": counts["unlabeled"],
        "human_share": round(counts["human_labeled"] / counts["input_total"], 4),
        "model_share": round(counts["auto_labeled"] / counts["input_total"], 4),
        "input_human_labeled": counts["human_labeled"] - sum(entry.get("human_labeled", 0) for entry in details),
        "rounds": sum(1 for entry in details if entry["round"] > 0),
        "stop_reason": output["stop_reason"],
        "model": output["model"],
        "wall_seconds": round(wall_seconds, 1),
        "run_legs": legs,
        "query_strategy": config["QueryStrategy"],
        "target_accuracy": config["TargetAccuracy"],
        "risk_tolerance": config["RiskTolerance"],
    }
    if config["AnswerKeyS3Uri"]:
        summary.update(
            label_accuracy(workflow.storage, final_uri, config["AnswerKeyS3Uri"], config["LabelAttributeName"])
        )
    summary["rounds_below_target"] = [entry["round"] for entry in details if entry.get("below_target")]
    summary["round_details"] = details
    summary["rounds_table"] = round_table(summary)
    return summary


def workflow_for(
    request: dict[str, Any], workdir: Path, progress: Progress, runtime: ModelRuntime | None = None
) -> LocalWorkflow:
    """The offline workflow for ``request``: its offline Ground Truth stand-in labels from the request's answer key;
    ``runtime`` runs the model (default: the bundled one, in-process)."""
    config = validate_request(request)
    return LocalWorkflow(
        workdir,
        answer_key_uri=config["AnswerKeyS3Uri"],
        annotator_error_rate=config["AnnotatorErrorRate"],
        seed=config["Seed"],
        on_task=progress.on_task,
        log=progress.say,
        model_runtime=runtime,
    )


def main(argv: list[str] | None = None) -> int:
    """Run (or resume) the execution in ``--workdir``; exit code 0 when it succeeds, 1 when it fails, 2 on bad input."""
    arguments = parse_arguments(argv)

    def command() -> int:
        arguments.workdir.mkdir(parents=True, exist_ok=True)
        lock = open(arguments.workdir / LOCK_FILE, "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"--workdir {arguments.workdir}: another run is using it; wait for it to end, or stop it"
            ) from None
        if arguments.restart:
            discard_run(arguments.workdir)
        progress = Progress(arguments.quiet)
        runtime = from_commands(arguments.model_train_command, arguments.model_serve_command)
        workflow = LocalWorkflow(arguments.workdir, on_task=progress.on_task, log=progress.say)
        try:
            point = workflow.stopped_execution()
        except NotRedrivable as finished:
            raise InputError(
                f"--workdir {arguments.workdir}: {finished} (summary: {arguments.workdir / 'summary.json'}); "
                "add --restart to discard it and run again"
            ) from None
        if point is not None and point.state_name in (None, workflow.loop_definition["StartAt"]):
            # It stopped before any state succeeded (bad input, say): nothing to keep, start afresh.
            discard_run(arguments.workdir)
            workflow = LocalWorkflow(arguments.workdir, on_task=progress.on_task, log=progress.say)
            point = None
        if point is not None:
            request, name = point.input, point.execution_name
            print(
                f"resuming execution {name} in {arguments.workdir} from state {point.state_name} "
                f"(redrive {point.redrive_count}) with the input it started with; "
                "--restart discards it and starts over",
                flush=True,
            )
            if arguments.inputs is not None and (build_request(arguments), arguments.name or name) != (request, name):
                print(
                    "note: the options and inputs of this command differ from the execution's; they are not used",
                    flush=True,
                )
            if isinstance(point.state_input, dict):
                progress.round = point.state_input.get("counts", {}).get("next_round", 0)
            workflow = workflow_for(request, arguments.workdir, progress, runtime)
            result = workflow.redrive(point, history=progress.on_event)
        else:
            request = build_request(arguments)
            files = input_files(request, arguments.inputs)
            name = arguments.name or "local-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            print(f"starting execution {name} in {arguments.workdir}", flush=True)
            workflow = workflow_for(request, arguments.workdir, progress, runtime)
            for uri, path in files.items():
                workflow.storage.put_file(uri, path)
            progress.say(f"execution {name}: {len(files)} input files in {workflow.storage.root}")
            result = workflow.run(request, name=name, history=progress.on_event)
        if result.status != "SUCCEEDED":
            lines = failure_lines(
                failing_task(workflow.history_path), failed_state=result.failed_state, error=result.error,
                cause=result.cause, history_path=workflow.history_path,
            )
            print("\n".join(lines), file=sys.stderr)
            return 1
        summary = summarize(workflow, request, result.output)
        partial = arguments.workdir / "summary.json.partial"
        partial.write_text(json.dumps(summary, indent=1), encoding="utf-8")
        partial.replace(arguments.workdir / "summary.json")
        write_report(summary, arguments.workdir / "report.html")
        print(format_table(summary["rounds_table"]))
        for entry in summary["round_details"]:
            if entry["round"] > 0 and entry.get("no_auto_label_reason"):
                print(f"round {entry['round']} auto-labeled nothing: {entry['no_auto_label_reason']}")
        if summary["rounds_below_target"]:
            below = summary["rounds_below_target"]
            print(f"rounds whose auto-labels are below the target against the answer key: {below}")
        accuracy = summary.get("model_label_accuracy")
        print(
            f"\n{summary['records']:,} records: {summary['human_share']:.1%} labeled by humans, "
            f"{summary['model_share']:.1%} by the model"
            + (f" ({accuracy:.2%} correct against the answer key)" if accuracy is not None else "")
            + f", {summary['unlabeled']:,} unlabeled; {summary['rounds']} round{'' if summary['rounds'] == 1 else 's'}"
            + f" in {summary['wall_seconds']:.0f} s"
            + (f" over {summary['run_legs']} legs" if summary["run_legs"] > 1 else "")
            + f" ({summary['stop_reason']})."
        )
        print(f"final manifest: {summary['final_manifest']}")
        print(f"summary: {arguments.workdir / 'summary.json'} · report: {arguments.workdir / 'report.html'}")
        return 0

    return run_command(command)


if __name__ == "__main__":
    sys.exit(main())
