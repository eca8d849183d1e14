"""The execution input: a CreateLabelingJob-shaped request plus the optional ``ActiveLearningConfig``.

:func:`validate_request` checks every field the workflow reads and returns the normalized
configuration, with each default filled in. Its errors name the field, so a bad request fails
before any job starts.
"""

from __future__ import annotations

import re
from typing import Any

from byoal.errors import InputError

STRATEGIES = ("margin", "least_confidence", "entropy", "random")
WORKFORCES = ("GroundTruth", "Callback", "Simulated")

# SageMaker job names are at most 63 characters; the workflow appends "-<8 hex>-r<NNN>-<step>".
MAX_PREFIX_LENGTH = 36
_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_ATTRIBUTE_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
RESERVED_ATTRIBUTES = ("source", "byoal-id", "byoal-calibration")

DEFAULTS: dict[str, Any] = {
    "QueryStrategy": "margin",
    "TargetAccuracy": 0.95,
    "HumanBatchSize": None,
    "HumanBatchShare": 0.05,
    "SeedShare": 0.1,
    "ValidationShare": 0.2,
    "MinValidationRecords": None,
    "CalibrationShare": 0.2,
    "InputLabelsAreRandomSample": False,
    "RiskTolerance": 0.1,
    "MaxHumanLabels": None,
    "MaxHumanShare": 1.0,
    "MaxRounds": 10,
    "Workforce": "GroundTruth",
    "AnswerKeyS3Uri": None,
    "AnnotatorErrorRate": 0.0,
    "Seed": 0,
    "HyperParameters": {},
    "CallbackTimeoutSeconds": 7 * 24 * 3600,
    "FixedMarginThreshold": None,
}
"""ActiveLearningConfig keys and their defaults (documented in docs/execution-input.md)."""


def _get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise InputError(f"the execution input is missing '{path}'")
        value = value[part]
    return value


def _s3_uri(document: dict[str, Any], path: str, *, folder: bool = False) -> str:
    value = _get(document, path)
    if not isinstance(value, str) or not re.match(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/", value):
        raise InputError(f"'{path}' must be an s3://bucket/key URI, got {value!r}")
    if folder and not value.endswith("/"):
        raise InputError(f"'{path}' must end with '/' (it names a folder), got {value!r}")
    return value


def _number(config: dict[str, Any], key: str, *, low: float, high: float, low_open: bool, integer: bool = False) -> Any:
    value = config[key]
    kind_ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not kind_ok:
        kind = "an integer" if integer else "a number"
        raise InputError(f"'ActiveLearningConfig.{key}' must be {kind}, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise InputError(f"'ActiveLearningConfig.{key}' must be in {bracket}{low}, {high}], got {value!r}")
    return value


def _optional_count(config: dict[str, Any], key: str) -> None:
    if config[key] is not None:
        _number(config, key, low=1, high=float("inf"), low_open=False, integer=True)


def validate_active_learning_config(raw: Any) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"'ActiveLearningConfig' must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise InputError(f"'ActiveLearningConfig' has unknown keys {unknown}; known: {sorted(DEFAULTS)}")
    config = {**DEFAULTS, **raw}
    if config["QueryStrategy"] not in STRATEGIES:
        raise InputError(
            f"'ActiveLearningConfig.QueryStrategy' must be one of {list(STRATEGIES)}, got {config['QueryStrategy']!r}"
        )
    if config["Workforce"] not in WORKFORCES:
        raise InputError(f"'ActiveLearningConfig.Workforce' must be one of {list(WORKFORCES)}, got {config['Workforce']!r}")
    _number(config, "TargetAccuracy", low=0, high=1, low_open=True)
    _number(config, "HumanBatchShare", low=0, high=1, low_open=True)
    _number(config, "SeedShare", low=0, high=1, low_open=False)
    _number(config, "ValidationShare", low=0, high=0.9, low_open=True)
    _number(config, "MaxHumanShare", low=0, high=1, low_open=False)
    _number(config, "AnnotatorErrorRate", low=0, high=1, low_open=False)
    _number(config, "MaxRounds", low=0, high=1000, low_open=False, integer=True)
    _optional_count(config, "MinValidationRecords")
    _number(config, "CalibrationShare", low=0, high=0.9, low_open=True)
    _number(config, "RiskTolerance", low=0, high=0.5, low_open=True)
    if not isinstance(config["InputLabelsAreRandomSample"], bool):
        raise InputError(
            "'ActiveLearningConfig.InputLabelsAreRandomSample' must be true or false, "
            f"got {config['InputLabelsAreRandomSample']!r}"
        )
    _number(config, "Seed", low=0, high=2**31 - 1, low_open=False, integer=True)
    _number(config, "CallbackTimeoutSeconds", low=60, high=365 * 24 * 3600, low_open=False, integer=True)
    if config["FixedMarginThreshold"] is not None:
        _number(config, "FixedMarginThreshold", low=0, high=1, low_open=False)
    _optional_count(config, "HumanBatchSize")
    _optional_count(config, "MaxHumanLabels")
    hyperparameters = config["HyperParameters"]
    if not isinstance(hyperparameters, dict) or not all(isinstance(key, str) for key in hyperparameters):
        raise InputError("'ActiveLearningConfig.HyperParameters' must be an object of name -> value")
    config["HyperParameters"] = {key: str(value) for key, value in hyperparameters.items()}
    if config["Workforce"] == "Simulated":
        if config["AnswerKeyS3Uri"] is None:
            raise InputError("'ActiveLearningConfig.AnswerKeyS3Uri' is required with Workforce 'Simulated'")
        _s3_uri(config, "AnswerKeyS3Uri")
    return config


def validate_request(request: Any) -> dict[str, Any]:
    """Check the execution input; return the normalized run configuration (defaults filled in)."""
    if not isinstance(request, dict):
        raise InputError(f"the execution input must be a JSON object, got {type(request).__name__}")
    manifest_uri = _s3_uri(request, "InputConfig.DataSource.S3DataSource.ManifestS3Uri")
    output_path = _s3_uri(request, "OutputConfig.S3OutputPath", folder=True)
    label_categories_uri = _s3_uri(request, "LabelCategoryConfigS3Uri")

    prefix = _get(request, "LabelingJobNamePrefix")
    if not isinstance(prefix, str) or not _JOB_NAME_PATTERN.match(prefix) or len(prefix) > MAX_PREFIX_LENGTH:
        raise InputError(
            f"'LabelingJobNamePrefix' must be 1-{MAX_PREFIX_LENGTH} letters, digits or inner hyphens, got {prefix!r}"
        )
    attribute = _get(request, "LabelAttributeName")
    if (
        not isinstance(attribute, str)
        or not _ATTRIBUTE_PATTERN.match(attribute)
        or len(attribute) > 127
        or attribute.endswith("-metadata")
        or attribute in RESERVED_ATTRIBUTES
    ):
        raise InputError(
            "'LabelAttributeName' must be letters, digits or inner hyphens, not end in '-metadata' and not be one of "
            f"{list(RESERVED_ATTRIBUTES)}; got {attribute!r}"
        )

    config = validate_active_learning_config(request.get("ActiveLearningConfig"))
    if config["Workforce"] == "GroundTruth":
        for field in (
            "RoleArn",
            "HumanTaskConfig.WorkteamArn",
            "HumanTaskConfig.UiConfig.UiTemplateS3Uri",
            "HumanTaskConfig.PreHumanTaskLambdaArn",
            "HumanTaskConfig.AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn",
            "HumanTaskConfig.TaskTitle",
            "HumanTaskConfig.TaskDescription",
            "HumanTaskConfig.NumberOfHumanWorkersPerDataObject",
            "HumanTaskConfig.TaskTimeLimitInSeconds",
        ):
            _get(request, field)
    config.update(
        InputManifestS3Uri=manifest_uri,
        S3OutputPath=output_path,
        LabelCategoryConfigS3Uri=label_categories_uri,
        LabelingJobNamePrefix=prefix,
        LabelAttributeName=attribute,
    )
    return config
