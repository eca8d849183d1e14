"""Prepare the inputs once, then run each configuration through ``scripts.run_local``.

Each run is its own process, as a user would start it, so that no run inherits another's warmed-up
TensorFlow and the per-round timings compare fairly.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.active_learning.configurations import Configuration
from benchmarks.active_learning.results import run_result
from byoal.round_stats import auto_labels_by_round
from scripts import prepare

REPO = Path(__file__).resolve().parents[2]
ANSWER_KEY = "answers.manifest"


class BenchmarkError(RuntimeError):
    """A step of the benchmark failed; the message says which and where its log is."""


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON Lines file, one per non-blank line, in file order."""
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def prepare_inputs(dataset: Path, output_dir: Path, prepare_arguments: list[str]) -> dict[str, Any]:
    """``scripts.prepare`` into ``output_dir``; returns the request it wrote."""
    code = prepare.main(["--dataset", str(dataset), "--output-dir", str(output_dir), *prepare_arguments])
    if code != 0:
        raise BenchmarkError(f"python -m scripts.prepare failed (exit code {code}) for {dataset}")
    return json.loads((output_dir / prepare.REQUEST_FILE).read_text(encoding="utf-8"))


def run_configuration(configuration: Configuration, inputs: Path, runs_dir: Path) -> dict[str, Any]:
    """Run one configuration to its end; its figures, with the workdir and log kept under ``runs_dir``."""
    workdir = runs_dir / configuration.run_id
    log_path = runs_dir / f"{configuration.run_id}.log"
    runs_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "scripts.run_local", *configuration.run_local_arguments(str(inputs), str(workdir))]
    with open(log_path, "w", encoding="utf-8") as log:
        completed = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        raise BenchmarkError(f"{configuration.run_id}: scripts.run_local exited {completed.returncode}; see {log_path}")
    summary = json.loads((workdir / "summary.json").read_text(encoding="utf-8"))
    request = json.loads((inputs / prepare.REQUEST_FILE).read_text(encoding="utf-8"))
    by_round = auto_labels_by_round(
        read_jsonl(Path(summary["final_manifest"])), read_jsonl(inputs / ANSWER_KEY), request["LabelAttributeName"]
    )
    result = run_result(configuration, summary, by_round)
    result["workdir"] = str(workdir)
    return result
