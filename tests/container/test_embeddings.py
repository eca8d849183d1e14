"""The bundled sentence encoder's pinned files, and embeddings computed once per run."""

import json
import shutil

import numpy as np
import pytest

from byoal_model import encoder as encoder_module
from byoal_model import train as train_module
from byoal_model.embeddings import (
    CACHE_ENV,
    Embedder,
    EmbeddingCache,
    EmbeddingFieldError,
    decode_field,
    encode_field,
    text_key,
)
from byoal_model.encoder import EncoderIntegrityError, load_encoder
from byoal_model.predictor import Predictor
from tests.container.support import make_opt_ml

TEXTS = [
    "Apple unveils a new iPhone with a bigger screen",
    "Stocks fall as the Fed signals higher interest rates",
    "Ebola outbreak spreads in West Africa, WHO says",
    "Kim Kardashian and Kanye West wedding photos released",
]


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_the_bundled_encoder_gives_unit_vectors_that_group_similar_texts(encoder):
    vectors = encoder.encode(["Stocks slide on Wall Street", "Shares fall sharply in New York", "Measles outbreak"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(1.0, abs=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time(encoder):
    together = encoder.encode(TEXTS)
    apart = np.concatenate([encoder.encode([text]) for text in TEXTS])
    assert np.abs(together - apart).max() < 1e-4


def tampered_copy(source, target):
    shutil.copy(source, target)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def test_a_tampered_weight_file_is_refused_naming_the_file_and_the_pinned_hash(tmp_path, monkeypatch):
    tampered = tampered_copy(encoder_module.bundled_model_path(), tmp_path / "model.onnx")
    monkeypatch.setattr(encoder_module, "bundled_model_path", lambda: tampered)
    with pytest.raises(EncoderIntegrityError) as caught:
        load_encoder()
    assert str(tampered) in str(caught.value)
    assert encoder_module.BUNDLED_MODEL_SHA256 in str(caught.value)


def test_a_tampered_tokenizer_is_refused(tmp_path, monkeypatch):
    tampered = tampered_copy(encoder_module.BUNDLED_TOKENIZER, tmp_path / "tokenizer.json")
    monkeypatch.setattr(encoder_module, "BUNDLED_TOKENIZER", tampered)
    with pytest.raises(EncoderIntegrityError, match="tokenizer.json has SHA-256"):
        load_encoder()


def test_training_with_a_tampered_encoder_fails_with_the_reason_and_no_model(tmp_path, monkeypatch):
    tampered = tampered_copy(encoder_module.bundled_model_path(), tmp_path / "model.onnx")
    monkeypatch.setattr(encoder_module, "bundled_model_path", lambda: tampered)
    opt_ml = make_opt_ml(
        tmp_path / "opt_ml", train=[(text, index % 2) for index, text in enumerate(TEXTS)], validation=[(TEXTS[0], 0)]
    )
    monkeypatch.setenv("OPT_ML_DIR", str(opt_ml))
    assert train_module.main() == 1
    reason = (opt_ml / "output" / "failure").read_text()
    assert f"encoder file {tampered} has SHA-256" in reason and "Traceback" not in reason
    assert not (opt_ml / "model").exists() or not any((opt_ml / "model").iterdir())


def test_the_embedding_field_round_trips_and_ignores_other_encoders(encoder):
    vector = encoder.encode(TEXTS[:1])[0]
    field = encode_field(encoder.encoder_id, vector)
    decoded = decode_field(json.loads(json.dumps(field)), encoder_id=encoder.encoder_id, dimension=384)
    assert np.abs(decoded - vector).max() < 1e-3
    assert decode_field(field, encoder_id="another@1", dimension=384) is None
    assert decode_field(None, encoder_id=encoder.encoder_id, dimension=384) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([0.1, 0.2], "must be"),
        ({"encoder": "e", "float16": "not base64!"}, "not base64"),
        ({"encoder": "e", "float16": "AAAA"}, r"holds 3 bytes; the encoder gives 384 float16 values \(768 bytes\)"),
    ],
)
def test_a_malformed_embedding_field_names_the_record(value, reason):
    with pytest.raises(EmbeddingFieldError, match=f"record 3: 'byoal-embedding' .*{reason}"):
        decode_field(value, encoder_id="e", dimension=384, index=2)


def test_the_embedder_takes_records_then_cache_then_encoder(encoder, tmp_path):
    first = Embedder(encoder, EmbeddingCache(tmp_path, encoder.encoder_id))
    expected = first.embed(TEXTS + [TEXTS[0]])
    assert first.counts.as_dict() == {"precomputed": 0, "cached": 0, "encoded": 4}

    # Another process of the same run: a fresh embedder over the same folder.
    second = Embedder(encoder, EmbeddingCache(tmp_path, encoder.encoder_id))
    fields = [encode_field(encoder.encoder_id, expected[1]), None, None, None, None]
    got = second.embed(TEXTS + ["A text nobody encoded yet"], fields)
    assert second.counts.as_dict() == {"precomputed": 1, "cached": 3, "encoded": 1}
    assert np.array_equal(got[2:4], expected[2:4])
    assert np.abs(got[0] - expected[1]).max() < 1e-3


def test_the_cache_keeps_keys_that_end_in_zero_bytes(encoder, tmp_path):
    texts = [text for text in (f"headline {index}" for index in range(5000)) if text_key(text).endswith(b"\0")][:3]
    assert texts
    Embedder(encoder, EmbeddingCache(tmp_path, encoder.encoder_id)).embed(texts)
    reader = Embedder(encoder, EmbeddingCache(tmp_path, encoder.encoder_id))
    reader.embed(texts)
    assert reader.counts.as_dict() == {"precomputed": 0, "cached": len(texts), "encoded": 0}


def test_a_second_training_and_a_transform_in_the_same_run_encode_nothing(news, tmp_path, monkeypatch):
    """As the offline runner runs a workflow: every job of the run shares one cache folder."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    rows = news[:120]
    encoded = []
    for round_number in (1, 2):
        opt_ml = make_opt_ml(
            tmp_path / f"round-{round_number}",
            train=rows[:100],
            validation=rows[100:],
            hyperparameters={"num_classes": "4"},
        )
        monkeypatch.setenv("OPT_ML_DIR", str(opt_ml))
        assert train_module.main() == 0, (opt_ml / "output" / "failure").read_text()
        metadata = json.loads((opt_ml / "model" / "metadata.json").read_text())
        encoded.append(metadata["embeddings"]["encoded"])
    assert encoded == [len({text for text, _ in rows}), 0]

    predictor = Predictor.load(opt_ml / "model")
    body = "".join(json.dumps({"source": text}) + "\n" for text, _ in rows)
    assert len(predictor.predict_jsonlines(body).splitlines()) == len(rows)
    assert predictor.embedder.counts.as_dict() == {"precomputed": 0, "cached": len(rows), "encoded": 0}
    assert predictor.embedder.encoder.texts_encoded == 0


def test_a_model_is_not_served_with_another_encoder(trained, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(trained.model_dir, model_dir)
    metadata = json.loads((model_dir / "metadata.json").read_text())
    metadata["encoder"]["encoder_id"] = "all-MiniLM-L6-v2-int8@0000000000000000"
    (model_dir / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(encoder_module.EncoderError, match="trained with encoder all-MiniLM-L6-v2-int8@0000"):
        Predictor.load(model_dir)


def test_your_own_onnx_encoder_by_path_trains_and_serves(encoder, news, tmp_path, monkeypatch):
    folder = tmp_path / "my-encoder"
    folder.mkdir()
    shutil.copy(encoder_module.bundled_model_path(), folder / "model.onnx")
    shutil.copy(encoder_module.BUNDLED_TOKENIZER, folder / "tokenizer.json")
    own = load_encoder(str(folder))
    assert own.encoder_id.startswith("my-encoder@") and own.encoder_id != encoder.encoder_id
    assert np.abs(own.encode(TEXTS) - encoder.encode(TEXTS)).max() < 1e-5

    opt_ml = make_opt_ml(
        tmp_path / "opt_ml", train=news[:60], validation=news[60:80], hyperparameters={"encoder_path": str(folder)}
    )
    monkeypatch.setenv("OPT_ML_DIR", str(opt_ml))
    assert train_module.main() == 0, (opt_ml / "output" / "failure").read_text()
    metadata = json.loads((opt_ml / "model" / "metadata.json").read_text())
    assert metadata["encoder"]["encoder_id"] == own.encoder_id
    predictor = Predictor.load(opt_ml / "model")
    assert predictor.embedder.encoder.encoder_id == own.encoder_id
    assert len(predictor.predict_texts(TEXTS)) == len(TEXTS)


def test_a_sentence_transformers_folder_without_the_package_is_a_clear_error(tmp_path):
    (tmp_path / "modules.json").write_text("[]")
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        with pytest.raises(encoder_module.EncoderError, match="sentence-transformers is not installed"):
            load_encoder(str(tmp_path))
    else:
        pytest.skip("sentence-transformers is installed here")
