"""The two state-machine definitions: valid, fully wired, every task retried, and safe to redrive."""

from __future__ import annotations

import importlib

import pytest

from asl_interpreter import ResourceRegistry, StateMachine
from local_runner.runner import SUBSTITUTIONS
from statemachines import (
    ACTIVE_LEARNING,
    ACTIVE_LEARNING_LOOP,
    FUNCTIONS,
    INTEGRATION_PREFIX,
    OTHER_PLACEHOLDERS,
    STANDALONE_FUNCTIONS,
    load_definition,
    placeholders,
    render_definition,
)

DEFINITIONS = [ACTIVE_LEARNING_LOOP, ACTIVE_LEARNING]


def tasks(definition):
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda path: path.name)
def test_every_task_retries_transient_errors_and_stops_the_execution_where_it_failed(path):
    # A Catch into a Fail state would make a redrive restart at the Fail state (the state with no
    # Exited event) and fail again; an uncaught error leaves the failed task as the redrive point.
    definition = load_definition(path, SUBSTITUTIONS)
    for name, state in tasks(definition).items():
        assert state["Retry"] and all("States.ALL" not in retry["ErrorEquals"] for retry in state["Retry"]), name
        assert "Catch" not in state, name


def test_a_redriven_loop_starts_its_round_under_a_new_name_with_new_job_names():
    loop = load_definition(ACTIVE_LEARNING_LOOP, SUBSTITUTIONS)["States"]["RunActiveLearningRound"]["Parameters"]
    assert "$$.Execution.RedriveCount" in loop["Name.$"]
    assert loop["Input"]["attempt.$"] == "$$.Execution.RedriveCount"
    round_states = load_definition(ACTIVE_LEARNING, SUBSTITUTIONS)["States"]
    for name in ("PrepareTrainingChannels", "PrepareTransformInput"):
        assert round_states[name]["Parameters"]["attempt.$"] == "$.attempt"


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda path: path.name)
def test_the_interpreter_accepts_the_definition(path):
    StateMachine(load_definition(path, SUBSTITUTIONS), name=path.stem, resources=ResourceRegistry())


def test_placeholders_are_exactly_the_functions_and_settings_cdk_and_the_runner_fill():
    used = placeholders(ACTIVE_LEARNING_LOOP) | placeholders(ACTIVE_LEARNING)
    assert used == set(FUNCTIONS) | set(OTHER_PLACEHOLDERS)
    for module in {**FUNCTIONS, **STANDALONE_FUNCTIONS}.values():
        assert callable(importlib.import_module(f"lambdas.{module}").handler)
    with pytest.raises(KeyError, match="no value for placeholders"):
        load_definition(ACTIVE_LEARNING, {})


def test_human_labeling_is_a_choice_over_the_three_workforces():
    loop = render_definition(ACTIVE_LEARNING_LOOP)
    choices = {rule["StringEquals"]: rule["Next"] for rule in loop["States"]["ChooseWorkforce"]["Choices"]}
    assert choices == {
        "GroundTruth": "LabelWithGroundTruth",
        "Callback": "LabelWithCallback",
        "Simulated": "LabelWithSimulatedWorkforce",
    }
    assert loop["States"]["LabelWithGroundTruth"]["Resource"] == INTEGRATION_PREFIX + "sagemaker:createLabelingJob.sync"
    assert loop["States"]["LabelWithCallback"]["Resource"] == INTEGRATION_PREFIX + "lambda:invoke.waitForTaskToken"


def test_the_records_are_embedded_once_before_the_rounds_when_the_config_says_so():
    states = render_definition(ACTIVE_LEARNING_LOOP)["States"]
    assert states["AssignIds"]["Next"] == "ChooseEmbeddingStep"
    choice = states["ChooseEmbeddingStep"]
    assert choice["Choices"] == [
        {"Variable": "$.config.PrecomputeEmbeddings", "BooleanEquals": True, "Next": "PrepareEmbeddingInput"}
    ]
    assert choice["Default"] == "CountRecords"
    chain = ["PrepareEmbeddingInput", "CreateEmbeddingModel", "EmbedRecords", "CountRecords"]
    assert [states[name]["Next"] for name in chain[:-1]] == chain[1:]
    assert states["PrepareEmbeddingInput"]["Resource"] == "${PrepareEmbeddingInputFunctionArn}"
    assert states["PrepareEmbeddingInput"]["Parameters"]["attempt.$"] == "$$.Execution.RedriveCount"


def test_the_embed_model_is_the_inference_image_in_embed_mode_without_model_data():
    states = render_definition(ACTIVE_LEARNING_LOOP)["States"]
    model = states["CreateEmbeddingModel"]
    assert model["Resource"] == INTEGRATION_PREFIX + "sagemaker:createModel"
    container = model["Parameters"]["PrimaryContainer"]
    assert container["Image"] == "${InferenceImage}" and "ModelDataUrl" not in container
    assert container["Environment"]["BYOAL_SERVE_MODE"] == "embed"
    assert container["Environment"]["BYOAL_ENCODER_PATH.$"] == "$.embeddings.encoder_path"
    assert model["Parameters"]["ExecutionRoleArn"] == "${SageMakerRoleArn}"
    assert model["Parameters"]["ModelName.$"] == "$.embeddings.model_name"
    assert model["Retry"] == render_definition(ACTIVE_LEARNING)["States"]["CreateModel"]["Retry"]


def test_the_embed_transform_covers_every_record_under_a_new_name_per_redrive():
    states = render_definition(ACTIVE_LEARNING_LOOP)["States"]
    predict = render_definition(ACTIVE_LEARNING)["States"]["PredictRecords"]
    embed = states["EmbedRecords"]
    parameters = embed["Parameters"]
    assert embed["Resource"] == INTEGRATION_PREFIX + "sagemaker:createTransformJob.sync"
    assert "$$.Execution.RedriveCount" in parameters["TransformJobName.$"]
    assert parameters["ModelName.$"] == "$.embeddings.model_name"
    assert parameters["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri.$"] == "$.embeddings.input_prefix"
    assert parameters["TransformOutput"]["S3OutputPath.$"] == "$.embeddings.output_prefix"
    assert parameters["DataProcessing"] == predict["Parameters"]["DataProcessing"]
    assert parameters["TransformResources"]["InstanceType"] == "${TransformInstanceType}"
    assert embed["ResultPath"] is None and embed["Retry"] == predict["Retry"]


def test_every_stage_the_offline_console_announces_is_a_task_of_the_definitions():
    from scripts.run_local import STAGES

    names = set(tasks(load_definition(ACTIVE_LEARNING_LOOP, SUBSTITUTIONS))) | set(
        tasks(load_definition(ACTIVE_LEARNING, SUBSTITUTIONS))
    )
    assert set(STAGES) <= names, f"stages of no task state: {sorted(set(STAGES) - names)}"
