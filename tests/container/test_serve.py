"""The real server: ``container/serve`` (gunicorn, two workers) on a free port."""

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import requests

from tests.container.support import CONTAINER, container_environment, free_port, wait_for_status

JSONLINES = "application/jsonlines"
WORKERS = 2


def wait_for_log_lines(path: Path, text: str, count: int, *, timeout: float) -> None:
    """Until ``text`` appears ``count`` times in the server's log."""
    deadline = time.monotonic() + timeout
    while path.read_text(errors="replace").count(text) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} does not show {text!r} {count} times within {timeout} s")
        time.sleep(0.1)


@dataclass
class Server:
    url: str
    before_model: dict[str, int]
    """Status codes seen while the model directory was still empty."""


@pytest.fixture(scope="module")
def server(trained, embedding_cache, tmp_path_factory):
    """Started on an empty model directory, which is then filled with the session's trained model.

    It shares the test predictor's embedding cache, as the offline runner's jobs share one: a text
    either of them encoded first is not encoded again.
    """
    assert trained.process.returncode == 0, trained.process.stderr
    opt_ml = tmp_path_factory.mktemp("serve_opt_ml")
    (opt_ml / "model").mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = opt_ml / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(CONTAINER / "serve")],
            env=container_environment(
                opt_ml,
                SAGEMAKER_BIND_TO_PORT=str(port),
                MODEL_SERVER_WORKERS=str(WORKERS),
                BYOAL_EMBEDDING_CACHE=str(embedding_cache),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        before_model = {
            "ping": wait_for_status(f"{url}/ping", {200, 503}, timeout=60),
            "invocations": requests.post(
                f"{url}/invocations", data=b'"x"\n', headers={"Content-Type": JSONLINES}, timeout=10
            ).status_code,
        }
        # The model file first, metadata.json last: the order train itself publishes them in.
        for path in sorted(trained.model_dir.iterdir(), key=lambda path: path.name == "metadata.json"):
            shutil.copy(path, opt_ml / "model" / path.name)
        # Each worker logs when it has loaded the model; a run of 200s from /ping alone can all come from
        # one worker while the other is still loading on a busy machine.
        wait_for_log_lines(log_path, "model loaded from", WORKERS, timeout=300)
        wait_for_status(f"{url}/ping", {200}, timeout=300, streak=10)
        yield Server(url=url, before_model=before_model)
    finally:
        process.terminate()
        process.wait(timeout=30)
        print(log_path.read_text())  # shown by pytest when a test fails


def invoke(server, body, content_type=JSONLINES):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return requests.post(f"{server.url}/invocations", data=body, headers=headers, timeout=60)


def jsonlines(texts):
    return ("".join(json.dumps({"source": text}) + "\n" for text in texts)).encode("utf-8")


def test_ping_is_503_until_the_model_is_loaded_then_200(server):
    assert server.before_model == {"ping": 503, "invocations": 503}
    assert requests.get(f"{server.url}/ping", timeout=10).status_code == 200


def test_1000_lines_in_1000_lines_out_in_order(server, trained, predictor, news):
    texts = [text for text, _ in news[3000:4000]]
    response = invoke(server, jsonlines(texts))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSONLINES
    lines = response.content.decode("utf-8").splitlines()
    assert len(lines) == 1000
    expected = predictor.predict_texts(texts)
    for line, want in zip(lines, expected, strict=True):
        got = json.loads(line)
        assert got["label"] == want["label"]
        assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-5)

    reversed_lines = invoke(server, jsonlines(texts[::-1])).content.decode("utf-8").splitlines()
    assert [json.loads(line)["label"] for line in reversed_lines] == [want["label"] for want in expected][::-1]


@pytest.mark.parametrize(
    "content_type",
    ["application/jsonl", "application/x-jsonlines", "application/jsonlines; charset=utf-8", "Application/JSONLines"],
)
def test_jsonlines_content_type_variants(server, predictor, content_type):
    body = b'"Apple earnings beat forecasts"\n{"source": "Measles cases rise", "id": 3}'
    response = invoke(server, body, content_type)
    assert response.status_code == 200
    got = [json.loads(line) for line in response.content.decode().splitlines()]
    expected = predictor.predict_texts(["Apple earnings beat forecasts", "Measles cases rise"])
    assert [prediction["label"] for prediction in got] == [prediction["label"] for prediction in expected]


@pytest.mark.parametrize("record", [{"source": "Ebola vaccine trial begins", "id": "a"}, "Ebola vaccine trial begins"])
def test_application_json_is_one_record(server, predictor, record):
    response = invoke(server, json.dumps(record), "application/json; charset=utf-8")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    got = response.json()
    expected = predictor.predict_texts(["Ebola vaccine trial begins"])[0]
    assert got["label"] == expected["label"]
    assert got["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-5)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b'"ok"\n"ok"\n{"source": oops}\n"ok"\n', JSONLINES, "line 3: not valid JSON"),
        (b'"ok"\n\n"ok"\n', JSONLINES, "line 2: blank line"),
        (b'"ok"\n{"title": "no source"}\n', JSONLINES, "line 2: expected a JSON object with a 'source' string"),
        (b'{"source": ', "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "'source' string"),
    ],
)
def test_malformed_records_are_400_naming_the_line(server, body, content_type, message):
    response = invoke(server, body, content_type)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_records_may_carry_their_embedding(server, predictor):
    from byoal_model.embeddings import encode_field

    texts = ["Apple earnings beat forecasts", "Measles cases rise"]
    vectors = predictor.embedder.embed(texts)
    # The vector of the other text: the server must use the one in the record, not encode the text.
    records = [
        {"source": texts[0], "byoal-embedding": encode_field(predictor.embedder.encoder.encoder_id, vectors[1])},
        {"source": texts[1], "byoal-embedding": encode_field("another-encoder@0", vectors[0])},
    ]
    response = invoke(server, "".join(json.dumps(record) + "\n" for record in records))
    assert response.status_code == 200
    got = [json.loads(line)["probabilities"] for line in response.content.decode().splitlines()]
    expected = predictor.predict_proba(texts, [records[0]["byoal-embedding"], None])
    for got_row, expected_row in zip(got, expected.tolist(), strict=True):
        assert got_row == pytest.approx(expected_row, abs=1e-5)


def test_a_malformed_embedding_is_400_naming_the_line(server):
    body = '"ok"\n{"source": "x", "byoal-embedding": {"encoder": "e", "float16": 3}}\n'
    response = invoke(server, body)
    assert response.status_code == 400
    assert "line 2: 'byoal-embedding' must be" in response.json()["error"]


@pytest.mark.parametrize("content_type", ["text/csv", "text/plain", None])
def test_other_content_types_are_415(server, content_type):
    response = invoke(server, b"Apple earnings beat forecasts\n", content_type)
    assert response.status_code == 415
    assert "application/jsonlines" in response.json()["error"]


def test_execution_parameters(server):
    response = requests.get(f"{server.url}/execution-parameters", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}


def test_embed_mode_answers_each_record_with_its_embedding(tmp_path):
    """``BYOAL_SERVE_MODE=embed``: no model needed; the output is the field later jobs read back."""
    from byoal_model.embeddings import decode_field
    from byoal_model.encoder import load_encoder

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(CONTAINER / "serve")],
            env=container_environment(
                tmp_path, SAGEMAKER_BIND_TO_PORT=str(port), MODEL_SERVER_WORKERS="1", BYOAL_SERVE_MODE="embed"
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_status(f"{url}/ping", {200}, timeout=120)
        texts = ["Apple earnings beat forecasts", "Measles cases rise"]
        response = invoke(Server(url=url, before_model={}), jsonlines(texts))
        assert response.status_code == 200, response.text
        lines = [json.loads(line) for line in response.content.decode().splitlines()]
        assert [set(line) for line in lines] == [{"byoal-embedding"}] * 2
        encoder = load_encoder()
        vectors = [
            decode_field(line["byoal-embedding"], encoder_id=encoder.encoder_id, dimension=encoder.dimension)
            for line in lines
        ]
        assert np.abs(np.array(vectors) - encoder.encode(texts)).max() < 1e-3
        assert invoke(Server(url=url, before_model={}), b'"ok"\n\n').status_code == 400
    finally:
        process.terminate()
        process.wait(timeout=30)
        print(log_path.read_text())
