import json

import pytest

from byoal_model.hyperparameters import (
    HyperparameterError,
    Hyperparameters,
    parse_hyperparameters,
    read_hyperparameters_file,
)


def test_defaults():
    hyperparameters, unknown = parse_hyperparameters({})
    assert hyperparameters == Hyperparameters()
    assert (hyperparameters.epochs, hyperparameters.vocab_size, hyperparameters.max_len) == (10, 5000, 100)
    assert (hyperparameters.embedding_dim, hyperparameters.batch_size, hyperparameters.seed) == (50, 32, 0)
    assert hyperparameters.label_attribute_name == "category"
    assert hyperparameters.num_classes is None and hyperparameters.label_names is None
    assert unknown == []


def test_parses_sagemaker_strings():
    hyperparameters, _ = parse_hyperparameters(
        {
            "epochs": "3",
            "vocab_size": "2000",
            "max_len": " 40 ",
            "embedding_dim": "16",
            "dropout": "0.25",
            "batch_size": "64",
            "learning_rate": "1e-3",
            "early_stopping_patience": "0",
            "label_attribute_name": "topic",
            "label_names": '["Business", "Sports", "Tech"]',
            "seed": "7",
        }
    )
    assert hyperparameters == Hyperparameters(
        epochs=3,
        vocab_size=2000,
        max_len=40,
        embedding_dim=16,
        dropout=0.25,
        batch_size=64,
        learning_rate=0.001,
        early_stopping_patience=0,
        label_attribute_name="topic",
        num_classes=3,
        label_names=("Business", "Sports", "Tech"),
        seed=7,
    )


def test_accepts_real_json_values():
    hyperparameters, _ = parse_hyperparameters({"epochs": 4, "learning_rate": 0.01, "num_classes": 5.0})
    assert (hyperparameters.epochs, hyperparameters.learning_rate, hyperparameters.num_classes) == (4, 0.01, 5)


def test_label_names_as_a_list_and_matching_num_classes():
    hyperparameters, _ = parse_hyperparameters({"label_names": ["a", "b"], "num_classes": "2"})
    assert hyperparameters.label_names == ("a", "b") and hyperparameters.num_classes == 2


def test_unknown_names_are_reported_not_fatal():
    _, unknown = parse_hyperparameters({"sagemaker_region": "eu-west-1", "epochs": "2", "mystery": 1})
    assert unknown == ["mystery", "sagemaker_region"]


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"epochs": "abc"}, "'epochs' is 'abc'"),
        ({"epochs": "-1"}, "'epochs' is '-1'"),
        ({"epochs": "0"}, "'epochs'"),
        ({"epochs": "2.5"}, "'epochs'"),
        ({"epochs": True}, "'epochs'"),
        ({"vocab_size": "2"}, "'vocab_size'"),
        ({"batch_size": ""}, "'batch_size'"),
        ({"learning_rate": "0"}, "'learning_rate'"),
        ({"learning_rate": "nan"}, "'learning_rate'"),
        ({"dropout": "1"}, "'dropout'"),
        ({"seed": "-3"}, "'seed'"),
        ({"num_classes": "1"}, "'num_classes'"),
        ({"label_attribute_name": " "}, "'label_attribute_name'"),
        ({"label_names": "Business,Sports"}, "'label_names'"),
        ({"label_names": '["only one"]'}, "'label_names'"),
        ({"label_names": '["a", "a"]'}, "'label_names'"),
        ({"label_names": '["a", 2]'}, "'label_names'"),
        ({"label_names": '["a", "b"]', "num_classes": "3"}, "'num_classes' is 3 but 'label_names' lists 2"),
    ],
)
def test_bad_values_name_the_hyperparameter(raw, named):
    with pytest.raises(HyperparameterError, match="hyperparameter") as caught:
        parse_hyperparameters(raw)
    assert named in str(caught.value)


def test_a_missing_file_means_defaults(tmp_path):
    assert read_hyperparameters_file(tmp_path / "hyperparameters.json") == {}


def test_a_file_that_is_not_a_json_object_is_an_error(tmp_path):
    path = tmp_path / "hyperparameters.json"
    path.write_text("[1, 2]")
    with pytest.raises(HyperparameterError, match="JSON object"):
        read_hyperparameters_file(path)
    path.write_text("{epochs: 3}")
    with pytest.raises(HyperparameterError, match="not valid JSON"):
        read_hyperparameters_file(path)


def test_to_json_round_trips():
    hyperparameters, _ = parse_hyperparameters({"label_names": '["x", "y"]'})
    assert parse_hyperparameters(json.loads(json.dumps(hyperparameters.to_json())))[0] == hyperparameters
