import pytest

from benchmarks.active_learning.configurations import Configuration
from benchmarks.active_learning.results import (
    aggregate,
    checks,
    human_labels_before,
    manual_baseline,
    per_round,
    run_result,
)
from byoal.round_stats import auto_labels_by_round
from tests.benchmarks.conftest import ATTRIBUTE, ROUNDS, answer, fake_summary, labeled


def test_auto_labels_are_counted_by_the_round_in_their_job_name():
    final = [
        labeled(0, human=False, job="news-1a2b3c4d-r001-auto"),
        labeled(1, human=False, job="news-1a2b3c4d-r001-auto"),
        labeled(2, human=False, job="news-1a2b3c4d-r012-auto"),
        labeled(3, human=True, job="news-1a2b3c4d-r001-human"),
        {"source": "a headline"},
    ]
    answers = [answer(0), answer(0), answer(2), answer(1), answer(3)]

    assert auto_labels_by_round(final, answers, ATTRIBUTE) == {1: [2, 1], 12: [1, 1]}


def test_auto_labels_and_answer_key_must_have_the_same_length():
    with pytest.raises(ValueError):
        auto_labels_by_round([labeled(0, human=False, job="x-r001-auto")], [], ATTRIBUTE)


def test_per_round_shares_and_accuracy_are_cumulative():
    rows = per_round(fake_summary(rounds=ROUNDS), {1: [30, 29], 2: [20, 17]})

    assert [row["model_share"] for row in rows] == [0.3, 0.5]
    assert [row["model_accuracy"] for row in rows] == [round(29 / 30, 4), 0.92]
    assert [row["round_model_accuracy"] for row in rows] == [round(29 / 30, 4), 0.85]
    assert [row["human_labels_before"] for row in rows] == [20, 30]
    assert rows[0]["train_seconds"] == 11.0
    assert rows[1]["model_artifacts"].endswith("/002/model.tar.gz")


def test_human_labels_before_a_round_count_the_pre_labeled_and_earlier_batches():
    summary = fake_summary(rounds=ROUNDS)

    assert [human_labels_before(summary, number) for number in (1, 2, 3)] == [20, 30, 30]


def test_records_left_unlabeled_count_as_needing_humans():
    summary = fake_summary(rounds=ROUNDS[:1], unlabeled=40)
    result = run_result(Configuration(name="default", description="d", seed=1), summary, {1: [30, 29]})

    assert (result["human_labels"], result["human_needed"], result["human_needed_share"]) == (30, 70, 0.7)
    assert (result["model_share"], result["model_accuracy"], result["seed"]) == (0.3, 0.96, 1)
    assert result["model_wrong_share"] == 0.01
    assert result["train_seconds"] == 11.0


def test_manual_baseline_is_every_record_by_hand():
    baseline = manual_baseline(250)

    assert (baseline["human_needed"], baseline["model_share"], baseline["final_accuracy"]) == (250, 0.0, 1.0)


def _result(name, seed, model_share, model_accuracy):
    return {
        "name": name,
        "seed": seed,
        "description": name,
        "human_labels": 30,
        "human_share": 0.3,
        "human_needed": 40,
        "human_needed_share": 0.4,
        "model_labels": int(model_share * 100),
        "model_share": model_share,
        "model_wrong_share": round(model_share * (1 - model_accuracy), 4),
        "model_accuracy": model_accuracy,
        "final_accuracy": 0.99,
        "rounds": 3,
        "wall_seconds": 60.0,
        "train_seconds": 10.0,
        "infer_seconds": 1.0,
        "select_seconds": None,
    }


def test_aggregate_gives_mean_min_and_max_per_configuration_in_order():
    rows = aggregate(
        [_result("default", 0, 0.6, 0.97), _result("random", 0, 0.5, 0.96), _result("default", 1, 0.7, 0.95)]
    )

    assert [row["name"] for row in rows] == ["default", "random"]
    assert rows[0]["seeds"] == [0, 1]
    assert rows[0]["model_share"] == {"mean": 0.65, "min": 0.6, "max": 0.7}
    assert rows[0]["select_seconds"] == {"mean": None, "min": None, "max": None}


def test_checks_pass_when_the_default_beats_the_baselines_at_the_target():
    rows = aggregate(
        [
            _result("default", 0, 0.72, 0.96),
            _result("default", 1, 0.71, 0.951),
            _result("random", 0, 0.5, 0.97),
            _result("reference", 0, 0.4, 0.93),
        ]
    )

    assert [check["passed"] for check in checks(rows)] == [True, True, True, True]


def test_checks_report_a_seed_below_the_target_and_a_missed_aim():
    rows = aggregate(
        [_result("default", 0, 0.6, 0.96), _result("default", 1, 0.6, 0.94), _result("random", 0, 0.7, 0.96)]
    )
    found = {check["check"]: check["passed"] for check in checks(rows)}

    assert found == {
        "default: model labels >= 95% accurate on every seed": False,
        "default: model-labeled share above random's at the 95% target": False,
        "aim: >= 70% of the records labeled by the model at >= 95% accuracy": False,
    }


def test_a_baseline_that_misses_the_target_is_not_compared_on_share():
    rows = aggregate([_result("default", 0, 0.5, 0.97), _result("reference", 0, 0.67, 0.84)])
    reference = checks(rows)[1]

    assert reference["passed"]
    assert reference["figures"] == (
        "default 50.0% at 0.97 accuracy vs reference 67.0% at 0.84; "
        "reference misses the 95% target, so its share is not at equal accuracy"
    )


def test_no_baseline_passes_when_the_default_itself_misses_the_target():
    rows = aggregate([_result("default", 0, 0.8, 0.9), _result("random", 0, 0.5, 0.96)])

    assert [check["passed"] for check in checks(rows)] == [False, False, False]


def test_no_checks_without_the_default():
    assert checks(aggregate([_result("random", 0, 0.5, 0.96)])) == []
