"""The execution input: a CreateLabelingJob-shaped request plus the optional ``ActiveLearningConfig``.

:func:`validate_request` checks every field the workflow reads and returns the normalized
configuration, with each default filled in. Its errors name the field, so a bad request fails
before any job starts.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from byoal import config_keys, hyperparameters, workforces
from byoal.errors import InputError

# SageMaker job names are at most 63 characters; the workflow appends "-<8 hex>-r<NNN>-<step>".
MAX_PREFIX_LENGTH = 36
_JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
_ATTRIBUTE_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
RESERVED_ATTRIBUTES = ("source", "source-ref", "byoal-id", "byoal-calibration", "byoal-position", "byoal-embedding")
MAX_ROUNDS = config_keys.MAX_ROUNDS

DEFAULTS: dict[str, Any] = config_keys.DEFAULTS
"""ActiveLearningConfig keys and their defaults (:mod:`byoal.config_keys`; documented in docs/execution-input.md)."""


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
    if not isinstance(value, str) or not config_keys.S3_URI.match(value):
        raise InputError(f"'{path}' must be an s3://bucket/key URI, got {value!r}")
    if folder and not value.endswith("/"):
        raise InputError(f"'{path}' must end with '/' (it names a folder), got {value!r}")
    return value


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
    for key in config_keys.KEYS:
        config[key.name] = key.check(config[key.name])
    workforce = workforces.get(config["Workforce"])
    if workforce.requires_answer_key and config["AnswerKeyS3Uri"] is None:
        raise InputError(f"'ActiveLearningConfig.AnswerKeyS3Uri' is required with Workforce '{workforce.name}'")
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
    for field in workforces.get(config["Workforce"]).required_fields:
        _get(request, field)
    config.update(
        InputManifestS3Uri=manifest_uri,
        S3OutputPath=output_path,
        LabelCategoryConfigS3Uri=label_categories_uri,
        LabelingJobNamePrefix=prefix,
        LabelAttributeName=attribute,
    )
    return config
