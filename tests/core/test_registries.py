"""The contract every registered extension (query strategy, workforce, configuration key) must keep.

Each test runs over every entry of its registry, so a new entry is checked without a new test:
a strategy picks ``size`` ids deterministically and its selection cut agrees with the pool rule;
a workforce is accepted by validation with the fields it needs, refused without them, and has its
branch in the ActiveLearningLoop definition; a configuration key's default passes validation, a
value outside its range is refused naming the key, and its command-line flag parses to the key.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from benchmarks.active_learning import configurations
from byoal import config_keys, query_strategies, workforces
from byoal.errors import InputError
from byoal.policy import PoolRule, select_for_humans, selection_cut
from byoal.predictions import Prediction, parse_prediction
from byoal.request import validate_active_learning_config, validate_request
from local_runner import report
from scripts import config_table, prepare, run_local

ROOT = Path(__file__).resolve().parents[2]
LOOP_DEFINITION = ROOT / "statemachines" / "active_learning_loop.asl.json"
STRATEGIES = list(query_strategies.REGISTRY.values())
WORKFORCES = list(workforces.REGISTRY.values())
KEYS = list(config_keys.KEYS)


def candidates(count: int, *, seed: int = 3, classes: int = 4) -> list[tuple[int, Prediction]]:
    """``count`` (id, prediction) pairs with random class distributions, some of them tied, ids not in order."""
    generator = random.Random(seed)
    pairs = []
    for index in range(count):
        weights = [generator.random() for _ in range(classes)] if index % 7 else [1.0] * classes
        total = sum(weights)
        output = {"probabilities": [weight / total for weight in weights]}
        pairs.append((1000 - 3 * index, parse_prediction(output, num_classes=classes, where="test")))
    return pairs


# --- query strategies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda strategy: strategy.name)
@pytest.mark.parametrize("size", [0, 1, 17, 60, 80])
def test_a_strategy_selects_size_distinct_candidates_in_input_order_the_same_for_a_seed(strategy, size):
    pool = candidates(60)
    ids = [identity for identity, _ in pool]
    chosen = strategy.query(pool, size=size, seed=11)
    assert len(chosen) == min(size, len(pool))
    assert len(set(chosen)) == len(chosen) and set(chosen) <= set(ids)
    assert chosen == [identity for identity in ids if identity in set(chosen)], "in the candidates' order"
    assert strategy.query(pool, size=size, seed=11) == chosen
    assert select_for_humans(pool, strategy=strategy.name, size=size, seed=11) == chosen
    assert strategy.query([], size=size, seed=11) == []


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda strategy: strategy.name)
def test_a_strategy_selection_cut_is_what_the_pool_rule_removes(strategy):
    pool = candidates(200)
    predicted = dict(pool)
    chosen = set(strategy.query(pool, size=30, seed=5))
    cut = selection_cut([predicted[identity] for identity in chosen], strategy.name)
    assert cut == strategy.selection_cut([predicted[identity] for identity in chosen])
    rule = PoolRule(strategy=strategy.name, selection_cut=cut)
    scores = {identity: strategy.informativeness(prediction) for identity, prediction in pool}
    if cut is None:
        assert all(score is None for score in scores.values()), "a strategy that scores records has a cut"
        assert not any(rule.removes(prediction) for _, prediction in pool), "no cut removes nothing"
        return
    assert all(rule.removes(predicted[identity]) for identity in chosen), "every pick is taken out of the pool"
    for identity, prediction in pool:
        assert rule.removes(prediction) == (scores[identity] >= cut)
        if identity not in chosen:
            assert scores[identity] <= cut, "a record scoring above the cut would have been picked"
    assert isinstance(strategy.readable_cut(cut), str) and report.readable_cut(cut, strategy.name)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda strategy: strategy.name)
def test_a_registered_strategy_is_a_valid_setting_a_choice_of_every_script_and_a_benchmark_configuration(strategy):
    assert validate_active_learning_config({"QueryStrategy": strategy.name})["QueryStrategy"] == strategy.name
    arguments = prepare.build_parser().parse_args(["--output-dir", "x", "--strategy", strategy.name])
    assert config_keys.option_values(arguments, config_keys.PREPARE)["QueryStrategy"] == strategy.name
    arguments = run_local.parse_arguments(["--workdir", "w", "--strategy", strategy.name])
    assert config_keys.option_values(arguments, config_keys.RUN_LOCAL) == {"QueryStrategy": strategy.name}
    benchmarked = {
        configuration.options["--strategy"]
        for configuration in configurations.comparison_configurations(records=1000, seeds=1)
    }
    assert strategy.name in benchmarked
    assert f"`{strategy.name}`: {strategy.description}" in config_keys.markdown_table()
    assert strategy.description in report.report_html({"query_strategy": strategy.name})


def test_an_unregistered_strategy_is_refused_naming_the_known_ones():
    with pytest.raises(InputError, match=r"'ActiveLearningConfig.QueryStrategy' must be one of \['margin'"):
        validate_active_learning_config({"QueryStrategy": "coreset"})
    with pytest.raises(ValueError, match="no query strategy 'coreset'"):
        select_for_humans(candidates(3), strategy="coreset", size=1, seed=0)


# --- workforces ---------------------------------------------------------------------------------------------------


def minimal_request(workforce: workforces.Workforce) -> dict:
    """The fewest fields a request with this workforce needs."""
    request: dict = {
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://bucket/inputs/input.manifest"}}},
        "OutputConfig": {"S3OutputPath": "s3://bucket/output/"},
        "LabelCategoryConfigS3Uri": "s3://bucket/inputs/class_labels.json",
        "LabelingJobNamePrefix": "news",
        "LabelAttributeName": "category",
        "ActiveLearningConfig": {"Workforce": workforce.name},
    }
    if workforce.requires_answer_key:
        request["ActiveLearningConfig"]["AnswerKeyS3Uri"] = "s3://bucket/inputs/answers.manifest"
    for field in workforce.required_fields:
        *parents, last = field.split(".")
        node = request
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = "value"
    return request


def without(request: dict, field: str) -> dict:
    copied = json.loads(json.dumps(request))
    *parents, last = field.split(".")
    node = copied
    for part in parents:
        node = node[part]
    del node[last]
    return copied


def workforce_branches() -> dict[str, str]:
    """Workforce name -> the state the loop definition's Choice on ``$.config.Workforce`` sends it to."""
    states = json.loads(LOOP_DEFINITION.read_text(encoding="utf-8"))["States"]
    branches = {}
    for state in states.values():
        for choice in state.get("Choices", []) if state["Type"] == "Choice" else []:
            if choice.get("Variable") == "$.config.Workforce" and "StringEquals" in choice:
                branches[choice["StringEquals"]] = choice["Next"]
    return branches


@pytest.mark.parametrize("workforce", WORKFORCES, ids=lambda workforce: workforce.name)
def test_validation_accepts_a_minimal_request_for_each_workforce_and_refuses_one_missing_what_it_needs(workforce):
    request = minimal_request(workforce)
    assert validate_request(request)["Workforce"] == workforce.name
    for field in workforce.required_fields:
        with pytest.raises(InputError, match=f"missing '{field}'"):
            validate_request(without(request, field))
    if workforce.requires_answer_key:
        with pytest.raises(InputError, match=f"AnswerKeyS3Uri' is required with Workforce '{workforce.name}'"):
            validate_request(without(request, "ActiveLearningConfig.AnswerKeyS3Uri"))


@pytest.mark.parametrize("workforce", WORKFORCES, ids=lambda workforce: workforce.name)
def test_every_workforce_has_its_branch_in_the_loop_definition(workforce):
    states = json.loads(LOOP_DEFINITION.read_text(encoding="utf-8"))["States"]
    assert workforce_branches().get(workforce.name) == workforce.state
    labeling = states[workforce.state]
    assert labeling["Type"] == "Task" and labeling["Next"] == "MergeHumanLabels"


def test_the_loop_definition_branches_only_on_registered_workforces():
    assert set(workforce_branches()) == set(workforces.NAMES)


@pytest.mark.parametrize("workforce", WORKFORCES, ids=lambda workforce: workforce.name)
def test_every_workforce_is_a_choice_of_prepare_and_in_the_docs(workforce):
    assert prepare.build_parser().parse_args(["--output-dir", "x", "--workforce", workforce.name]).workforce
    assert f"`{workforce.name}`: {workforce.description}" in config_keys.markdown_table()


# --- configuration keys -------------------------------------------------------------------------------------------


def outside(key: config_keys.ConfigKey) -> object:
    """A value the key must refuse."""
    if key.kind == "number" or key.kind == "integer":
        return key.high + 1 if math.isfinite(key.high) else key.low - 1
    return {
        "choice": "no-such-choice",
        "boolean": "yes",
        "s3_uri": "https://bucket/key",
        "custom": ["not", "an", "accepted", "value"],
    }[key.kind]


CUSTOM_FLAG_EXAMPLES = {
    "HyperParameters": (["--hyperparameter", "epochs=3", "--hyperparameter", "model=keras-scratch"],
                        {"epochs": "3", "model": "keras-scratch"}),
    "PrecomputeEmbeddings": (["--precompute-embeddings", "false"], False),
}
"""Command-line words and the value they give, for keys whose flag has a parser of its own."""


def flag_example(key: config_keys.ConfigKey) -> tuple[list[str], object]:
    """Command-line words setting ``key`` to an accepted value other than its default, and that value."""
    if key.kind == "custom" or key.repeated:
        return CUSTOM_FLAG_EXAMPLES[key.name]
    if key.kind == "choice":
        value = next(choice for choice in reversed(key.choices) if choice != key.default)
        return [key.flag, value], value
    if key.kind == "boolean":
        return ([key.flag], True) if not key.default else ([f"--no-{key.flag.removeprefix('--')}"], False)
    high = key.high if math.isfinite(key.high) else key.low + 10
    if key.kind == "integer":
        value = int(key.low) + 1 if int(key.low) + 1 <= high else int(key.low)
        return [key.flag, str(value)], value
    value = (key.low + high) / 2
    return [key.flag, repr(value)], value


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key.name)
def test_a_key_default_passes_validation(key):
    config = validate_active_learning_config({key.name: key.default})
    assert config[key.name] == key.default
    assert validate_active_learning_config(None)[key.name] == key.default


@pytest.mark.parametrize("key", KEYS, ids=lambda key: key.name)
def test_a_value_outside_a_key_range_is_refused_naming_the_key(key):
    with pytest.raises(InputError, match=f"'ActiveLearningConfig.{key.name}"):
        validate_active_learning_config({"AnswerKeyS3Uri": "s3://bucket/answers.manifest", key.name: outside(key)})


@pytest.mark.parametrize("key", [key for key in KEYS if key.kind in ("number", "integer")], ids=lambda key: key.name)
def test_a_numeric_key_takes_its_closed_ends_and_refuses_its_open_end(key):
    if key.low_open:
        with pytest.raises(InputError, match=f"'ActiveLearningConfig.{key.name}' must be in \\("):
            validate_active_learning_config({key.name: key.low})
    else:
        validate_active_learning_config({key.name: key.low})
    if math.isfinite(key.high):
        validate_active_learning_config({key.name: key.high})
    if key.kind == "integer":
        with pytest.raises(InputError, match=f"'ActiveLearningConfig.{key.name}' must be an integer"):
            validate_active_learning_config({key.name: key.low + 0.5})


@pytest.mark.parametrize("key", [key for key in KEYS if key.flag], ids=lambda key: key.name)
def test_a_key_flag_parses_to_the_key_in_every_script_that_offers_it(key):
    words, value = flag_example(key)
    assert key.scripts, f"{key.name} has a flag but no script offers it"
    validate_active_learning_config({"AnswerKeyS3Uri": "s3://bucket/answers.manifest", key.name: value})
    if config_keys.PREPARE in key.scripts:
        arguments = prepare.build_parser().parse_args(["--output-dir", "x", *words])
        assert config_keys.option_values(arguments, config_keys.PREPARE)[key.name] == value
        assert prepare.ACTIVE_LEARNING_OPTIONS[key.flag] == key.name
    if config_keys.RUN_LOCAL in key.scripts:
        arguments = run_local.parse_arguments(["--workdir", "w", *words])
        assert config_keys.option_values(arguments, config_keys.RUN_LOCAL) == {key.name: value}


def test_an_unset_flag_leaves_the_request_default():
    assert config_keys.option_values(run_local.parse_arguments(["--workdir", "w"]), config_keys.RUN_LOCAL) == {}
    arguments = prepare.build_parser().parse_args(["--output-dir", "x"])
    # prepare's --seed seeds its own sampling too, so it always has a value
    assert config_keys.option_values(arguments, config_keys.PREPARE) == {"Seed": prepare.DEFAULT_SEED}


def test_the_docs_table_is_the_one_the_registry_generates():
    docs = config_table.DOCS.read_text(encoding="utf-8")
    assert config_table.with_table(docs) == docs, "run python -m scripts.config_table --write"
    for key in KEYS:
        assert f"| `{key.name}` |" in docs


def test_an_answer_key_that_is_not_an_s3_uri_is_refused_with_every_workforce():
    """Deliberate: before the registry, only Workforce Simulated checked AnswerKeyS3Uri, so a bad URI with another
    workforce passed validation and failed when the answer key was read."""
    for workforce in workforces.NAMES:
        with pytest.raises(InputError, match="'ActiveLearningConfig.AnswerKeyS3Uri' must be an s3://bucket/key URI"):
            validate_active_learning_config({"Workforce": workforce, "AnswerKeyS3Uri": "answers.manifest"})
