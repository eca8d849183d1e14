import json
import re
import sys

import numpy as np
import pytest

from byoal_model import train as train_module
from tests.container.support import CONTAINER, LABEL_NAMES, make_opt_ml, run_train, write_jsonl

# Raised inside Keras' own model.save with NumPy 2; nothing this code can change.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

METRICS = ("train:accuracy", "train:loss", "validation:accuracy", "validation:loss")


# --- a real run, as the offline runner starts it -------------------------------------------------


def test_training_succeeds_and_writes_model_and_metadata(trained):
    assert trained.process.returncode == 0, trained.process.stderr
    assert sorted(path.name for path in trained.model_dir.iterdir()) == ["metadata.json", "model.joblib"]
    assert not (trained.opt_ml / "output" / "failure").exists()
    metadata = json.loads((trained.model_dir / "metadata.json").read_text())
    assert metadata["model"] == "minilm-tfidf"
    assert metadata["classes"] == LABEL_NAMES
    assert metadata["num_classes"] == 4
    assert metadata["label_attribute_name"] == "category"
    assert set(metadata["metrics"]) == set(METRICS)
    assert metadata["records"] == {"train": 800, "validation": 200}
    assert metadata["hyperparameters"]["logistic_c"] == 10.0
    assert metadata["encoder"]["encoder_id"].startswith("all-MiniLM-L6-v2-int8@")
    assert metadata["encoder"]["dimension"] == 384
    # No cache and no embeddings in the records: every distinct text went through the encoder.
    assert metadata["embeddings"] == {"precomputed": 0, "cached": 0, "encoded": 1000}


def test_prints_one_final_metric_line_sagemaker_can_match(trained):
    stdout = trained.process.stdout
    metadata = json.loads((trained.model_dir / "metadata.json").read_text())
    for name in METRICS:
        # The same expression the workflow puts in the training job's MetricDefinitions.
        values = re.findall(rf"{name}=([0-9.]+)", stdout)
        assert len(values) == 1, name
        assert float(values[-1]) == pytest.approx(metadata["metrics"][name], abs=1e-6)
    assert metadata["metrics"]["validation:accuracy"] > 0.8


def test_the_keras_model_stays_available(keras_trained):
    assert keras_trained.process.returncode == 0, keras_trained.process.stderr
    assert sorted(path.name for path in keras_trained.model_dir.iterdir()) == ["metadata.json", "model.keras"]
    metadata = json.loads((keras_trained.model_dir / "metadata.json").read_text())
    assert metadata["model"] == "keras-scratch"
    assert metadata["records"] == {"train": 1600, "validation": 400}
    assert metadata["hyperparameters"]["epochs"] == 6
    assert metadata["hyperparameters"]["learning_rate"] == 0.01
    assert 1 <= metadata["best_epoch"] <= metadata["epochs_run"] <= 6
    for name in METRICS:
        values = re.findall(rf"{name}=([0-9.]+)", keras_trained.process.stdout)
        assert len(values) == metadata["epochs_run"] + 1, name
        assert float(values[-1]) == pytest.approx(metadata["metrics"][name], abs=1e-6)


def test_the_keras_model_beats_the_majority_class(keras_trained, keras_predictor):
    texts = [text for text, _ in keras_trained.held_out]
    labels = np.array([label for _, label in keras_trained.held_out])
    accuracy = (keras_predictor.predict_proba(texts).argmax(axis=1) == labels).mean()
    assert accuracy > np.bincount(labels).max() / len(labels) + 0.2, accuracy
    assert keras_predictor.predict_jsonlines(b'"Apple unveils a new iPhone"\n').startswith(b'{"label":')


def test_warns_about_unknown_hyperparameters(trained):
    assert "warning: ignoring unknown hyperparameter 'sagemaker_program'" in trained.process.stdout


def test_beats_the_majority_class_on_held_out_headlines(trained, predictor):
    texts = [text for text, _ in trained.held_out]
    labels = np.array([label for _, label in trained.held_out])
    accuracy = (predictor.predict_proba(texts).argmax(axis=1) == labels).mean()
    majority = np.bincount(labels).max() / len(labels)
    assert accuracy > majority + 0.2, (accuracy, majority)


def test_the_train_executable_fails_with_a_reason_and_non_zero_exit(tmp_path):
    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "hyperparameters.json").write_text('{"epochs": "abc"}')
    process = run_train(tmp_path, [sys.executable, str(CONTAINER / "train")])
    assert process.returncode == 1
    assert "hyperparameter 'epochs' is 'abc'" in (tmp_path / "output" / "failure").read_text()
    assert "hyperparameter 'epochs' is 'abc'" in process.stderr
    assert not (tmp_path / "model").exists()


# --- failures, run in-process for speed ----------------------------------------------------------

ROWS = [(f"headline number {index} about topic {index % 3}", index % 3) for index in range(30)]


def record(text, label):
    return {"source": text, "category": label}


def write_bad_line(opt_ml, line):
    path = opt_ml / "input" / "data" / "train" / "train.jsonl"
    lines = path.read_text().splitlines()
    lines.insert(4, line)
    path.write_text("\n".join(lines) + "\n")


def no_train_records(opt_ml):
    (opt_ml / "input" / "data" / "train" / "train.jsonl").write_text("\n")


def no_validation_files(opt_ml):
    (opt_ml / "input" / "data" / "validation" / "validation.jsonl").unlink()


def no_validation_channel(opt_ml):
    (opt_ml / "input" / "data" / "validation" / "validation.jsonl").unlink()
    (opt_ml / "input" / "data" / "validation").rmdir()


def one_train_class(opt_ml):
    write_jsonl(opt_ml / "input" / "data" / "train" / "train.jsonl", [record(text, 2) for text, _ in ROWS])


def hyperparameters(**values):
    def change(opt_ml):
        path = opt_ml / "input" / "config" / "hyperparameters.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **values}))

    return change


def hyperparameters_file(text):
    def change(opt_ml):
        (opt_ml / "input" / "config" / "hyperparameters.json").write_text(text)

    return change


FAILURES = {
    "empty train channel": (no_train_records, ["channel 'train' holds no records"]),
    "validation channel without files": (no_validation_files, ["channel 'validation' holds no records"]),
    "missing validation channel": (no_validation_channel, ["channel 'validation' is missing", "validation"]),
    "line that is not JSON": (lambda o: write_bad_line(o, '{"source": "x",'), ["train.jsonl line 5", "not valid JSON"]),
    "record without label": (
        lambda o: write_bad_line(o, '{"source": "x"}'),
        ["train.jsonl line 5", "no label attribute 'category'"],
    ),
    "record without source": (
        lambda o: write_bad_line(o, '{"text": "x", "category": 1}'),
        ["train.jsonl line 5", "no 'source' string"],
    ),
    "label out of range": (
        lambda o: write_bad_line(o, '{"source": "x", "category": 3}'),
        ["train.jsonl line 5", "'category' is 3; class indexes run from 0 to 2"],
    ),
    "only one class in train": (one_train_class, ["channel 'train' holds only class 2 ('c')", "at least two classes"]),
    "epochs not a number": (hyperparameters(epochs="abc"), ["hyperparameter 'epochs' is 'abc'"]),
    "negative epochs": (hyperparameters(epochs="-1"), ["hyperparameter 'epochs' is '-1'", "integer >= 1"]),
    "label_names not JSON": (hyperparameters(label_names="a,b,c"), ["hyperparameter 'label_names'"]),
    "class count disagreement": (hyperparameters(num_classes="4"), ["'num_classes' is 4 but 'label_names' lists 3"]),
    "hyperparameters file not JSON": (hyperparameters_file("epochs=3"), ["hyperparameters.json is not valid JSON"]),
    "unknown model": (hyperparameters(model="bert"), ["hyperparameter 'model' is 'bert'", "'minilm-tfidf'"]),
    "logistic_c zero": (hyperparameters(logistic_c="0"), ["hyperparameter 'logistic_c' is '0'"]),
    "encoder folder without a model": (
        hyperparameters(encoder_path="/nonexistent/encoder"),
        ["encoder folder /nonexistent/encoder holds neither model.onnx"],
    ),
    "malformed embedding in a record": (
        lambda o: write_bad_line(o, '{"source": "x", "category": 1, "byoal-embedding": [0.1, 0.2]}'),
        ["channel 'train': record 5: 'byoal-embedding' must be"],
    ),
}


@pytest.fixture
def opt_ml(tmp_path, monkeypatch):
    monkeypatch.setenv("OPT_ML_DIR", str(tmp_path))
    return make_opt_ml(
        tmp_path,
        train=ROWS,
        validation=ROWS[:9],
        hyperparameters={"epochs": "1", "label_names": '["a", "b", "c"]', "max_len": "8", "vocab_size": "50"},
    )


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_failures_write_the_reason_and_no_model(opt_ml, case, capsys):
    change, expected = FAILURES[case]
    change(opt_ml)
    assert train_module.main() == 1
    reason = (opt_ml / "output" / "failure").read_text()
    for fragment in expected:
        assert fragment in reason
    assert "Traceback" not in reason
    assert "training failed" in capsys.readouterr().err
    assert not (opt_ml / "model").exists() or not any((opt_ml / "model").iterdir())


def test_an_unexpected_error_is_reported_and_leaves_no_partial_model(opt_ml, monkeypatch):
    def broken_save(directory, metadata):
        raise OSError("disk full")

    monkeypatch.setattr(train_module.artifacts, "write_metadata", broken_save)
    assert train_module.main() == 1
    reason = (opt_ml / "output" / "failure").read_text()
    assert reason.startswith("unexpected error: OSError: disk full")
    assert list((opt_ml / "model").iterdir()) == []


def test_infers_classes_and_reads_a_custom_label_attribute(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPT_ML_DIR", str(tmp_path))
    records = [{"source": text, "topic": label} for text, label in ROWS]
    write_jsonl(tmp_path / "input" / "data" / "train" / "nested" / "part-1", records[:15])
    write_jsonl(tmp_path / "input" / "data" / "train" / "part-2.manifest", records[15:])
    write_jsonl(tmp_path / "input" / "data" / "validation" / "v", records[:6])
    (tmp_path / "input" / "config").mkdir(parents=True)
    (tmp_path / "input" / "config" / "hyperparameters.json").write_text(
        json.dumps({"label_attribute_name": "topic", "epochs": 2, "max_len": 8})
    )
    assert train_module.main() == 0, (tmp_path / "output" / "failure").read_text()
    metadata = json.loads((tmp_path / "model" / "metadata.json").read_text())
    assert metadata["classes"] == ["0", "1", "2"]
    assert metadata["label_attribute_name"] == "topic"
    assert metadata["records"] == {"train": 30, "validation": 6}
    assert "final train:loss=" in capsys.readouterr().out
