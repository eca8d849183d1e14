"""The guarantee benchmark's own logic: suites, skewed pre-labels, per-run figures, table, bars and outputs."""

from __future__ import annotations

import json

import pytest

from benchmarks.active_learning import cli, guarantee
from benchmarks.active_learning.results import run_result
from benchmarks.active_learning.runs import prepare_inputs, read_jsonl
from tests.benchmarks.conftest import dataset_rows, fake_summary, write_dataset


def test_a_model_is_named_with_its_training_hyperparameters():
    assert guarantee.parse_model("bundled") == ("bundled", {})
    assert guarantee.parse_model("encoder=model=encoder,epochs=3") == ("encoder", {"model": "encoder", "epochs": "3"})
    with pytest.raises(ValueError, match="expected NAME or NAME=KEY=VALUE"):
        guarantee.parse_model("x=epochs")


def test_skewed_prelabels_are_nearly_all_one_class_and_not_declared_random(tmp_path):
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())
    inputs = tmp_path / "inputs"
    prepare_inputs(dataset, inputs, [])
    assert guarantee.skew_prelabels(inputs, "category") == 25
    records = list(read_jsonl(inputs / "input.manifest"))
    answers = list(read_jsonl(inputs / "answers.manifest"))
    labeled = [record for record in records if "category" in record]
    assert len(records) == 100 and len(labeled) == 25
    assert sorted(record["category"] for record in labeled) == [0] * 23 + [1, 1], "2 of class 1; there is no class 3"
    assert all(
        record["category"] == answer["category"]
        for record, answer in zip(records, answers, strict=True)
        if "category" in record
    )
    assert [record["source"] for record in records] == [answer["source"] for answer in answers]
    request = json.loads((inputs / "request.json").read_text())
    assert request["ActiveLearningConfig"]["InputLabelsAreRandomSample"] is False


def _run(suite: str, model: str, rounds: list[tuple[int, int]], seed: int = 0) -> dict:
    """A run result whose rounds auto-labeled (given, right)."""
    summary = fake_summary(
        rounds=[{"auto_labeled": given, "human_labeled": 10, "calibration_accuracy": 0.9} for given, _ in rounds]
    )
    configuration = guarantee.Configuration(name=f"{suite}-{model}", description="", options={}, seed=seed)
    result = run_result(
        configuration, summary, {number: list(tally) for number, tally in enumerate(rounds, start=1) if tally[0]}
    )
    return {**result, "suite": suite, "model": model, **guarantee.guarantee_figures(result, target=0.95)}


def test_rounds_are_judged_only_with_enough_auto_labels_and_the_slack_is_measured_minus_target():
    run = _run("sample", "bundled", [(100, 99), (60, 54), (10, 5), (0, 0)])
    assert run["rounds_judged"] == 2 and run["rounds_below_target"] == [2]
    assert run["lowest_round"] == {"round": 2, "accuracy": 0.9, "labels": 60}
    assert run["slack"] == pytest.approx(0.96 - 0.95)
    assert [entry["round"] for entry in run["rounds_without_auto_labels"]] == [4]


def test_the_bars_name_the_runs_that_miss():
    runs = [
        _run("sample", "bundled", [(100, 99)], seed=0),
        _run("sample", "bundled", [(100, 98)], seed=1),
        _run("sample-skewed-prelabels", "bundled", [(0, 0), (80, 70)]),
    ]
    rows = guarantee.summary_rows(runs)
    assert [(row["suite"], row["runs"], row["rounds_judged"], row["rounds_below_target"]) for row in rows] == [
        ("sample", 2, 2, 0), ("sample-skewed-prelabels", 1, 1, 1),
    ]
    found = {check["check"]: check for check in guarantee.checks(rows, target=0.95, risk_tolerance=0.1)}
    assert not found["the skewed pre-label case is never below target"]["passed"]
    assert found["rounds below target (of those with >= 50 auto-labels) at most δ = 0.1"]["figures"] == "1 of 3"
    assert "| sample | bundled | 2 | 0 / 2 |" in guarantee.markdown_table(rows)


def test_the_guarantee_command_runs_every_suite_and_model_and_writes_json_and_plot(tmp_path, monkeypatch, capsys):
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())
    suites = tuple(guarantee.Suite(name, dataset, skewed=name.endswith("skewed")) for name in ("small", "small-skewed"))
    monkeypatch.setattr(guarantee, "SUITES", suites)
    seen = []

    def fake_run(configuration, inputs, runs_dir):
        request = json.loads((inputs / "request.json").read_text())
        seen.append(
            (configuration.name, configuration.seed, request["ActiveLearningConfig"].get("HyperParameters", {}))
        )
        summary = fake_summary(rounds=[{"auto_labeled": 60, "human_labeled": 10, "calibration_accuracy": 0.9}])
        return run_result(configuration, summary, {1: [60, 59]})

    monkeypatch.setattr(guarantee, "run_configuration", fake_run)
    out = tmp_path / "out"
    assert (
        cli.main(["--guarantee", "--seeds", "2", "--model", "bundled", "--model", "other=epochs=3", "--out", str(out)])
        == 0
    )
    assert seen == [
        ("small-bundled", 0, {}),
        ("small-bundled", 1, {}),
        ("small-other", 0, {"epochs": "3"}),
        ("small-other", 1, {"epochs": "3"}),
        ("small-skewed-bundled", 0, {}),
        ("small-skewed-other", 0, {"epochs": "3"}),
    ]
    document = json.loads((out / "guarantee.json").read_text())
    assert len(document["runs"]) == 6 and document["risk_tolerance"] == 0.1
    kept = [json.loads(line) for line in (out / "guarantee-runs.jsonl").read_text().splitlines()]
    assert kept == document["runs"]  # each run's result was kept as it ended
    assert (out / "guarantee_rounds.png").stat().st_size > 0
    assert "| small | other | 2 | 0 / 2 |" in capsys.readouterr().out
