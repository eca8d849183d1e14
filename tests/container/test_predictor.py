import json

import numpy as np
import pytest

from byoal_model.predictor import CHUNK_SIZE, BadRecordError, Predictor
from tests.container.support import LABEL_NAMES

HEADLINES = [
    "Apple unveils a new iPhone with a bigger screen",
    "Stocks fall as the Fed signals higher interest rates",
    "Ebola outbreak spreads in West Africa, WHO says",
    "Kim Kardashian and Kanye West wedding photos released",
]


def test_load_exposes_classes(predictor, trained):
    assert isinstance(predictor, Predictor)
    assert predictor.num_classes == 4
    assert predictor.classes == LABEL_NAMES
    assert Predictor.load(str(trained.model_dir)).classes == LABEL_NAMES


def test_predict_texts_gives_one_distribution_per_text(predictor):
    predictions = predictor.predict_texts(HEADLINES)
    assert len(predictions) == len(HEADLINES)
    for prediction in predictions:
        assert set(prediction) == {"label", "probabilities"}
        probabilities = prediction["probabilities"]
        assert len(probabilities) == 4 and all(isinstance(p, float) for p in probabilities)
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
        assert prediction["label"] == int(np.argmax(probabilities))
        assert all(round(p, 6) == p for p in probabilities)


def test_predictions_are_in_input_order(predictor, news):
    texts = [text for text, _ in news[1000:1300]]
    together = predictor.predict_texts(texts)
    assert len(together) == len(texts)
    for index in range(0, len(texts), 23):
        expected, got = predictor.predict_texts([texts[index]])[0], together[index]
        assert got["label"] == expected["label"]
        assert got["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-5)


def test_keras_predictions_are_in_input_order_across_chunks(keras_predictor, news):
    texts = [text for text, _ in news[: CHUNK_SIZE * 2 + 17]]
    together = keras_predictor.predict_texts(texts)
    assert len(together) == len(texts)
    for index in range(0, len(texts), CHUNK_SIZE // 4):
        expected, got = keras_predictor.predict_texts([texts[index]])[0], together[index]
        assert got["label"] == expected["label"]
        assert got["probabilities"] == pytest.approx(expected["probabilities"], abs=1e-5)


def test_empty_inputs(predictor):
    assert predictor.predict_texts([]) == []
    assert predictor.predict_proba([]).shape == (0, 4)
    assert predictor.predict_jsonlines(b"") == b""
    assert predictor.predict_texts([""])[0]["label"] in range(4)


def test_predict_jsonlines_output_format(predictor):
    body = "\n".join(json.dumps({"source": text, "id": index}) for index, text in enumerate(HEADLINES)) + "\n"
    output = predictor.predict_jsonlines(body.encode("utf-8"))
    assert isinstance(output, bytes) and output.endswith(b"\n")
    lines = output.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == predictor.predict_texts(HEADLINES)
    assert all(line.startswith('{"label":') and " " not in line for line in lines)


def test_predict_jsonlines_accepts_strings_objects_and_crlf(predictor):
    body = f'{json.dumps(HEADLINES[0])}\r\n{json.dumps({"source": HEADLINES[1], "x": [1]})}\r\n"{HEADLINES[2]}"'
    lines = predictor.predict_jsonlines(body).decode().splitlines()
    assert [json.loads(line) for line in lines] == predictor.predict_texts(HEADLINES[:3])


@pytest.mark.parametrize(
    ("body", "line_number", "reason"),
    [
        (b'"ok"\n{"source": \n"ok"\n', 2, "not valid JSON"),
        (b'"ok"\n\n"ok"\n', 2, "blank line"),
        (b"\n", 1, "blank line"),
        (b'"ok"\n"ok"\n{"text": "no source"}\n', 3, "'source' string"),
        (b'{"source": 12}', 1, "'source' string"),
        (b'"ok"\n[1, 2]\n', 2, "'source' string"),
        (b'"ok"\n"\xff"\n', 2, "not UTF-8"),
    ],
)
def test_malformed_lines_raise_bad_record_error_naming_the_line(predictor, body, line_number, reason):
    with pytest.raises(BadRecordError) as caught:
        predictor.predict_jsonlines(body)
    assert isinstance(caught.value, ValueError)
    assert caught.value.line_number == line_number
    assert str(caught.value).startswith(f"line {line_number}: ")
    assert reason in str(caught.value)
