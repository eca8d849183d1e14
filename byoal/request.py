"""The execution input: a CreateLabelingJob-shaped request plus the optional ``ActiveLearningConfig``.

:func:`validate_request` checks every field the workflow reads and returns the normalized
configuration, with each default filled in. Its errors name the field, so a bad request fails
before any job starts.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

from byoal import embeddings, hyperparameters
from byoal.errors import InputError

STRATEGIES = ("margin", "least_confidence", "entropy", "random")
WORKFORCES = ("GroundTruth", "Callback", "Simulated")

# SageMaker job names are at most 63 characters; the workflow appends "-<8 hex>-r<NNN>-<step>".
MAX_PREFIX_LENGTH = 36
_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_ATTRIBUTE_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
RESERVED_ATTRIBUTES = ("source", "source-ref", "byoal-id", "byoal-calibration", "byoal-position", "byoal-embedding")
# The loop's state keeps one entry per round (counts.rounds) and Step Functions holds every state to 256 KiB.
# Measured (tests/local_runner/test_ground_truth_offline.py): ~21 KB of state and ~1.5 KB per round with a
# 1,024-character S3OutputPath (SageMaker's maximum), so about 160 rounds fit; 100 leaves room.
MAX_ROUNDS = 100

DEFAULTS: dict[str, Any] = {
    "QueryStrategy": "margin",
    "TargetAccuracy": 0.95,
    "HumanBatchSize": None,
    "HumanBatchShare": 0.05,
    "SeedShare": 0.1,
    "ValidationShare": 0.3,
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
    "PrecomputeEmbeddings": "auto",
}
"""ActiveLearningConfig keys and their defaults (documented in docs/execution-input.md)."""


OBJECT_FIELDS = (
    "InputConfig",
    "InputConfig.DataSource",
    "InputConfig.DataSource.S3DataSource",
    "InputConfig.DataAttributes",
    "OutputConfig",
    "HumanTaskConfig",
    "HumanTaskConfig.UiConfig",
    "HumanTaskConfig.AnnotationConsolidationConfig",
    "HumanTaskConfig.PublicWorkforceTaskPrice",
    "StoppingConditions",
    "ActiveLearningConfig",
    "ActiveLearningConfig.HyperParameters",
)
"""Request fields that, when present, must be JSON objects (CreateLabelingJob's structures)."""


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _get(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(value, dict):
            parent = ".".join(parts[:depth])
            raise InputError(f"'{parent}' must be a JSON object (holding '{part}'), got {_type_name(value)}")
        if part not in value:
            raise InputError(f"the execution input is missing '{path}'")
        value = value[part]
    return value


def _check_object_fields(request: dict[str, Any]) -> None:
    for path in OBJECT_FIELDS:
        value: Any = request
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            raise InputError(f"'{path}' must be a JSON object, got {_type_name(value)} {json.dumps(value)[:60]}")


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
    if isinstance(value, bool) or not kind_ok or (isinstance(value, float) and not math.isfinite(value)):
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
    """The ActiveLearningConfig with defaults filled in; InputError naming the first bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(f"'ActiveLearningConfig' must be a JSON object, got {_type_name(raw)} {json.dumps(raw)[:60]}")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(DEFAULTS), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise InputError(f"'ActiveLearningConfig' has unknown keys {unknown}{hint}; known: {sorted(DEFAULTS)}")
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
    _number(config, "MaxRounds", low=0, high=MAX_ROUNDS, low_open=False, integer=True)
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
    config["HyperParameters"] = hyperparameters.encode(config["HyperParameters"])
    embeddings.check_setting(config["PrecomputeEmbeddings"])
    if config["Workforce"] == "Simulated":
        if config["AnswerKeyS3Uri"] is None:
            raise InputError("'ActiveLearningConfig.AnswerKeyS3Uri' is required with Workforce 'Simulated'")
        _s3_uri(config, "AnswerKeyS3Uri")
    return config


def parse_request(data: bytes, *, where: str) -> dict[str, Any]:
    """A request file's JSON object (a UTF-8 byte-order mark tolerated), its object-valued fields checked, so
    that code filling in options meets no list where it expects an object. InputError naming ``where``."""
    try:
        request = json.loads(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as error:
        raise InputError(f"{where}: not UTF-8 text ({error})") from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise InputError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(request, dict):
        raise InputError(f"{where}: the execution input must be a JSON object, got {_type_name(request)}")
    try:
        _check_object_fields(request)
    except InputError as error:
        raise InputError(f"{where}: {error}") from None
    return request


def validate_request(request: Any, *, hyperparameter_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check the execution input; return the normalized run configuration (defaults filled in).

    ``hyperparameter_schema`` is what the model declares it accepts (:mod:`byoal.hyperparameters`);
    None passes the hyperparameters through unchecked, apart from those the workflow sets itself.
    """
    if not isinstance(request, dict):
        raise InputError(f"the execution input must be a JSON object, got {_type_name(request)}")
    if "LabelingJobNamePrefix" not in request and "LabelingJobName" in request:
        raise InputError(
            "the execution input has 'LabelingJobName'; the workflow starts many jobs and names them from "
            "'LabelingJobNamePrefix' (at most 36 characters): rename the field"
        )
    _check_object_fields(request)
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
    hyperparameters.check(config["HyperParameters"], hyperparameter_schema)
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
