"""Local stand-ins for the SageMaker jobs the ActiveLearning state machine runs.

What SageMaker does around a model is done here; the model itself is run by a
:class:`~local_runner.model_runtime.ModelRuntime` (the bundled container in-process by default, or any
container's ``train`` and ``serve`` programs as local processes):

* ``createTrainingJob.sync``: the channels and ``hyperparameters.json`` laid out in a temporary
  ``/opt/ml`` tree (``$OPT_ML_DIR``), the runtime's training program run on it; its ``model/`` is
  packed as ``model.tar.gz`` at ``<S3OutputPath><TrainingJobName>/output/model.tar.gz``, where
  SageMaker puts it, or ``output/failure`` becomes the job's ``FailureReason``.
* ``createModel``: remembers the model's container (artifacts, ``Environment``) under its name, also in
  ``<workdir>/models/<name>.json`` so that a run resumed in another process finds it; the runtime
  may refuse a container it cannot serve (the in-process one: no ``ModelDataUrl`` outside the
  container's ``embed`` mode, ``BYOAL_SERVE_MODE=embed``).
* ``createTransformJob.sync``: the model's ``model.tar.gz`` unpacked in ``<workdir>/models/<name>/model``
  and served by the runtime over the transform input, in MultiRecord batches of at most
  ``MaxPayloadInMB``, with InputFilter, JoinSource and OutputFilter applied as SageMaker applies
  them; output ``<S3OutputPath><input file>.out``. Each job writes ``<workdir>/logs/<job name>.log``:
  its record count and, where the runtime sees them, where its sentence embeddings came from
  (a model served as a process logs to ``<workdir>/logs/<job name>.serve.log``).

Both share the run's sentence-embedding cache, ``<workdir>/embedding-cache`` (the container's
``BYOAL_EMBEDDING_CACHE``): the frozen encoder runs once per record per run, not once per round.
"""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng import parse as parse_jsonpath
from jsonpath_ng.jsonpath import Child, Fields, Index, Root, Slice, Wildcard

from asl_interpreter import TaskContext, TaskFailure
from byoal.manifest import iter_lines
from byoal.storage import LocalStorage, split_uri
from local_runner.model_runtime import EMBEDDING_CACHE_ENV, JSONLINES, InProcessRuntime, ModelRuntime

TASK_FAILED = "States.TaskFailed"
EMBEDDING_CACHE = "embedding-cache"
"""The run's sentence-embedding cache, a folder in the run's work directory."""
_SELECTORS = (Fields, Index, Slice, Wildcard)
"""The JSONPath steps SageMaker's batch transform takes after ``$``: ``.name`` or ``['name', ...]``, ``[index, ...]``,
``[start:end]``, ``*`` (https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html,
Supported JSONPath Operators); not ``..``, filters, ``@`` or jsonpath-ng's extensions."""


@lru_cache(maxsize=64)
def _compile_filter(expression: str, field: str) -> JSONPath:
    """``expression`` parsed; TaskFailure naming ``field`` if it is not one SageMaker's batch transform takes."""
    refusal = f"{field} {expression!r} is not a JSONPath SageMaker's batch transform takes"
    try:
        parsed = parse_jsonpath(expression)
    except Exception as error:
        raise TaskFailure(TASK_FAILED, f"{refusal}: {error}") from None
    node = parsed
    while isinstance(node, Child) and isinstance(node.right, _SELECTORS):
        node = node.left
    if type(node) is not Root or not expression.startswith("$"):
        raise TaskFailure(TASK_FAILED, f"{refusal} ($ followed by .name, ['name',...], [index,...], [start:end] or *)")
    return parsed


def _definite(path: JSONPath) -> bool:
    """Whether ``path`` names at most one node: each step one field name or one index."""
    while isinstance(path, Child):
        step = path.right
        single = (type(step) is Fields and len(step.fields) == 1) or (type(step) is Index and len(step.indices) == 1)
        if not single:
            return False
        path = path.left
    return True


def select_fields(record: Any, expression: str, *, field: str, where: str = "a record") -> Any:
    """``record`` through a batch transform's InputFilter or OutputFilter (``field``) ``expression``, as SageMaker
    applies it to a JSON record: ``$`` the record; a path naming one node (``$.key``, ``$.a.b``, ``$['key']``,
    ``$[0]``) that node; a last step naming several fields (``$['a','b']``) an object of those the record has,
    in the expression's order; indices, slices and ``*`` the list of what they match.

    Raises TaskFailure (States.TaskFailed) for an expression SageMaker does not take (``..``, filters), or a
    single-node path ``where`` (e.g. ``"line 3 of s3://.../input.jsonl"``) lacks.
    """
    path = _compile_filter(expression, field)
    if type(path) is Root:
        return record
    if isinstance(path, Child) and type(path.right) is Fields and len(path.right.fields) > 1 and _definite(path.left):
        parents = [match.value for match in path.left.find(record)]
        if not parents or not isinstance(parents[0], dict):
            raise TaskFailure(TASK_FAILED, f"{field} {expression!r}: {where} has no object at {path.left}")
        return {key: parents[0][key] for key in path.right.fields if key in parents[0]}
    matches = [match.value for match in path.find(record)]
    if not _definite(path):
        return matches
    if not matches:
        raise TaskFailure(TASK_FAILED, f"{field} {expression!r} matches nothing in {where}")
    return matches[0]


class LocalSageMaker:
    """The SageMaker operations the definitions call, on local storage, with ``runtime`` running the model.

    ``workdir``: the run's work directory (models, logs, the embedding cache); ``scratch``: where training jobs'
    ``/opt/ml`` trees are made and removed; ``runtime``: the bundled container in-process unless given.
    """

    def __init__(
        self,
        storage: LocalStorage,
        workdir: Path,
        *,
        scratch: Path,
        log: Callable[[str], None] = print,
        runtime: ModelRuntime | None = None,
    ) -> None:
        self.storage = storage
        self.workdir = workdir
        self.scratch = scratch
        self.log = log
        self.runtime: ModelRuntime = runtime if runtime is not None else InProcessRuntime()
        self.embedding_cache = workdir / EMBEDDING_CACHE
        self.models: dict[str, dict[str, Any]] = {}

    def _download_prefix(self, prefix_uri: str, target: Path) -> int:
        target.mkdir(parents=True, exist_ok=True)
        uris = self.storage.list(prefix_uri)
        for uri in uris:
            relative = uri[len(prefix_uri.rstrip("/")) + 1:] if uri != prefix_uri else Path(uri).name
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(self.storage.path(uri).read_bytes())
        return len(uris)

    def _environment(self) -> dict[str, str]:
        """What every model program gets besides ``$OPT_ML_DIR``: the run's embedding cache."""
        return {EMBEDDING_CACHE_ENV: str(self.embedding_cache)}

    def create_training_job(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        """CreateTrainingJob (``.sync``): DescribeTrainingJob's answer for the completed job.

        Raises TaskFailure (States.TaskFailed) with the failed job's description, its ``FailureReason`` the
        program's ``output/failure`` (or its exit code), or for a channel that is not an S3Prefix.
        """
        name = parameters["TrainingJobName"]
        started = time.time()
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=self.scratch) as scratch:
            opt_ml = Path(scratch)
            config = opt_ml / "input" / "config"
            config.mkdir(parents=True)
            (config / "hyperparameters.json").write_text(json.dumps(parameters.get("HyperParameters", {})))
            channels = {c["ChannelName"]: {"ContentType": c.get("ContentType")} for c in parameters["InputDataConfig"]}
            (config / "inputdataconfig.json").write_text(json.dumps(channels))
            for channel in parameters["InputDataConfig"]:
                source = channel["DataSource"]["S3DataSource"]
                if source["S3DataType"] != "S3Prefix":
                    message = f"the local training job reads S3Prefix channels, not {source['S3DataType']}"
                    raise TaskFailure(TASK_FAILED, message)
                self._download_prefix(source["S3Uri"], opt_ml / "input" / "data" / channel["ChannelName"])
            (opt_ml / "model").mkdir()
            (opt_ml / "output").mkdir()
            log_path = self.workdir / "logs" / f"{name}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "wb") as log_file:
                returncode = self.runtime.train(opt_ml, environment=self._environment(), log=log_file)
            output = log_path.read_text(encoding="utf-8", errors="replace")
            if returncode != 0:
                failure = opt_ml / "output" / "failure"
                reason = failure.read_text(encoding="utf-8").strip() if failure.exists() else f"exit code {returncode}"
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
        """CreateModel: ``{"ModelArn"}``; TaskFailure if the runtime cannot serve the ``PrimaryContainer``."""
        name = parameters["ModelName"]
        container = parameters["PrimaryContainer"]
        self.runtime.check_model(name, container)
        self.models[name] = container
        # Kept on disk too, as SageMaker keeps a model: a run resumed in another process may use it (EmbedRecords).
        path = self._model_file(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(container), encoding="utf-8")
        return {"ModelArn": f"arn:aws:sagemaker:local:000000000000:model/{name.lower()}"}

    def _model_file(self, name: str) -> Path:
        return self.workdir / "models" / f"{name}.json"

    def _model(self, name: str) -> tuple[dict[str, Any], Path]:
        """The model's container and its ``/opt/ml`` root, ``model/`` holding its unpacked ``model.tar.gz`` (empty
        without ``ModelDataUrl``), as SageMaker unpacks it before starting the container."""
        if name not in self.models and self._model_file(name).exists():
            self.models[name] = json.loads(self._model_file(name).read_text(encoding="utf-8"))
        if name not in self.models:
            raise TaskFailure(TASK_FAILED, f"Could not find model '{name}'")
        container = self.models[name]
        opt_ml = self.workdir / "models" / name
        model_dir = opt_ml / "model"
        if not model_dir.exists():
            unpacking = opt_ml / "model.partial"
            shutil.rmtree(unpacking, ignore_errors=True)
            unpacking.mkdir(parents=True)
            if "ModelDataUrl" in container:
                with tarfile.open(self.storage.path(container["ModelDataUrl"])) as packed:
                    packed.extractall(unpacking, filter="data")
            unpacking.rename(model_dir)
        return container, opt_ml

    def create_transform_job(self, parameters: dict[str, Any], context: TaskContext) -> dict[str, Any]:
        """CreateTransformJob (``.sync``): DescribeTransformJob's answer for the completed job.

        Raises TaskFailure (States.TaskFailed) for a model that does not exist, settings other than MultiRecord
        batches of lines, a filter SageMaker would refuse, or a model that does not answer one line per record.
        """
        name = parameters["TransformJobName"]
        container, opt_ml = self._model(parameters["ModelName"])
        source = parameters["TransformInput"]["DataSource"]["S3DataSource"]
        if parameters.get("BatchStrategy") != "MultiRecord" or parameters["TransformInput"].get("SplitType") != "Line":
            raise TaskFailure(TASK_FAILED, "the local transform supports BatchStrategy MultiRecord with SplitType Line")
        processing = parameters.get("DataProcessing", {})
        input_filter = processing.get("InputFilter", "$")
        output_filter = processing.get("OutputFilter", "$")
        join = processing.get("JoinSource", "None") == "Input"
        max_payload = int(parameters.get("MaxPayloadInMB", 6)) * 1024 * 1024
        content_type = parameters["TransformInput"].get("ContentType", JSONLINES)
        accept = parameters["TransformOutput"].get("Accept", JSONLINES)
        output_prefix = parameters["TransformOutput"]["S3OutputPath"].rstrip("/") + "/"
        records_in = 0
        server_log = self.workdir / "logs" / f"{name}.serve.log"
        with self.runtime.serve(
            parameters["ModelName"], container, opt_ml, environment=self._environment(), log_path=server_log
        ) as server:
            before = server.embedding_counts()
            for uri in self.storage.list(source["S3Uri"]):
                _, key = split_uri(uri)
                target = output_prefix + Path(key).name + ".out"
                with self.storage.open_read(uri) as stream, self.storage.open_write(target) as sink:
                    line_number = 0
                    for batch in self._batches(iter_lines(stream), max_payload):
                        records = [json.loads(line) for line in batch]
                        records_in += len(records)
                        places = [f"line {line_number + index + 1} of {uri}" for index in range(len(records))]
                        line_number += len(records)
                        selected = [
                            select_fields(record, input_filter, field="InputFilter", where=place)
                            for record, place in zip(records, places, strict=True)
                        ]
                        body = b"\n".join(json.dumps(inputs).encode("utf-8") for inputs in selected)
                        predictions = server.invoke(body, content_type=content_type, accept=accept).splitlines()
                        if len(predictions) != len(records):
                            message = f"the model answered {len(predictions)} lines for {len(records)}"
                            raise TaskFailure(TASK_FAILED, message)
                        for record, prediction, place in zip(records, predictions, places, strict=True):
                            output = json.loads(prediction)
                            joined = {**record, "SageMakerOutput": output} if join else output
                            selected = select_fields(joined, output_filter, field="OutputFilter", where=place)
                            sink.write(json.dumps(selected, ensure_ascii=False).encode("utf-8") + b"\n")
            after = server.embedding_counts()
        self._write_transform_log(name, records_in, before, after)
        return {
            "TransformJobName": name,
            "TransformJobArn": f"arn:aws:sagemaker:local:000000000000:transform-job/{name}",
            "TransformJobStatus": "Completed",
            "TransformOutput": parameters["TransformOutput"],
        }

    def _write_transform_log(
        self, name: str, records: int, before: dict[str, int] | None, after: dict[str, int] | None
    ) -> None:
        """``logs/<job>.log``: the records the job read and, for a model whose sentence embeddings the runtime sees,
        where this job's came from, in the words of the training log (``embeddings: 0 encoded, 0 from the cache,
        500 from the records``)."""
        lines = [f"records: {records}"]
        if before is not None and after is not None:
            counts = {key: after[key] - before[key] for key in after}
            sources = "embeddings: {encoded} encoded, {cached} from the cache, {precomputed} from the records"
            lines.append(sources.format(**counts))
        log_path = self.workdir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @staticmethod
    def _batches(lines: Iterable[bytes], max_payload: int) -> Iterator[list[bytes]]:
        """Non-blank ``lines`` in MultiRecord batches of at most ``max_payload`` bytes (newlines included), as
        SageMaker fills a request; a longer line goes alone."""
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
