"""The bundled container run as if it were a container of the user's own: its ``train`` and ``serve`` entrypoints
as local processes through the SageMaker contract (local_runner.model_runtime.ProcessRuntime), over HTTP.

The same short offline loop runs twice, the model in-process (the default) and as processes; the seam is
faithful if both label the same records the same way. ``PrecomputeEmbeddings`` is on so that the process run
also serves the container's embed mode (a model without model data) over HTTP.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import pytest

from local_runner.model_runtime import CONTAINER_CODE
from scripts import run_local
from tests.conftest import prepared_sample

RECORDS = 300


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = prepared_sample(
        tmp_path_factory.mktemp("inputs") / "prepared", records=RECORDS, seed=3, options=("--validation-share", "0.5")
    )
    request = json.loads((folder / "request.json").read_text())
    request["ActiveLearningConfig"]["PrecomputeEmbeddings"] = True
    (folder / "request.json").write_text(json.dumps(request))
    return folder


def run(inputs: Path, workdir: Path, *options: str) -> tuple[dict, list[dict]]:
    arguments = ["--inputs", str(inputs), "--workdir", str(workdir), "--batch-size", "30", "--max-rounds", "2",
                 "--warm-up-rounds", "0", "--target-accuracy", "0.85", "--name", "seam", "--quiet",
                 *options]  # fmt: skip
    started = time.monotonic()
    assert run_local.main(arguments) == 0
    print(f"{workdir.name}: {time.monotonic() - started:.1f} s")
    summary = json.loads((workdir / "summary.json").read_text())
    final = [json.loads(line) for line in Path(summary["final_manifest"]).read_text().splitlines()]
    return summary, final


def labels_of(final: list[dict]) -> list[tuple]:
    return [(r["byoal-id"], r.get("category"), r.get("category-metadata", {}).get("human-annotated")) for r in final]


def test_the_bundled_entrypoints_as_processes_label_as_the_in_process_model_does(inputs, tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_SERVER_WORKERS", "1")
    train = shlex.join([sys.executable, str(CONTAINER_CODE / "train")])
    serve = shlex.join([sys.executable, str(CONTAINER_CODE / "serve")])
    processes, processes_final = run(inputs, tmp_path / "processes", "--model-train-command", train,
                                     "--model-serve-command", serve)  # fmt: skip
    in_process, in_process_final = run(inputs, tmp_path / "in-process")

    assert len(processes_final) == RECORDS and processes["rounds"] == 2 and processes["auto_labeled"] > 0
    assert labels_of(processes_final) == labels_of(in_process_final)
    assert {key: processes[key] for key in ("human_labeled", "auto_labeled", "model_label_accuracy")} == {
        key: in_process[key] for key in ("human_labeled", "auto_labeled", "model_label_accuracy")
    }
    serve_logs = sorted((tmp_path / "processes" / "logs").glob("*.serve.log"))
    assert len(serve_logs) == 3, "the embed transform and one transform per round each started a server"
    assert "serving the sentence encoder (embed mode)" in serve_logs[0].read_text()
