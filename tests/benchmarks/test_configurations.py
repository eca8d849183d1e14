from benchmarks.active_learning.configurations import (
    Configuration,
    comparison_configurations,
    learning_curve_configurations,
    unbudgeted_configurations,
)
from scripts import run_local


def test_the_comparison_has_every_strategy_and_the_reference_rule_at_one_budget():
    configurations = comparison_configurations(records=10_000, seeds=3, budget_share=0.3)

    names = [configuration.name for configuration in configurations]
    assert names == ["default"] * 3 + ["least_confidence", "entropy"] + ["random"] * 3 + ["reference"]
    assert all(configuration.options["--max-human-share"] == "0.3" for configuration in configurations)
    assert [c.seed for c in configurations if c.name == "default"] == [0, 1, 2]


def test_the_default_is_margin_selection_with_calibration():
    default = comparison_configurations(records=10_000, seeds=1)[0]

    assert default.options["--strategy"] == "margin"
    assert "--fixed-margin-threshold" not in default.options


def test_the_reference_rule_sends_a_random_tenth_of_the_dataset_and_uses_a_fixed_margin():
    reference = comparison_configurations(records=10_001, seeds=1)[-1]

    assert reference.options == {
        "--strategy": "random",
        "--fixed-margin-threshold": "0.5",
        "--batch-size": "1001",
        "--max-human-share": "0.3",
    }


def test_without_a_budget_no_share_is_passed_and_names_say_so():
    configurations = unbudgeted_configurations(records=1_000)

    assert [configuration.name for configuration in configurations] == [
        "default-unbudgeted",
        "random-unbudgeted",
        "reference-unbudgeted",
    ]
    assert all("--max-human-share" not in configuration.options for configuration in configurations)


def test_learning_curve_runs_margin_and_random_per_seed():
    configurations = learning_curve_configurations(seeds=2)

    assert [(c.name, c.seed) for c in configurations] == [
        ("curve-margin", 0),
        ("curve-margin", 1),
        ("curve-random", 0),
        ("curve-random", 1),
    ]


def test_every_configuration_gives_arguments_scripts_run_local_accepts(tmp_path):
    configurations = [
        *comparison_configurations(records=500, seeds=2),
        *unbudgeted_configurations(records=500),
        *learning_curve_configurations(seeds=1),
    ]
    for configuration in configurations:
        parsed = run_local.parse_arguments(configuration.run_local_arguments(str(tmp_path / "in"), str(tmp_path / "w")))
        assert parsed.seed == configuration.seed
        assert parsed.quiet
        assert parsed.strategy == configuration.options["--strategy"]


def test_run_id_tells_seeds_apart():
    assert Configuration(name="default", description="", seed=2).run_id == "default-seed2"
