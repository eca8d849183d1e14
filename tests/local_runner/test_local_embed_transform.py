"""The offline stand-ins for CreateModel and CreateTransformJob with the container's embed mode: a model without
model data, served by the container's EmbeddingService over the transform input, every request botocore-valid."""

from __future__ import annotations

import json

import pytest

from asl_interpreter import TaskFailure
from byoal import manifest
from byoal.storage import LocalStorage
from local_runner.runner import SUBSTITUTIONS
from local_runner.sagemaker import LocalSageMaker
from local_runner.service_requests import RequestValidator
from statemachines import ACTIVE_LEARNING_LOOP, load_definition

PREFIX = "s3://bucket/run/embeddings/"


def requests_of_the_loop(model_name: str, job_name: str, encoder_path: str = "") -> tuple[dict, dict]:
    """CreateEmbeddingModel's and EmbedRecords' parameters as the definition gives them (paths filled in)."""
    states = load_definition(ACTIVE_LEARNING_LOOP, SUBSTITUTIONS)["States"]
    model = json.loads(json.dumps(states["CreateEmbeddingModel"]["Parameters"]))
    model.pop("ModelName.$")
    model["ModelName"] = model_name
    environment = model["PrimaryContainer"]["Environment"]
    environment["BYOAL_ENCODER_PATH"] = encoder_path
    del environment["BYOAL_ENCODER_PATH.$"]
    job = json.loads(json.dumps(states["EmbedRecords"]["Parameters"]))
    for key in ("TransformJobName.$", "ModelName.$"):
        job.pop(key)
    job.update(TransformJobName=job_name, ModelName=model_name)
    source = job["TransformInput"]["DataSource"]["S3DataSource"]
    del source["S3Uri.$"]
    source["S3Uri"] = PREFIX + "input/"
    del job["TransformOutput"]["S3OutputPath.$"]
    job["TransformOutput"]["S3OutputPath"] = PREFIX + "output/"
    return model, job


@pytest.fixture
def sagemaker(tmp_path) -> LocalSageMaker:
    return LocalSageMaker(LocalStorage(tmp_path / "s3"), tmp_path, scratch=tmp_path / "tmp", log=lambda message: None)


def test_the_embed_transform_answers_each_record_with_its_embedding(sagemaker, tmp_path):
    model, job = requests_of_the_loop("run-r000-embed", "run-r000-embed-0")
    validator = RequestValidator()
    validator.validate("sagemaker", "CreateModel", model, state_name="CreateEmbeddingModel")
    validator.validate("sagemaker", "CreateTransformJob", job, state_name="EmbedRecords")
    records = [{"byoal-id": 5, "source": "Stocks rally"}, {"byoal-id": 2, "source": "Team wins the cup"},
               {"byoal-id": 9, "source": "Stocks rally"}]  # fmt: skip
    manifest.write_records(sagemaker.storage, PREFIX + "input/records.jsonl", records)
    sagemaker.create_model(model, None)
    assert sagemaker.create_transform_job(job, None)["TransformJobStatus"] == "Completed"
    output = list(manifest.read_records(sagemaker.storage, PREFIX + "output/records.jsonl.out"))
    assert [line["byoal-id"] for line in output] == [5, 2, 9]
    embeddings = [line["SageMakerOutput"]["byoal-embedding"] for line in output]
    assert all(e["encoder"].startswith("all-MiniLM-L6-v2-int8@") and len(e["float16"]) == 1024 for e in embeddings)
    assert embeddings[0] == embeddings[2] != embeddings[1]
    log = (tmp_path / "logs" / "run-r000-embed-0.log").read_text()
    assert log == "records: 3\nembeddings: 2 encoded, 0 from the cache, 0 from the records\n"


def test_a_model_without_model_data_must_be_the_embed_mode(sagemaker):
    model, _ = requests_of_the_loop("run-r000-embed", "run-r000-embed-0")
    del model["PrimaryContainer"]["Environment"]["BYOAL_SERVE_MODE"]
    with pytest.raises(TaskFailure, match="no ModelDataUrl.*BYOAL_SERVE_MODE=embed"):
        sagemaker.create_model(model, None)
