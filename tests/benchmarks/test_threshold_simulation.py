import numpy as np

from benchmarks.active_learning import threshold_simulation as simulation
from benchmarks.active_learning.metrics import oracle_coverage
from benchmarks.active_learning.threshold_simulation import (
    PROCEDURES,
    Dataset,
    evaluate,
    margin_picks,
    report_warm_up,
    simulate_seed,
    simulate_warm_up,
    train,
)

DEFAULT = "fallback from 25 % and 50 %, δ/2 each (default)"


def test_the_oracle_share_is_the_largest_most_confident_share_at_target():
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, True, True, False, False])
    assert oracle_coverage(confidence, correct, 0.75) == 0.8  # the top four, three right
    assert oracle_coverage(confidence, correct, 1.0) == 0.6
    assert oracle_coverage(confidence, ~correct, 0.9) == 0.0


def test_each_procedure_is_scored_on_the_records_left_out_of_the_draw():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0, 1, 4000)
    correct = rng.uniform(0, 1, 4000) < 0.93 + 0.07 * confidence  # 96.5 % right in all, 95 % above any confidence
    outcomes = evaluate(confidence, correct, size=600, draws=5, scale=0.5, rng=rng, target=0.95, delta=0.1)
    assert set(outcomes) == set(PROCEDURES)
    for draws in outcomes.values():
        assert len(draws) == 5
        for outcome in draws:
            assert 0 <= outcome.share <= 0.5, "a share of all records: at most scale"
            assert (outcome.accuracy is None) == (outcome.share == 0)
    assert all(outcome.share > 0.2 and outcome.accuracy > 0.94 for outcome in outcomes[DEFAULT])


def test_the_margin_query_picks_the_smallest_top_two_margins():
    probabilities = np.array([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3], [0.5, 0.5]])
    assert margin_picks(probabilities, 2).tolist() == [3, 1]


def _blobs(records: int = 600, classes: int = 3, seed: int = 0) -> Dataset:
    """A synthetic dataset with no encoder: overlapping Gaussian blobs as embeddings, texts naming no class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, records)
    embeddings = rng.normal(0, 1, (records, 8)) + 1.5 * np.eye(classes, 8)[labels]
    return Dataset([f"record {i}" for i in range(records)], labels, embeddings, classes)


def test_the_warm_up_trains_on_the_margin_picks_and_then_tests_the_threshold(monkeypatch):
    data, trained = _blobs(), []

    def recording_train(data, indices, seed):
        model = train(data, indices, seed)
        trained.append((np.asarray(indices), model))
        return model

    monkeypatch.setattr(simulation, "train", recording_train)
    tests = simulate_warm_up(data, 0, warm_up_rounds=[0, 2], prelabeled=0.2, validation_share=0.3,
                             calibration_share=0.2, batch=50, draws=4, target=0.9, delta=0.1)

    assert len(trained) == 3, "the round-1 model, then one retrained after each of the two batches"
    for (before, model), (after, _) in zip(trained, trained[1:], strict=False):
        added = np.setdiff1d(after, before)
        assert len(added) == 40 and set(before) <= set(after), "each batch adds its 40 picks (10 are calibration)"
        pool = np.setdiff1d(np.arange(600), before)
        top_two = np.sort(model(pool), axis=1)[:, -2:]
        margin = dict(zip(pool.tolist(), top_two[:, 1] - top_two[:, 0], strict=True))
        assert max(margin[i] for i in added) <= min(margin[i] for i in pool if i not in set(added))
    assert sorted(tests) == [0, 2]
    for rounds, test in tests.items():
        assert test.human_share == (120 + rounds * 50) / 600
        assert len(test.outcomes) == 4
        for outcome in test.outcomes:
            assert 0 <= outcome.share <= 1 - test.human_share
            assert (outcome.accuracy is None) == (outcome.share == 0)
        assert 0 <= test.oracle <= 1 - test.human_share
    assert any(outcome.share > 0 for outcome in tests[2].outcomes), "some draw auto-labels after the warm-up"
    assert tests[0].calibration_records == 36, "round 1: ValidationShare 0.3 of 120 pre-labels"
    assert 36 < tests[2].calibration_records < 36 + 2 * 10, "each draw adds 10, the picks screen some out"


def test_no_warm_up_is_round_one(capsys):
    data = _blobs(seed=1)
    round_one = simulate_seed(data, 2, prelabeled=0.2, validation_share=0.3, calibration_shares=[], batch=50,
                              draws=5, target=0.9, delta=0.1, later_round=False)["round 1"][DEFAULT]
    test = simulate_warm_up(data, 2, warm_up_rounds=[0], prelabeled=0.2, validation_share=0.3,
                            calibration_share=0.2, batch=50, draws=5, target=0.9, delta=0.1)[0]
    assert test.outcomes == round_one
    report_warm_up("tiny", [{0: test}], 0.9, 0.6)
    row = capsys.readouterr().out.splitlines()[-1].split(" | ")
    assert row[0] == "| 0" and row[1] == "0.200" and row[2] == "36"
