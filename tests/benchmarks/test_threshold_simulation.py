import numpy as np

from benchmarks.active_learning.threshold_simulation import PROCEDURES, evaluate, margin_picks, oracle_share

DEFAULT = "fallback from 25 % and 50 %, δ/2 each (default)"


def test_the_oracle_share_is_the_largest_most_confident_share_at_target():
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([True, True, True, False, False])
    assert oracle_share(confidence, correct, 0.75) == 0.8  # the top four, three right
    assert oracle_share(confidence, correct, 1.0) == 0.6
    assert oracle_share(confidence, ~correct, 0.9) == 0.0


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
