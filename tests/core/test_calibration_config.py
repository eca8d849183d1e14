"""Issue 10's ActiveLearningConfig keys: defaults, and errors that name the field."""

from __future__ import annotations

import pytest

from byoal.counts import Counts, human_budget_left
from byoal.errors import InputError
from byoal.request import validate_active_learning_config


def test_the_calibration_keys_default_to_a_random_fifth_of_each_batch_at_risk_0_1():
    config = validate_active_learning_config({})
    assert config["CalibrationShare"] == 0.2 and config["RiskTolerance"] == 0.1
    assert config["InputLabelsAreRandomSample"] is False and config["MinValidationRecords"] is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("RiskTolerance", 0, r"'ActiveLearningConfig.RiskTolerance' must be in \(0, 0.5\], got 0"),
        ("RiskTolerance", 0.7, "'ActiveLearningConfig.RiskTolerance'"),
        ("RiskTolerance", "0.1", "'ActiveLearningConfig.RiskTolerance' must be a number"),
        ("CalibrationShare", 0, r"'ActiveLearningConfig.CalibrationShare' must be in \(0, 0.9\]"),
        ("CalibrationShare", 1, "'ActiveLearningConfig.CalibrationShare'"),
        (
            "InputLabelsAreRandomSample",
            "yes",
            "'ActiveLearningConfig.InputLabelsAreRandomSample' must be true or false",
        ),
        ("InputLabelsAreRandomSample", 1, "'ActiveLearningConfig.InputLabelsAreRandomSample' must be true or false"),
        ("MinValidationRecords", 0, "'ActiveLearningConfig.MinValidationRecords'"),
    ],
)
def test_bad_calibration_keys_fail_naming_the_field(key, value, message):
    with pytest.raises(InputError, match=message):
        validate_active_learning_config({key: value})


def test_calibration_labels_count_in_the_human_budget():
    config = validate_active_learning_config({"MaxHumanLabels": 300})
    before = Counts(input_total=1000, human_labeled=200, unlabeled=800, calibration=0)
    after = Counts(input_total=1000, human_labeled=250, unlabeled=750, calibration=50)
    assert human_budget_left(before, config) == 100
    assert human_budget_left(after, config) == 50, "50 calibration labels spent 50 of the budget"
