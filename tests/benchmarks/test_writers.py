import json

from benchmarks.active_learning.configurations import Configuration
from benchmarks.active_learning.results import aggregate, manual_baseline, run_result
from benchmarks.active_learning.writers import (
    TABLE_COLUMNS,
    checks_text,
    curve_table,
    markdown_table,
    plot_learning_curve,
    plot_rounds,
    write_json,
)
from tests.benchmarks.conftest import ROUNDS, fake_summary


def _results():
    default = [
        run_result(
            Configuration(name="default", description="d", seed=seed),
            fake_summary(rounds=ROUNDS),
            {1: [30, 29], 2: [20, 20 - seed]},
        )
        for seed in (0, 1)
    ]
    return [*default, manual_baseline(100)]


def test_the_table_has_a_row_per_configuration_with_the_seed_spread():
    table = markdown_table(aggregate(_results()))
    header, rule, default, manual = table.splitlines()

    assert header == "| " + " | ".join(TABLE_COLUMNS) + " |"
    assert rule.count("---") == len(TABLE_COLUMNS)
    assert default.startswith("| default | 2 | 30.0%, 30 | 30.0%, 30 | 50.0%, 50 |")
    assert "11.5 / 1.0 / 0.5" in default
    assert manual == "| manual | 1 | 100.0%, 100 | 100.0%, 100 | 0.0%, 0 | - | 0.0% | 100.00% | - | - | - |"


def test_a_spread_is_shown_only_where_seeds_differ():
    results = _results()
    results[1] = {**results[1], "model_accuracy": 0.94}
    default_row = markdown_table(aggregate(results)).splitlines()[2]

    assert "95.00% (94.00%–96.00%)" in default_row
    assert "| 2 | 2 |" not in default_row


def test_checks_are_listed_as_pass_or_miss():
    text = checks_text(
        [
            {"check": "a", "passed": True, "figures": "1"},
            {"check": "b", "passed": False, "figures": "2"},
        ]
    )

    assert text == "- PASS: a — 1\n- MISS: b — 2"


def test_json_round_trips(tmp_path):
    document = {"rows": aggregate(_results()), "name": "Überblick"}
    write_json(tmp_path / "out" / "active_learning.json", document)

    assert json.loads((tmp_path / "out" / "active_learning.json").read_text(encoding="utf-8")) == document


def test_plots_are_written_as_png(tmp_path):
    points = [
        {"name": name, "seed": 0, "round": number, "human_labels": 100 + 10 * number, "accuracy": 0.8, "coverage": 0.5}
        for name in ("curve-margin", "curve-random")
        for number in (1, 2, 3)
    ]
    plot_rounds(_results(), tmp_path / "rounds.png", target=0.95)
    plot_learning_curve(points, tmp_path / "curve.png", target=0.95)

    for name in ("rounds.png", "curve.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_the_curve_table_averages_seeds_per_strategy_and_labels_spent():
    points = [
        {
            "name": "curve-margin",
            "seed": 0,
            "human_labels": 200,
            "accuracy": 0.8,
            "coverage": 0.5,
            "calibration_accuracy": 0.7,
        },
        {
            "name": "curve-margin",
            "seed": 1,
            "human_labels": 200,
            "accuracy": 0.9,
            "coverage": 0.6,
            "calibration_accuracy": None,
        },
        {"name": "curve-random", "seed": 0, "human_labels": 1000, "accuracy": 0.85, "coverage": 0.55},
    ]
    lines = curve_table(points).splitlines()

    assert lines[2:] == [
        "| curve-margin | 200 | 2 | 0.850 | 0.550 | 0.700 |",
        "| curve-random | 1,000 | 1 | 0.850 | 0.550 | - |",
    ]
