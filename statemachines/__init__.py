"""The two state-machine definitions (Amazon States Language), their retry policies, and what their placeholders
stand for.

The ``*.asl.json`` files are ASL with one abbreviation: a state's ``"Retry"`` may name a policy of
``retry_policies.json`` (``"Retry": "TransientLambdaErrors"``) instead of spelling out its retriers; a list
is taken as it is. ``render_definition`` expands the names, and CDK and the offline runner both read the
files through it:

- CDK deploys ``render_definition_text(path)`` with ``definition_substitutions``, and CloudFormation fills
  the ``${...}`` placeholders at deploy time;
- the offline runner calls ``load_definition(path, substitutions)``: the rendered definition with local values.

The policies (each a list of ASL retriers; exponential backoff, factor 2, full jitter):

- ``TransientLambdaErrors`` (first after 2 s, at most 6 retries): the Lambda service's transient errors, as
  AWS recommends retrying them (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html),
  and Lambda's concurrency limit (``Lambda.TooManyRequestsException``); a handler's own errors are not retried;
- ``TransientSageMakerErrors`` (first after 30 s, at most 5 retries): SageMaker API errors, quota limits and throttling;
- ``TransientStepFunctionsErrors`` (first after 5 s, at most 5 retries): starting a round execution at the account's
  execution limit, and Step Functions API errors.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).parent
ACTIVE_LEARNING_LOOP = DEFINITIONS_DIR / "active_learning_loop.asl.json"
ACTIVE_LEARNING = DEFINITIONS_DIR / "active_learning.asl.json"
RETRY_POLICIES = DEFINITIONS_DIR / "retry_policies.json"

FUNCTIONS: dict[str, str] = {
    "ValidateInputFunctionArn": "validate_input",
    "AssignIdsFunctionArn": "assign_ids",
    "PrepareEmbeddingInputFunctionArn": "prepare_embedding_input",
    "CountRecordsFunctionArn": "count_records",
    "SelectSeedBatchFunctionArn": "select_seed_batch",
    "PrepareHumanBatchFunctionArn": "prepare_human_batch",
    "SimulatedWorkforceFunctionArn": "simulated_workforce",
    "CallbackBatchFunctionArn": "callback_batch",
    "MergeLabelsFunctionArn": "merge_labels",
    "ExportManifestFunctionArn": "export_manifest",
    "HoldOutCalibrationFunctionArn": "hold_out_calibration",
    "PrepareTrainingFunctionArn": "prepare_training",
    "PrepareTransformInputFunctionArn": "prepare_transform_input",
    "ActiveLearningFunctionArn": "active_learning",
}
"""Definition placeholder -> handler module in ``lambdas/`` that the function runs."""

STANDALONE_FUNCTIONS: dict[str, str] = {"CallbackResumeFunction": "callback_resume"}
"""Functions no state calls directly: the Callback workforce's resume path."""

OTHER_PLACEHOLDERS = (
    "ActiveLearningStateMachineArn",
    "SageMakerRoleArn",
    "TrainingImage",
    "InferenceImage",
    "ModelAlgorithm",
    "TrainingInstanceType",
    "TransformInstanceType",
    "Partition",
)

INTEGRATION_PREFIX = "arn:${Partition}:states:::"
"""How a Task state names a service integration: CDK fills in the stack's partition (``aws``, ``aws-cn``,
``aws-us-gov``), the offline runner ``aws``."""

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def retry_policies() -> dict[str, list[dict[str, Any]]]:
    """Policy name -> its list of ASL retriers, from ``retry_policies.json``."""
    return json.loads(RETRY_POLICIES.read_text(encoding="utf-8"))


def render_definition(path: Path) -> dict[str, Any]:
    """The definition in ``path`` with every named retry policy expanded, in the state where it is named;
    ``${...}`` placeholders are left in place. Raises ValueError naming the file and state for an unknown policy.
    """
    definition = json.loads(path.read_text(encoding="utf-8"))
    policies = retry_policies()
    for name, state in all_states(definition):
        retry = state.get("Retry")
        if isinstance(retry, str):
            if retry not in policies:
                raise ValueError(
                    f"{path.name}: state {name!r} names the retry policy {retry!r}, which "
                    f"{RETRY_POLICIES.name} does not define (it defines {sorted(policies)})"
                )
            state["Retry"] = copy.deepcopy(policies[retry])
    return definition


def render_definition_text(path: Path) -> str:
    """``render_definition(path)`` as the JSON text CDK deploys: two-space indents, one trailing newline."""
    return json.dumps(render_definition(path), indent=2, ensure_ascii=False) + "\n"


def placeholders(path: Path) -> set[str]:
    """The names of the ``${Name}`` placeholders the rendered definition uses."""
    return set(_PLACEHOLDER.findall(render_definition_text(path)))


def load_definition(path: Path, substitutions: dict[str, str]) -> dict[str, Any]:
    """The rendered definition with every ``${Name}`` replaced; a placeholder without a value is a KeyError."""
    text = render_definition_text(path)
    missing = set(_PLACEHOLDER.findall(text)) - set(substitutions)
    if missing:
        raise KeyError(f"{path.name}: no value for placeholders {sorted(missing)}")
    return json.loads(_PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text))


def all_states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) for every state, including those in Parallel branches and Map item processors."""
    for name, state in machine["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from all_states(state[key])
