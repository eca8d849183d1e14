import json
import subprocess

import pytest

from benchmarks.active_learning import runs
from benchmarks.active_learning.configurations import Configuration
from tests.benchmarks.conftest import ATTRIBUTE, answer, fake_summary, labeled

CONFIGURATION = Configuration(name="default", description="d", options={"--strategy": "margin"}, seed=3)


def _inputs(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "request.json").write_text(json.dumps({"LabelAttributeName": ATTRIBUTE}))
    (inputs / "answers.manifest").write_text("".join(json.dumps(answer(label)) + "\n" for label in (0, 1, 1)))
    return inputs


def test_a_run_is_scripts_run_local_in_its_own_process_and_its_summary_is_read(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    commands = []

    def fake_run(command, cwd, stdout, stderr):
        commands.append(command)
        workdir = tmp_path / "runs" / "default-seed3"
        workdir.mkdir(parents=True)
        final = workdir / "output.manifest"
        final.write_text(
            "".join(
                json.dumps(record) + "\n"
                for record in [
                    labeled(0, human=True, job="j-prepared"),
                    labeled(1, human=False, job="j-r001-auto"),
                    labeled(0, human=False, job="j-r001-auto"),
                ]
            )
        )
        summary = fake_summary(
            records=3, pre_labeled=1, rounds=[{"auto_labeled": 2, "human_labeled": 0, "calibration_accuracy": 1.0}]
        )
        (workdir / "summary.json").write_text(json.dumps({**summary, "final_manifest": str(final)}))
        print("a table", file=stdout)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(runs.subprocess, "run", fake_run)
    result = runs.run_configuration(CONFIGURATION, inputs, tmp_path / "runs")

    assert commands[0][1:3] == ["-m", "scripts.run_local"]
    assert commands[0][3:] == CONFIGURATION.run_local_arguments(str(inputs), str(tmp_path / "runs" / "default-seed3"))
    assert result["per_round"][0]["round_model_accuracy"] == 0.5
    assert result["workdir"] == str(tmp_path / "runs" / "default-seed3")
    assert (tmp_path / "runs" / "default-seed3.log").read_text() == "a table\n"


def test_a_failed_run_names_its_log(tmp_path, monkeypatch):
    monkeypatch.setattr(runs.subprocess, "run", lambda command, **_: subprocess.CompletedProcess(command, 1))

    with pytest.raises(runs.BenchmarkError, match="default-seed3.log"):
        runs.run_configuration(CONFIGURATION, _inputs(tmp_path), tmp_path / "runs")


def test_prepare_failure_is_a_benchmark_error(tmp_path):
    with pytest.raises(runs.BenchmarkError, match="scripts.prepare failed"):
        runs.prepare_inputs(tmp_path / "missing.csv", tmp_path / "inputs", [])
