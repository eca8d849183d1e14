import json

from benchmarks.active_learning import cli
from benchmarks.active_learning.results import run_result
from tests.benchmarks.conftest import dataset_rows, fake_summary, write_dataset

SHARES = {"default": 0.6, "least_confidence": 0.55, "entropy": 0.55, "random": 0.5, "reference": 0.4}


def _fake_run(configuration, inputs, runs_dir):
    share = SHARES.get(configuration.name.removesuffix("-unbudgeted"), 0.5)
    summary = fake_summary(
        rounds=[{"auto_labeled": int(share * 100), "human_labeled": 10, "calibration_accuracy": 0.9}]
    )
    result = run_result(configuration, summary, {1: [int(share * 100), int(share * 100) - 1]})
    return {**result, "workdir": str(runs_dir / configuration.run_id)}


def test_the_benchmark_runs_each_configuration_and_writes_table_json_and_plots(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "run_configuration", _fake_run)
    monkeypatch.setattr(
        cli.learning_curve,
        "curve_points",
        lambda run, held_out, target: [
            {"name": run["name"], "seed": run["seed"], "round": 1, "human_labels": 20, "accuracy": 0.8, "coverage": 0.5}
        ],
    )
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())
    out = tmp_path / "out"

    code = cli.main(
        [
            "--dataset",
            str(dataset),
            "--seeds",
            "2",
            "--unbudgeted",
            "--learning-curve",
            "--held-out",
            "20",
            "--out",
            str(out),
        ]
    )

    assert code == 0
    document = json.loads((out / "active_learning.json").read_text(encoding="utf-8"))
    assert [row["name"] for row in document["rows"]] == [
        "default",
        "least_confidence",
        "entropy",
        "random",
        "reference",
        "default-unbudgeted",
        "random-unbudgeted",
        "reference-unbudgeted",
        "manual",
    ]
    assert (document["records"], document["pre_labeled"]) == (100, 20)
    assert document["machine"]["nproc"] >= 1
    assert all(check["passed"] for check in document["checks"][:3])
    assert {point["name"] for point in document["learning_curve"]} == {"curve-margin", "curve-random"}
    assert [row["name"] for row in document["curve_rows"]] == ["curve-margin", "curve-random"]
    for name in ("active_learning_rounds.png", "learning_curve.png"):
        assert (out / name).exists()
    printed = capsys.readouterr().out
    assert "| default | 2 |" in printed and "PASS: default: model labels >= 95% accurate on every seed" in printed


def test_only_runs_the_named_configurations(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(
        cli,
        "run_configuration",
        lambda configuration, *rest: ran.append(configuration.run_id) or _fake_run(configuration, *rest),
    )
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())

    assert cli.main(["--dataset", str(dataset), "--only", "reference", "--out", str(tmp_path / "out")]) == 0
    assert ran == ["reference-seed0"]


def test_a_failed_run_is_reported(tmp_path, monkeypatch, capsys):
    def fail(configuration, inputs, runs_dir):
        raise cli.BenchmarkError(f"{configuration.run_id}: scripts.run_local exited 1")

    monkeypatch.setattr(cli, "run_configuration", fail)
    dataset = write_dataset(tmp_path / "data.csv.gz", dataset_rows())

    assert cli.main(["--dataset", str(dataset), "--out", str(tmp_path / "out")]) == 1
    assert "error: default-seed0: scripts.run_local exited 1" in capsys.readouterr().err


def test_a_dataset_it_cannot_read_is_reported(tmp_path, capsys):
    assert (
        cli.main(["--dataset", str(tmp_path / "missing.csv"), "--learning-curve", "--out", str(tmp_path / "out")]) == 1
    )
    assert "error:" in capsys.readouterr().err
