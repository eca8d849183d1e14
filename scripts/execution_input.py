"""The execution input (docs/execution-input.md): the CreateLabelingJob-shaped request plus ``ActiveLearningConfig``.

It names its input files by URI; :data:`INPUT_FILES` says which request field holds which file of
a prepared folder, so the same folder can be uploaded to any bucket (``scripts.start``) or placed
in the offline runner's stand-in bucket.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from byoal.errors import InputError
from byoal.storage import split_uri

INPUT_MANIFEST = "input.manifest"
LABEL_CATEGORIES = "class_labels.json"
UI_TEMPLATE = "instructions.template"
ANSWER_KEY = "answers.manifest"
INPUT_FILES = {
    "InputConfig.DataSource.S3DataSource.ManifestS3Uri": INPUT_MANIFEST,
    "LabelCategoryConfigS3Uri": LABEL_CATEGORIES,
    "HumanTaskConfig.UiConfig.UiTemplateS3Uri": UI_TEMPLATE,
    "ActiveLearningConfig.AnswerKeyS3Uri": ANSWER_KEY,
}
"""Request field (dotted path) -> the name of the file it points at in a prepared folder."""

OUTPUT_PATH_FIELD = "OutputConfig.S3OutputPath"
OUTPUT_FOLDER = "output/"
PLACEHOLDER_ROLE_ARN = "arn:aws:iam::000000000000:role/placeholder-replaced-by-scripts-start"
"""Stands in for the SageMaker role until ``scripts.start`` sets the deployed stack's; the offline runner ignores it."""

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")


def lookup(request: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any part is missing."""
    value: Any = request
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _assign(request: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        request = request[part]
    request[last] = value


def uri_fields(request: dict[str, Any]) -> dict[str, str]:
    """Every S3 URI the request holds (input files and the output path), by dotted field path."""
    fields = [*INPUT_FILES, OUTPUT_PATH_FIELD]
    return {field: lookup(request, field) for field in fields if isinstance(lookup(request, field), str)}


def with_bucket(request: dict[str, Any], bucket: str) -> dict[str, Any]:
    """A copy of the request whose URIs name ``bucket`` instead, keys unchanged."""
    moved = copy.deepcopy(request)
    for field, uri in uri_fields(request).items():
        _, key = split_uri(uri)
        _assign(moved, field, f"s3://{bucket}/{key}")
    return moved


def inputs_location(bucket: str, prefix: str) -> str:
    """``s3://bucket/prefix/``, the folder the prepared files are uploaded to."""
    if not _BUCKET.match(bucket):
        raise InputError(f"--bucket: not a valid S3 bucket name: {bucket!r}")
    prefix = prefix.strip("/")
    return f"s3://{bucket}/{prefix}/" if prefix else f"s3://{bucket}/"


def file_uris(location: str) -> dict[str, str]:
    """Request field -> the URI of its file under ``location``."""
    return {field: location + name for field, name in INPUT_FILES.items()}


def build_request(
    *,
    location: str,
    job_name_prefix: str,
    label_attribute: str,
    role_arn: str,
    human_task_config: dict[str, Any],
    active_learning_config: dict[str, Any],
    content_classifiers: list[str],
    answer_key: bool = True,
) -> dict[str, Any]:
    """The execution input for files uploaded under ``location`` (see :func:`inputs_location`).

    ``human_task_config`` names its UI template by :func:`file_uris`; the answer key, when the
    data has one, is always included, so any workforce can later be measured against it.
    """
    if not _ROLE_ARN.match(role_arn):
        raise InputError(f"--role-arn: not an IAM role ARN: {role_arn!r}")
    files = file_uris(location)
    input_config: dict[str, Any] = {
        "DataSource": {"S3DataSource": {"ManifestS3Uri": files["InputConfig.DataSource.S3DataSource.ManifestS3Uri"]}}
    }
    if content_classifiers:
        input_config["DataAttributes"] = {"ContentClassifiers": content_classifiers}
    return {
        "InputConfig": input_config,
        "OutputConfig": {"S3OutputPath": location + OUTPUT_FOLDER},
        "HumanTaskConfig": human_task_config,
        "LabelingJobNamePrefix": job_name_prefix,
        "RoleArn": role_arn,
        "LabelAttributeName": label_attribute,
        "LabelCategoryConfigS3Uri": files["LabelCategoryConfigS3Uri"],
        "ActiveLearningConfig": {
            **active_learning_config,
            **({"AnswerKeyS3Uri": files["ActiveLearningConfig.AnswerKeyS3Uri"]} if answer_key else {}),
        },
    }
