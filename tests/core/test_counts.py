"""Counts and the loop's next-step decision: seed batch, rounds, budget and stop reasons."""

from __future__ import annotations

from byoal.counts import Counts, count_records, human_budget_left, next_step
from byoal.request import validate_active_learning_config

HUMAN = {"human-annotated": "yes"}
MODEL = {"human-annotated": "no"}


def config(**overrides):
    return {**validate_active_learning_config({"Workforce": "Callback", **overrides}), "HumanBatchSize": 50}


def test_counts_split_human_model_unlabeled_and_calibration():
    records = [
        {"source": "a", "c": 0, "c-metadata": HUMAN, "byoal-calibration": 0},
        {"source": "b", "c": 1, "c-metadata": HUMAN},
        {"source": "c", "c": 1},
        {"source": "d", "c": 2, "c-metadata": MODEL},
        {"source": "e"},
    ]
    counts = count_records(records, label_attribute="c", num_classes=3)
    assert counts == Counts(
        input_total=5, human_labeled=3, auto_labeled=1, unlabeled=1, calibration=1, human_labeled_by_class=[1, 2, 0]
    )


def test_seed_batch_first_then_rounds_until_everything_is_labeled():
    counts = Counts(input_total=1000, human_labeled=20, unlabeled=980, human_labeled_by_class=[10, 10])
    assert next_step(counts, config(), []) == {"next_step": "seed", "next_round": 0, "batch_size": 80}
    after_seed = [{"round": 0, "human_labeled": 80}]
    counts = Counts(input_total=1000, human_labeled=100, unlabeled=900)
    assert next_step(counts, config(), after_seed) == {"next_step": "round", "next_round": 1, "batch_size": 50}
    done = Counts(input_total=1000, human_labeled=100, auto_labeled=900)
    assert next_step(done, config(), after_seed)["stop_reason"] == "every record is labeled"


def test_input_labels_beyond_the_seed_share_skip_the_seed_batch():
    counts = Counts(input_total=1000, human_labeled=200, unlabeled=800)
    assert next_step(counts, config(), [])["next_step"] == "round"


def test_budget_limits_batches_and_stops_the_loop():
    counts = Counts(input_total=1000, human_labeled=280, unlabeled=500)
    assert human_budget_left(counts, config(MaxHumanShare=0.3)) == 20
    assert human_budget_left(counts, config(MaxHumanLabels=250)) == 0
    history = [{"round": 1, "selected": 50}]
    assert next_step(counts, config(MaxHumanShare=0.3), history)["batch_size"] == 20
    spent = [{"round": 1, "selected": 0}]
    assert next_step(counts, config(MaxHumanLabels=250), spent)["stop_reason"] == "the human-label budget is spent"
    rounds = [{"round": n, "selected": 5} for n in (1, 2, 3)]
    assert next_step(counts, config(MaxRounds=3), rounds)["stop_reason"] == "reached MaxRounds (3)"
