"""The two state-machine definitions (Amazon States Language) and what their placeholders stand for.

CDK deploys these files with ``definition_substitutions``; the offline runner reads the same files
and substitutes local values. ``${...}`` placeholders are filled in by both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).parent
ACTIVE_LEARNING_LOOP = DEFINITIONS_DIR / "active_learning_loop.asl.json"
ACTIVE_LEARNING = DEFINITIONS_DIR / "active_learning.asl.json"

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
    "SelectValidationFunctionArn": "select_validation",
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


def placeholders(path: Path) -> set[str]:
    return set(_PLACEHOLDER.findall(path.read_text(encoding="utf-8")))


def load_definition(path: Path, substitutions: dict[str, str]) -> dict[str, Any]:
    """The definition with every ``${Name}`` replaced; a placeholder without a value is an error."""
    text = path.read_text(encoding="utf-8")
    missing = placeholders(path) - set(substitutions)
    if missing:
        raise KeyError(f"{path.name}: no value for placeholders {sorted(missing)}")
    return json.loads(_PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text))
