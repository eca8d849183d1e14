"""Fixtures for the workflow steps: storage (a local directory, or S3 under moto) and a prepared run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from moto import mock_aws

from byoal import manifest
from byoal.labels import label_category_document
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage, S3Storage, write_bytes

BUCKET = "byoal-test"
LABELS = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path, monkeypatch):
    """The storage every handler will use: a local directory, or Amazon S3 mocked by moto."""
    if request.param == "local":
        monkeypatch.setenv(LOCAL_ROOT_ENV, str(tmp_path / "s3"))
        yield LocalStorage(tmp_path / "s3")
        return
    monkeypatch.delenv(LOCAL_ROOT_ENV, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        import boto3

        boto3.client("s3").create_bucket(Bucket=BUCKET)
        yield S3Storage()


def snapshot(storage, prefix: str = f"s3://{BUCKET}/") -> dict[str, bytes]:
    """Every stored object under a prefix, by URI: the state a re-run must reproduce."""
    result = {}
    for uri in storage.list(prefix):
        with storage.open_read(uri) as stream:
            result[uri] = stream.read()
    return result


def make_request(**active_learning: Any) -> dict[str, Any]:
    config = {
        "Workforce": "Simulated",
        "AnswerKeyS3Uri": f"s3://{BUCKET}/inputs/answers.manifest",
        # The steps' tests run on a few records: with these, 4 unlabeled ones are the fewest a run takes
        # (round 1 needs two human labels, the seed batch gives half the records; then one calibration
        # record: at TargetAccuracy 0.5 and RiskTolerance 0.5 the threshold test can pass with one, and
        # CalibrationShare 0.5 draws one from a seed batch of two).
        "TargetAccuracy": 0.5,
        "RiskTolerance": 0.5,
        "SeedShare": 0.5,
        "CalibrationShare": 0.5,
        **active_learning,
    }
    return {
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": f"s3://{BUCKET}/inputs/input.manifest"}}},
        "OutputConfig": {"S3OutputPath": f"s3://{BUCKET}/output/"},
        "LabelCategoryConfigS3Uri": f"s3://{BUCKET}/inputs/class_labels.json",
        "LabelingJobNamePrefix": "news",
        "LabelAttributeName": "category",
        "RoleArn": "arn:aws:iam::123456789012:role/placeholder",
        "ActiveLearningConfig": config,
    }


def answer_key_for(manifest_bytes: bytes) -> bytes:
    """A manifest's answer key, line for line: each record labeled (class 0 where it has no label).

    A line that is not a JSON object is copied as it is: the manifest is refused for it before its
    answer key is read.
    """
    key = []
    for line in manifest_bytes.removeprefix(manifest.UTF8_BOM).splitlines():
        try:
            record = json.loads(line)
            key.append(manifest.dumps({"category": 0, **record}).rstrip(b"\n") if isinstance(record, dict) else line)
        except (ValueError, RecursionError):
            key.append(line)
    return b"\n".join(key) + b"\n"


@pytest.fixture
def put_inputs(storage) -> Callable[..., dict[str, Any]]:
    """Store an input manifest, answer key and label file; return the execution input for them."""

    def put(records: list[dict[str, Any]], answers: list[dict[str, Any]] | None = None, labels=LABELS, **config):
        manifest.write_records(storage, f"s3://{BUCKET}/inputs/input.manifest", records)
        if answers is None:
            answers = [{"category": 0, **record} for record in records]
        manifest.write_records(storage, f"s3://{BUCKET}/inputs/answers.manifest", answers)
        labels_document = json.dumps(label_category_document(labels)).encode()
        write_bytes(storage, f"s3://{BUCKET}/inputs/class_labels.json", labels_document)
        return make_request(**config)

    return put
