import numpy as np
import pytest

from benchmarks.active_learning import model_comparison
from benchmarks.active_learning.model_comparison import VALIDATION, make_split, policy_auto_labels, score, summarize
from tests.benchmarks.conftest import write_dataset

ROWS = [(f"headline {index}", index % 3) for index in range(1000)]


def test_a_split_is_held_out_then_validation_then_training_without_overlap():
    split = make_split(ROWS, size=500, held_out=300, seed=1)

    assert (len(split.held_out), len(split.validation), len(split.train)) == (300, VALIDATION, 100)
    texts = [set(text for text, _ in part) for part in (split.held_out, split.validation, split.train)]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])
    assert make_split(ROWS, size=500, held_out=300, seed=1) == split


@pytest.mark.parametrize(("size", "held_out"), [(VALIDATION, 10), (900, 200)])
def test_a_split_needs_training_records_and_enough_data(size, held_out):
    with pytest.raises(ValueError):
        make_split(ROWS, size=size, held_out=held_out, seed=0)


def _confident(labels, wrong_every):
    """One-hot-ish probabilities, right except every ``wrong_every``-th, which is also the least confident."""
    probabilities = np.full((len(labels), 3), 0.01)
    for index, label in enumerate(labels):
        wrong = index % wrong_every == wrong_every - 1
        probabilities[index, (label + 1) % 3 if wrong else label] = 0.6 if wrong else 0.98
    return probabilities


def test_the_policy_auto_labels_the_confident_records_and_as_few_others_as_the_target_allows():
    labels = np.array([index % 3 for index in range(400)])
    probabilities = _confident(labels, wrong_every=4)

    share, labeled_accuracy = policy_auto_labels(probabilities, labels, probabilities, labels)

    assert share == 0.75 and labeled_accuracy == 1.0, "the wrong quarter, least confident, is left to humans"


def test_nothing_is_auto_labeled_when_the_model_is_always_wrong():
    labels = np.zeros(100, dtype=int)
    probabilities = np.tile([0.1, 0.9, 0.0], (100, 1))

    assert policy_auto_labels(probabilities, labels, probabilities, labels) == (0.0, None)


def _oracle_trainer(texts, labels, validation_texts, validation_labels, seed):
    truth = dict(ROWS)
    return lambda batch: _confident([truth[text] for text in batch], wrong_every=10)


def test_score_reports_accuracy_coverage_and_the_policy():
    scores = score(_oracle_trainer, make_split(ROWS, size=500, held_out=300, seed=0), seed=0)

    assert scores["accuracy"] == pytest.approx(0.9, abs=0.02)
    assert scores["coverage"] >= scores["policy_share"] > 0.8
    assert scores["policy_accuracy"] >= 0.95


def test_summaries_give_mean_and_range():
    summary = summarize(
        [
            {"accuracy": 0.8, "coverage": 0.5, "policy_share": 0.4, "policy_accuracy": None},
            {"accuracy": 0.9, "coverage": 0.7, "policy_share": 0.6, "policy_accuracy": None},
        ]
    )

    assert summary == {
        "accuracy": "0.850 (0.800–0.900)",
        "coverage": "0.600 (0.500–0.700)",
        "policy_share": "0.500 (0.400–0.600)",
        "policy_accuracy": "-",
    }


def test_main_prints_a_row_per_model_and_size(tmp_path, monkeypatch, capsys):
    dataset = write_dataset(
        tmp_path / "data.csv.gz", [(f"Headline {index}", "be"[index % 2], "") for index in range(700)]
    )
    monkeypatch.setattr(model_comparison, "bundled_model", lambda num_classes: _two_class_trainer)
    monkeypatch.setattr(model_comparison, "tfidf_logistic_regression", lambda: _two_class_trainer)

    assert (
        model_comparison.main(["--dataset", str(dataset), "--sizes", "450", "--held-out", "100", "--splits", "2"]) == 0
    )
    rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.split(" | ")[:2] for row in rows] == [["| bundled", "450"], ["| tfidf+logreg", "450"]]


def _two_class_trainer(texts, labels, validation_texts, validation_labels, seed):
    return lambda batch: np.array([[0.9, 0.1] if int(text.split()[-1]) % 2 == 0 else [0.1, 0.9] for text in batch])
