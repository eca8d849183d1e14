import numpy as np
import pytest

from benchmarks.active_learning.metrics import accuracy, coverage_at_accuracy

# Most confident first: right, right, wrong, right.
PROBABILITIES = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
LABELS = np.array([0, 1, 1, 1])


def test_accuracy():
    assert accuracy(PROBABILITIES, LABELS) == 0.75


@pytest.mark.parametrize(("target", "expected"), [(1.0, 0.5), (0.75, 1.0), (0.7, 1.0)])
def test_coverage_is_the_largest_most_confident_share_at_the_target(target, expected):
    assert coverage_at_accuracy(PROBABILITIES, LABELS, target) == expected


def test_no_coverage_when_even_the_most_confident_record_is_wrong():
    assert coverage_at_accuracy(np.array([[0.9, 0.1]]), np.array([1]), 0.5) == 0.0
