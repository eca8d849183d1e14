"""Local stand-ins for the SageMaker jobs the ActiveLearning state machine runs.

* ``createTrainingJob.sync``: the bundled container's ``train`` in a subprocess, on a temporary
  ``/opt/ml`` tree (``OPT_ML_DIR``); the model is packed as ``model.tar.gz`` at
  ``<S3OutputPath><TrainingJobName>/output/model.tar.gz``, where SageMaker puts it.
* ``createModel``: remembers the model's container (artifacts, ``Environment``) under its name, also in
  ``<workdir>/models/<name>.json`` so that a run resumed in another process finds it; a
  model without ``ModelDataUrl`` must be the container's ``embed`` mode (``BYOAL_SERVE_MODE=embed``).
* ``createTransformJob.sync``: the container's serving code in-process over the transform input
  (its Predictor, or for an ``embed`` model its EmbeddingService), in MultiRecord batches of at
  most ``MaxPayloadInMB``, with InputFilter, JoinSource and OutputFilter applied as SageMaker
  applies them; output ``<S3OutputPath><input file>.out``. Each job writes
  ``<workdir>/logs/<job name>.log``: its record count and where its sentence embeddings came from.

Both share the run's sentence-embedding cache, ``<workdir>/embedding-cache`` (the container's
``BYOAL_EMBEDDING_CACHE``): the frozen encoder runs once per record per run, not once per round.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from byoal.manifest import iter_lines
from byoal.storage import LocalStorage, split_uri

from asl_interpreter import TaskContext, TaskFailure

REPO = Path(__file__).resolve().parents[1]
CONTAINER_CODE = REPO / "container"
TASK_FAILED = "States.TaskFailed"
SERVE_MODE_ENV = "BYOAL_SERVE_MODE"
EMBED_MODE = "embed"
ENCODER_PATH_ENV = "BYOAL_ENCODER_PATH"
"""The container's serving settings (container/byoal_model/serve.py) that the local transform reads."""
EMBEDDING_CACHE = "embedding-cache"
"""The run's sentence-embedding cache, a folder in the run's work directory."""
_KEY_UNION = re.compile(r"^\$\[\s*'[^']+'\s*(,\s*'[^']+'\s*)*\]$")


def select_fields(record: Any, expression: str, *, field: str) -> Any:
    """The subset of SageMaker's batch-transform JSONPath this project uses: ``$``, ``$.key``, ``$['a','b']``."""
    if expression == "$":
        return record
    if re.fullmatch(r"\$\.[A-Za-z0-9_\-]+", expression):
        return record[expression[2:]]
    if _KEY_UNION.match(expression):
        keys = re.findall(r"'([^']+)'", expression)
        return {key: record[key] for key in keys if key in record}
    raise TaskFailure(TASK_FAILED, f"{field} {expression!r} is not supported by the local transform")


def _container_on_path() -> None:
    if str(CONTAINER_CODE) not in sys.path:
        sys.path.insert(0, str(CONTAINER_CODE))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_embedding_service(encoder_path: str, *, embedding_cache: Path | None = None) -> Any:
    """The container's ``embed`` serving mode (EmbeddingService) over its encoder (``encoder_path``; "" for the
    bundled one), sharing the run's cache ``embedding_cache`` as the training jobs and transforms do."""
    _container_on_path()
    from byoal_model.embeddings import Embedder, EmbeddingCache
    from byoal_model.encoder import load_encoder
    from byoal_model.predictor import EmbeddingService

    encoder = load_encoder(encoder_path)
    cache = EmbeddingCache(embedding_cache, encoder.encoder_id) if embedding_cache is not None else None
    return EmbeddingService(Embedder(encoder, cache))


def load_packed_model(archive: Path, directory: Path, *, embedding_cache: Path | None = None) -> Any:
    """The bundled container's Predictor over a model.tar.gz, unpacked into ``directory``.

    The Predictor is imported from container/ as the image would have it on its path;
    ``embedding_cache``: a folder of sentence embeddings shared across the run (None: none).
    """
    _container_on_path()
    from byoal_model.predictor import Predictor

    with tarfile.open(archive) as packed:
        packed.extractall(directory, filter="data")
    return Predictor.load(directory, embedding_cache=embedding_cache)


class LocalSageMaker:
    def __init__(self, storage: LocalStorage, workdir: Path, *, scratch: Path, log: Callable[[str], None] = print) -> None:
        self.storage = storage
        self.workdir = workdir
        self.scratch = scratch
        self.log = log
        self.embedding_cache = workdir / EMBEDDING_CACHE
        self.models: dict[str, dict[str, Any]] = {}
        self._predictors: dict[str, Any] = {}

    def _download_prefix(self, prefix_uri: str, target: Path) -> int:
        target.mkdir(parents=True, exist_ok=True)
        uris = self.storage.list(prefix_uri)
        for uri in uris:
            relative = uri[len(prefix_uri.rstrip("/")) + 1:] if uri != prefix_uri else Path(uri).name
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(self.storage.path(uri).read_bytes())
        return len(uris)

    def create_training_job(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        name = parameters["TrainingJobName"]
        started = time.time()
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=self.scratch) as scratch:
            opt_ml = Path(scratch)
            config = opt_ml / "input" / "config"
            config.mkdir(parents=True)
            (config / "hyperparameters.json").write_text(json.dumps(parameters.get("HyperParameters", {})))
            (config / "inputdataconfig.json").write_text(
                json.dumps({c["ChannelName"]: {"ContentType": c.get("ContentType")} for c in parameters["InputDataConfig"]})
            )
            for channel in parameters["InputDataConfig"]:
                source = channel["DataSource"]["S3DataSource"]
                if source["S3DataType"] != "S3Prefix":
                    raise TaskFailure(TASK_FAILED, f"the local training job reads S3Prefix channels, not {source['S3DataType']}")
                self._download_prefix(source["S3Uri"], opt_ml / "input" / "data" / channel["ChannelName"])
            log_path = self.workdir / "logs" / f"{name}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            environment = {
                **os.environ, "OPT_ML_DIR": str(opt_ml), "PYTHONPATH": str(CONTAINER_CODE), "TF_CPP_MIN_LOG_LEVEL": "2",
                "BYOAL_EMBEDDING_CACHE": str(self.embedding_cache),
            }
            with open(log_path, "w", encoding="utf-8") as log_file:
                completed = subprocess.run(
                    [sys.executable, "-m", "byoal_model.train"], env=environment, stdout=log_file, stderr=subprocess.STDOUT
                )
            output = log_path.read_text(encoding="utf-8", errors="replace")
            if completed.returncode != 0:
                failure = opt_ml / "output" / "failure"
                reason = failure.read_text(encoding="utf-8").strip() if failure.exists() else f"exit code {completed.returncode}"
                raise TaskFailure(
                    TASK_FAILED,
                    json.dumps({"TrainingJobName": name, "TrainingJobStatus": "Failed", "FailureReason": reason}),
                )
            artifacts_uri = parameters["OutputDataConfig"]["S3OutputPath"].rstrip("/") + f"/{name}/output/model.tar.gz"
            packed = opt_ml / "model.tar.gz"
            with tarfile.open(packed, "w:gz") as archive:
                for path in sorted((opt_ml / "model").iterdir()):
                    archive.add(path, arcname=path.name)
            self.storage.put_file(artifacts_uri, packed)
        metrics = self._final_metrics(output, parameters.get("AlgorithmSpecification", {}).get("MetricDefinitions", []))
        return {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:local:000000000000:training-job/{name}",
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": artifacts_uri},
            "HyperParameters": parameters.get("HyperParameters", {}),
            "FinalMetricDataList": metrics,
            "TrainingTimeInSeconds": round(time.time() - started),
        }

    @staticmethod
    def _final_metrics(output: str, definitions: list[dict[str, str]]) -> list[dict[str, Any]]:
        """The last value each metric definition's regex matches in the training log, as SageMaker reports it."""
        metrics = []
        for definition in definitions:
            values = re.findall(definition["Regex"], output)
            if values:
                metrics.append({"MetricName": definition["Name"], "Value": float(values[-1])})
        return metrics

    def create_model(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        name = parameters["ModelName"]
        container = parameters["PrimaryContainer"]
        if "ModelDataUrl" not in container and container.get("Environment", {}).get(SERVE_MODE_ENV) != EMBED_MODE:
            raise TaskFailure(
                TASK_FAILED,
                f"model {name!r} has no ModelDataUrl: the bundled container serves without a model only with "
                f"Environment {SERVE_MODE_ENV}={EMBED_MODE}",
            )
        self.models[name] = container
        # Kept on disk too, as SageMaker keeps a model: a run resumed in another process may use it (EmbedRecords).
        path = self._model_file(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(container), encoding="utf-8")
        return {"ModelArn": f"arn:aws:sagemaker:local:000000000000:model/{name.lower()}"}

    def _model_file(self, name: str) -> Path:
        return self.workdir / "models" / f"{name}.json"

    def _predictor(self, model_name: str):
        if model_name not in self.models and self._model_file(model_name).exists():
            self.models[model_name] = json.loads(self._model_file(model_name).read_text(encoding="utf-8"))
        if model_name not in self.models:
            raise TaskFailure(TASK_FAILED, f"Could not find model '{model_name}'")
        if model_name not in self._predictors:
            container = self.models[model_name]
            environment = container.get("Environment", {})
            # Only the newest model is kept loaded: each round predicts with its own model once.
            if environment.get(SERVE_MODE_ENV) == EMBED_MODE:
                encoder_path = environment.get(ENCODER_PATH_ENV, "")
                predictor = load_embedding_service(encoder_path, embedding_cache=self.embedding_cache)
            else:
                model_dir = self.workdir / "models" / model_name
                model_dir.mkdir(parents=True, exist_ok=True)
                predictor = load_packed_model(
                    self.storage.path(container["ModelDataUrl"]), model_dir, embedding_cache=self.embedding_cache
                )
            self._predictors = {model_name: predictor}
        return self._predictors[model_name]

    def create_transform_job(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        predictor = self._predictor(parameters["ModelName"])
        source = parameters["TransformInput"]["DataSource"]["S3DataSource"]
        if parameters.get("BatchStrategy") != "MultiRecord" or parameters["TransformInput"].get("SplitType") != "Line":
            raise TaskFailure(TASK_FAILED, "the local transform supports BatchStrategy MultiRecord with SplitType Line")
        processing = parameters.get("DataProcessing", {})
        input_filter = processing.get("InputFilter", "$")
        output_filter = processing.get("OutputFilter", "$")
        join = processing.get("JoinSource", "None") == "Input"
        max_payload = int(parameters.get("MaxPayloadInMB", 6)) * 1024 * 1024
        output_prefix = parameters["TransformOutput"]["S3OutputPath"].rstrip("/") + "/"
        input_prefix = source["S3Uri"]
        embedder = getattr(predictor, "embedder", None)
        before = embedder.counts.as_dict() if embedder is not None else None
        records_in = 0
        for uri in self.storage.list(input_prefix):
            _, key = split_uri(uri)
            target = output_prefix + Path(key).name + ".out"
            with self.storage.open_read(uri) as stream, self.storage.open_write(target) as sink:
                for batch in self._batches(iter_lines(stream), max_payload):
                    records = [json.loads(line) for line in batch]
                    records_in += len(records)
                    body = b"\n".join(
                        json.dumps(select_fields(record, input_filter, field="InputFilter")).encode("utf-8") for record in records
                    )
                    predictions = predictor.predict_jsonlines(body).splitlines()
                    if len(predictions) != len(records):
                        raise TaskFailure(TASK_FAILED, f"the model answered {len(predictions)} lines for {len(records)}")
                    for record, prediction in zip(records, predictions):
                        output = json.loads(prediction)
                        joined = {**record, "SageMakerOutput": output} if join else output
                        sink.write(json.dumps(select_fields(joined, output_filter, field="OutputFilter"), ensure_ascii=False).encode("utf-8") + b"\n")
        self._write_transform_log(parameters["TransformJobName"], records_in, embedder, before)
        return {
            "TransformJobName": parameters["TransformJobName"],
            "TransformJobArn": f"arn:aws:sagemaker:local:000000000000:transform-job/{parameters['TransformJobName']}",
            "TransformJobStatus": "Completed",
            "TransformOutput": parameters["TransformOutput"],
        }

    def _write_transform_log(self, name: str, records: int, embedder: Any, before: dict[str, int] | None) -> None:
        """``logs/<job>.log``: the records the job read and, for a model that reads sentence embeddings, where this
        job's came from, in the words of the training log (``embeddings: 0 encoded, 0 from the cache, 500 from the
        records``)."""
        lines = [f"records: {records}"]
        if embedder is not None and before is not None:
            after = embedder.counts.as_dict()
            counts = {key: after[key] - before[key] for key in after}
            lines.append(
                "embeddings: {encoded} encoded, {cached} from the cache, {precomputed} from the records".format(**counts)
            )
        log_path = self.workdir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @staticmethod
    def _batches(lines, max_payload: int):
        batch: list[bytes] = []
        size = 0
        for line in lines:
            if not line.strip():
                continue
            if batch and size + len(line) + 1 > max_payload:
                yield batch
                batch, size = [], 0
            batch.append(line)
            size += len(line) + 1
        if batch:
            yield batch
