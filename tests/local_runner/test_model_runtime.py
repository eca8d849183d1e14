"""The offline runner's model seam (local_runner.model_runtime) with a container of the user's own.

The "container" is two short Python programs written by the test — a word-count naive Bayes that
knows nothing of this project's code — run through the SageMaker contract as local processes: the
training program on a SageMaker-shaped directory, the serving program as an HTTP server.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from asl_interpreter import TaskFailure
from byoal import manifest
from byoal.errors import InputError
from byoal.storage import LocalStorage
from local_runner.model_runtime import LOCAL_COMMANDS_IMAGE, InProcessRuntime, ProcessRuntime, from_commands
from local_runner.sagemaker import LocalSageMaker
from scripts import run_local
from tests.conftest import prepared_sample

TRAIN = """\
import collections, json, os, pathlib, sys
root = pathlib.Path(os.environ["OPT_ML_DIR"])
settings = json.loads((root / "input/config/hyperparameters.json").read_text())
attribute, classes = settings["label_attribute_name"], int(settings["num_classes"])
words, documents = collections.defaultdict(collections.Counter), collections.Counter()
for path in sorted((root / "input/data/train").rglob("*.manifest")):
    for line in path.read_text().splitlines():
        record = json.loads(line)
        words[record[attribute]].update(record["source"].lower().split())
        documents[record[attribute]] += 1
if len(words) < 2:
    (root / "output/failure").write_text(f"only {len(words)} class in the train channel")
    sys.exit(1)
(root / "model/words.json").write_text(json.dumps({"classes": classes, "words": words, "documents": documents}))
print("final validation:accuracy=0.5")
"""

SERVE = """\
import json, math, os, pathlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
model = json.loads((pathlib.Path(os.environ["OPT_ML_DIR"]) / "model/words.json").read_text())
words = [model["words"].get(str(label), {}) for label in range(model["classes"])]
priors = [math.log(model["documents"].get(str(label), 0) + 1) for label in range(model["classes"])]
vocabulary = len({word for counts in words for word in counts}) + 1
totals = [sum(counts.values()) + vocabulary for counts in words]

def predict(text):
    scores = [prior + sum(math.log((counts.get(w, 0) + 1) / total) for w in text.lower().split())
              for prior, counts, total in zip(priors, words, totals)]
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    probabilities = [round(weight / sum(weights), 6) for weight in weights]
    return {"label": probabilities.index(max(probabilities)), "probabilities": probabilities, "by": "naive-bayes"}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ping" else 404)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        try:
            answer = "".join(json.dumps(predict(json.loads(line)["source"])) + "\\n" for line in body.splitlines())
            status = 200
        except (ValueError, KeyError) as error:
            answer, status = json.dumps({"error": f"bad record: {error!r}"}), 400
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer.encode())))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(os.environ["SAGEMAKER_BIND_TO_PORT"])), Handler).serve_forever()
"""

RECORDS = 300


def command(script: Path) -> str:
    return shlex.join([sys.executable, str(script)])


@pytest.fixture
def container(tmp_path) -> tuple[str, str]:
    """The fake container's two commands, as --model-train-command and --model-serve-command take them."""
    folder = tmp_path / "own-model"
    folder.mkdir()
    (folder / "train.py").write_text(TRAIN, encoding="utf-8")
    (folder / "serve.py").write_text(SERVE, encoding="utf-8")
    return command(folder / "train.py"), command(folder / "serve.py")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs") / "prepared"
    return prepared_sample(folder, records=RECORDS, seed=5, options=("--validation-share", "0.5"))


def records_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_container_of_your_own_runs_the_offline_loop_through_the_sagemaker_contract(inputs, container, tmp_path):
    workdir = tmp_path / "run"
    train, serve = container
    arguments = ["--inputs", str(inputs), "--workdir", str(workdir), "--batch-size", "30", "--max-rounds", "2",
                 "--model-train-command", train, "--model-serve-command", serve, "--quiet"]  # fmt: skip
    assert run_local.main(arguments) == 0

    summary = json.loads((workdir / "summary.json").read_text())
    final = records_of(Path(summary["final_manifest"]))
    assert [record["byoal-id"] for record in final] == list(range(RECORDS))
    assert [r["source"] for r in final] == [r["source"] for r in records_of(inputs / "input.manifest")]
    assert summary["human_labeled"] + summary["auto_labeled"] + summary["unlabeled"] == RECORDS
    assert summary["rounds"] == 2
    predictions = sorted(workdir.glob("s3/**/rounds/*/transform/output/*.out"))
    assert len(predictions) == 2, "one transform per round"
    for path in predictions:
        lines = records_of(path)
        assert lines and all(line["SageMakerOutput"]["by"] == "naive-bayes" for line in lines)
        assert len(lines) == len(records_of(path.parent.parent / "input" / path.name.removesuffix(".out")))
    assert len(list((workdir / "logs").glob("*.serve.log"))) == 2
    models = [json.loads(path.read_text()) for path in (workdir / "models").glob("*.json")]
    assert len(models) == 2 and all(model["Image"] == LOCAL_COMMANDS_IMAGE for model in models)
    events = records_of(workdir / "history.jsonl")
    assert not any(event.get("state_name") == "EmbedRecords" for event in events), "an own image is not asked to embed"


def train_request(storage: LocalStorage, records: list[dict]) -> dict:
    manifest.write_records(storage, "s3://bucket/train/train.manifest", records)
    return {
        "TrainingJobName": "job-1",
        "HyperParameters": {"label_attribute_name": "category", "num_classes": "2"},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/model/"},
        "AlgorithmSpecification": {"MetricDefinitions": [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}]},
    }  # fmt: skip


def transform_request(model: str, **processing: str) -> dict:
    return {
        "TransformJobName": "job-1-predict", "ModelName": model, "BatchStrategy": "MultiRecord", "MaxPayloadInMB": 1,
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/input/"}},
                           "ContentType": "application/jsonlines", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": "s3://bucket/output/", "Accept": "application/jsonlines"},
        "DataProcessing": processing,
    }  # fmt: skip


def sagemaker_with(tmp_path: Path, train: str, serve: str) -> LocalSageMaker:
    runtime = ProcessRuntime(shlex.split(train), shlex.split(serve), ready_seconds=30)
    return LocalSageMaker(LocalStorage(tmp_path / "s3"), tmp_path, scratch=tmp_path / "tmp", runtime=runtime)


def create_model(sagemaker: LocalSageMaker, trained: dict) -> None:
    model_data = trained["ModelArtifacts"]["S3ModelArtifacts"]
    container = {"Image": LOCAL_COMMANDS_IMAGE, "ModelDataUrl": model_data}
    sagemaker.create_model({"ModelName": trained["TrainingJobName"], "PrimaryContainer": container}, None)


LABELED = [{"source": "stocks fall", "category": 0}, {"source": "team wins cup", "category": 1},
           {"source": "stocks rise", "category": 0}, {"source": "cup final tonight", "category": 1}]  # fmt: skip


def test_train_create_model_and_transform_run_the_containers_programs(container, tmp_path):
    sagemaker = sagemaker_with(tmp_path, *container)
    trained = sagemaker.create_training_job(train_request(sagemaker.storage, LABELED), None)
    assert trained["FinalMetricDataList"] == [{"MetricName": "accuracy", "Value": 0.5}]
    create_model(sagemaker, trained)
    texts = ["stocks slump as markets fall " * 4, "cup holders win the final again " * 4] * 5000
    records = [{"byoal-id": index, "source": text} for index, text in enumerate(texts)]
    manifest.write_records(sagemaker.storage, "s3://bucket/input/records.jsonl", records)
    job = transform_request("job-1", JoinSource="Input", OutputFilter="$['byoal-id','SageMakerOutput']")
    assert sagemaker.create_transform_job(job, None)["TransformJobStatus"] == "Completed"

    output = list(manifest.read_records(sagemaker.storage, "s3://bucket/output/records.jsonl.out"))
    # 1.4 MB of input: two requests of at most 1 MB (MaxPayloadInMB), assembled in order.
    assert [line["byoal-id"] for line in output] == list(range(10_000))
    assert [line["SageMakerOutput"]["label"] for line in output] == [0, 1] * 5000
    assert (tmp_path / "logs" / "job-1-predict.log").read_text() == "records: 10000\n"


def test_a_failed_training_program_fails_the_job_with_its_failure_file(container, tmp_path):
    sagemaker = sagemaker_with(tmp_path, *container)
    with pytest.raises(TaskFailure) as failure:
        sagemaker.create_training_job(train_request(sagemaker.storage, LABELED[:1]), None)
    assert json.loads(failure.value.cause)["FailureReason"] == "only 1 class in the train channel"
    assert not list(sagemaker.storage.root.glob("bucket/model/**/*.tar.gz"))


def test_a_refused_request_fails_the_transform_with_the_servers_answer(container, tmp_path):
    sagemaker = sagemaker_with(tmp_path, *container)
    trained = sagemaker.create_training_job(train_request(sagemaker.storage, LABELED), None)
    create_model(sagemaker, trained)
    manifest.write_records(sagemaker.storage, "s3://bucket/input/records.jsonl", [{"text": "no source field"}])
    with pytest.raises(TaskFailure, match=r"answered /invocations with 400: .*bad record: KeyError\('source'\)"):
        sagemaker.create_transform_job(transform_request("job-1"), None)


def test_a_server_that_exits_before_it_is_ready_fails_the_transform_with_its_last_lines(container, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import sys\nprint('no model here', flush=True)\nsys.exit(3)\n")
    sagemaker = sagemaker_with(tmp_path, container[0], command(broken))
    sagemaker.create_model({"ModelName": "embed", "PrimaryContainer": {"Image": LOCAL_COMMANDS_IMAGE}}, None)
    manifest.write_records(sagemaker.storage, "s3://bucket/input/records.jsonl", [{"source": "a"}])
    with pytest.raises(TaskFailure, match=r"exited with code 3 before it was ready.*\n.*no model here"):
        sagemaker.create_transform_job(transform_request("embed"), None)


def test_a_command_that_does_not_exist_fails_the_job_naming_it(tmp_path):
    sagemaker = sagemaker_with(tmp_path, "/nonexistent/train", "/nonexistent/serve")
    with pytest.raises(TaskFailure, match="'/nonexistent/train' could not start"):
        sagemaker.create_training_job(train_request(sagemaker.storage, LABELED), None)


def test_the_runtime_is_the_bundled_model_in_process_unless_both_commands_are_given():
    assert isinstance(from_commands(None, None), InProcessRuntime)
    runtime = from_commands("python -m my_model.train --fast", "'my serve'")
    assert isinstance(runtime, ProcessRuntime)
    assert runtime.train_command == ["python", "-m", "my_model.train", "--fast"]
    assert runtime.serve_command == ["my serve"]
    with pytest.raises(InputError, match="go together"):
        from_commands("train", None)
    with pytest.raises(InputError, match="quotation"):
        from_commands("train 'x", "serve")
