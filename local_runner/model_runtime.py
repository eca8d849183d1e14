"""How the offline runner runs a model: the seam between its SageMaker stand-in and the model's code.

``local_runner.sagemaker`` does what SageMaker does around a model — lays out the training job's
``/opt/ml`` tree, packs ``model.tar.gz``, unpacks it for a model, splits a transform's input into
MultiRecord batches, joins and filters the answers. A :class:`ModelRuntime` does the rest: run the
training program on that tree, and answer ``/invocations`` bodies for a model. Two runtimes:

* :class:`InProcessRuntime` (the default): the bundled container (``container/``) — its ``train``
  as ``python -m byoal_model.train`` in a subprocess, its serving code (``Predictor``,
  ``EmbeddingService``) imported into this process, so a transform costs no server start-up;
* :class:`ProcessRuntime`: any container through its SageMaker contract (container/README.md,
  *How the offline runner runs a model*), its two programs run as local processes — the training
  command on a SageMaker-shaped directory, the serving command as an HTTP server that gets
  ``GET /ping`` and ``POST /invocations`` on a free local port. Docker is not needed.

Both give the program the directory SageMaker would mount at ``/opt/ml`` in ``$OPT_ML_DIR``, and
the run's sentence-embedding cache in ``$BYOAL_EMBEDDING_CACHE`` (a container may ignore it).
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any, Protocol

from asl_interpreter import TaskFailure
from byoal.errors import InputError
from byoal.hyperparameters import LOCAL_BUNDLED_IMAGE

REPO = Path(__file__).resolve().parents[1]
CONTAINER_CODE = REPO / "container"
TASK_FAILED = "States.TaskFailed"
OPT_ML_ENV = "OPT_ML_DIR"
"""The root of the ``/opt/ml`` tree for the program (container/byoal_model/paths.py reads it; default /opt/ml)."""
EMBEDDING_CACHE_ENV = "BYOAL_EMBEDDING_CACHE"
PORT_ENV = "SAGEMAKER_BIND_TO_PORT"
SERVE_MODE_ENV = "BYOAL_SERVE_MODE"
EMBED_MODE = "embed"
ENCODER_PATH_ENV = "BYOAL_ENCODER_PATH"
"""The bundled container's serving settings (container/byoal_model/serve.py) that the in-process runtime reads."""
JSONLINES = "application/jsonlines"
LOCAL_COMMANDS_IMAGE = "byoal-local/model-commands:latest"
"""The image name the definitions get for a container run by :class:`ProcessRuntime`: not the bundled one, so the
workflow treats it as an image of the user's own (hyperparameters unchecked, no embed step unless asked for)."""


class ModelServer(Protocol):
    """A model ready to answer ``/invocations`` bodies (one transform job's use of it)."""

    def invoke(self, body: bytes, *, content_type: str, accept: str) -> bytes:
        """The model's answer to one MultiRecord request ``body`` (``content_type``, e.g. application/jsonlines).

        Raises TaskFailure (States.TaskFailed) if the model refuses the request or cannot answer.
        """
        ...

    def embedding_counts(self) -> dict[str, int] | None:
        """How many sentence embeddings the model has taken from each source so far, ``{"encoded", "cached",
        "precomputed"}`` (byoal_model.embeddings), or None if the runtime cannot see inside the model."""
        ...


class ModelRuntime(Protocol):
    """What CreateTrainingJob, CreateModel and CreateTransformJob need from a model, offline."""

    image: str
    """The training and inference image name the definitions are given (an ECR URI on AWS)."""

    def train(self, opt_ml: Path, *, environment: Mapping[str, str], log: IO[bytes]) -> int:
        """Run the training program on the SageMaker-shaped tree ``opt_ml`` (``input/config/hyperparameters.json``,
        ``input/data/<channel>/``; it writes ``model/`` or ``output/failure``) with ``environment`` added to this
        process's, its output in ``log``; return its exit code. Raises TaskFailure if the program cannot start."""
        ...

    def check_model(self, name: str, container: Mapping[str, Any]) -> None:
        """Refuse (TaskFailure) a CreateModel ``PrimaryContainer`` this runtime cannot serve."""
        ...

    def serve(
        self, name: str, container: Mapping[str, Any], opt_ml: Path, *, environment: Mapping[str, str], log_path: Path
    ) -> AbstractContextManager[ModelServer]:
        """Model ``name`` (its CreateModel ``container``), unpacked in ``opt_ml/model`` (empty without
        ``ModelDataUrl``), ready to answer for the duration of the ``with`` block; ``environment`` as for ``train``;
        what the server prints goes to ``log_path``. Raises TaskFailure if it cannot be started."""
        ...


class _InProcessServer:
    def __init__(self, predictor: Any) -> None:
        self.predictor = predictor

    def invoke(self, body: bytes, *, content_type: str, accept: str) -> bytes:
        if content_type != JSONLINES:
            raise TaskFailure(TASK_FAILED, f"the bundled model in-process reads {JSONLINES}, not {content_type}")
        return self.predictor.predict_jsonlines(body)

    def embedding_counts(self) -> dict[str, int] | None:
        embedder = getattr(self.predictor, "embedder", None)
        return embedder.counts.as_dict() if embedder is not None else None


def _container_on_path() -> None:
    if str(CONTAINER_CODE) not in sys.path:
        sys.path.insert(0, str(CONTAINER_CODE))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_embedding_service(encoder_path: str, *, embedding_cache: Path | None = None) -> Any:
    """The bundled container's ``embed`` serving mode (EmbeddingService) over its encoder (``encoder_path``; "" for
    the bundled one), sharing the run's cache ``embedding_cache`` (None: none).

    Raises byoal_model.encoder.EncoderError if the encoder is missing or fails its pinned hash.
    """
    _container_on_path()
    from byoal_model.embeddings import Embedder, EmbeddingCache
    from byoal_model.encoder import load_encoder
    from byoal_model.predictor import EmbeddingService

    encoder = load_encoder(encoder_path)
    cache = EmbeddingCache(embedding_cache, encoder.encoder_id) if embedding_cache is not None else None
    return EmbeddingService(Embedder(encoder, cache))


def load_model_dir(model_dir: Path, *, embedding_cache: Path | None = None) -> Any:
    """The bundled container's Predictor over an unpacked model directory (``model.joblib`` or ``model.keras`` and
    ``metadata.json``), imported from container/ as the image has it on its path; ``embedding_cache``: a folder of
    sentence embeddings shared across the run (None: none).

    Raises byoal_model.encoder.EncoderError if the model's encoder is missing or not the one it was trained with.
    """
    _container_on_path()
    from byoal_model.predictor import Predictor

    return Predictor.load(model_dir, embedding_cache=embedding_cache)


def load_packed_model(archive: Path, directory: Path, *, embedding_cache: Path | None = None) -> Any:
    """The bundled container's Predictor over a ``model.tar.gz``, unpacked into ``directory`` (see load_model_dir)."""
    with tarfile.open(archive) as packed:
        packed.extractall(directory, filter="data")
    return load_model_dir(directory, embedding_cache=embedding_cache)


class InProcessRuntime:
    """The bundled container (``container/``): ``train`` in a subprocess, its serving code in this process.

    The newest model stays loaded between transform jobs (each round predicts with its own model once).
    """

    image = LOCAL_BUNDLED_IMAGE

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}

    def train(self, opt_ml: Path, *, environment: Mapping[str, str], log: IO[bytes]) -> int:
        """``python -m byoal_model.train`` from container/ on ``opt_ml`` (see :meth:`ModelRuntime.train`)."""
        environment = {
            **os.environ, **environment, OPT_ML_ENV: str(opt_ml), "PYTHONPATH": str(CONTAINER_CODE),
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        command = [sys.executable, "-m", "byoal_model.train"]
        return subprocess.run(command, env=environment, stdout=log, stderr=subprocess.STDOUT).returncode

    def check_model(self, name: str, container: Mapping[str, Any]) -> None:
        """A model without ``ModelDataUrl`` must be the container's embed mode (``BYOAL_SERVE_MODE=embed``)."""
        if "ModelDataUrl" not in container and container.get("Environment", {}).get(SERVE_MODE_ENV) != EMBED_MODE:
            raise TaskFailure(
                TASK_FAILED,
                f"model {name!r} has no ModelDataUrl: the bundled container serves without a model only with "
                f"Environment {SERVE_MODE_ENV}={EMBED_MODE}",
            )

    @contextmanager
    def serve(
        self, name: str, container: Mapping[str, Any], opt_ml: Path, *, environment: Mapping[str, str], log_path: Path
    ) -> Iterator[ModelServer]:
        """The model's Predictor (or EmbeddingService in embed mode), loaded once; ``log_path`` is not written."""
        if name not in self._loaded:
            settings = container.get("Environment", {})
            cache = Path(environment[EMBEDDING_CACHE_ENV]) if EMBEDDING_CACHE_ENV in environment else None
            if settings.get(SERVE_MODE_ENV) == EMBED_MODE:
                predictor = load_embedding_service(settings.get(ENCODER_PATH_ENV, ""), embedding_cache=cache)
            else:
                predictor = load_model_dir(opt_ml / "model", embedding_cache=cache)
            self._loaded = {name: predictor}
        yield _InProcessServer(self._loaded[name])


class _HttpServer:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    def invoke(self, body: bytes, *, content_type: str, accept: str) -> bytes:
        headers = {"Content-Type": content_type, "Accept": accept}
        request = urllib.request.Request(f"{self.url}/invocations", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            answer = error.read().decode("utf-8", errors="replace").strip()[:1000]
            message = f"the model server answered /invocations with {error.code}: {answer}"
            raise TaskFailure(TASK_FAILED, message) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TaskFailure(TASK_FAILED, f"the model server did not answer /invocations: {error}") from None

    def embedding_counts(self) -> dict[str, int] | None:
        return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class ProcessRuntime:
    """Any container through its SageMaker contract, its ``train`` and ``serve`` programs run as local processes.

    ``train_command`` and ``serve_command``: the programs' argument lists (what ``docker run <image> train`` and
    ``... serve`` run), started with this process's working directory and environment plus ``$OPT_ML_DIR`` (the
    ``/opt/ml`` tree's root), ``$SAGEMAKER_BIND_TO_PORT`` (serve: the port to listen on, on 127.0.0.1 or all
    interfaces), the model's ``Environment`` (serve) and ``$BYOAL_EMBEDDING_CACHE``. ``ready_seconds``: how long
    the server may take to answer ``GET /ping`` with 200 (SageMaker allows a transform's container 600 s too);
    ``invocation_seconds``: per ``/invocations`` request (SageMaker's default for a transform: 600 s).
    """

    image = LOCAL_COMMANDS_IMAGE

    def __init__(
        self,
        train_command: Sequence[str],
        serve_command: Sequence[str],
        *,
        ready_seconds: float = 600.0,
        invocation_seconds: float = 600.0,
    ) -> None:
        if not train_command or not serve_command:
            raise InputError("a container run as processes needs both its training and its serving command")
        self.train_command = list(train_command)
        self.serve_command = list(serve_command)
        self.ready_seconds = ready_seconds
        self.invocation_seconds = invocation_seconds

    def train(self, opt_ml: Path, *, environment: Mapping[str, str], log: IO[bytes]) -> int:
        """The training command on ``opt_ml`` (see :meth:`ModelRuntime.train`)."""
        try:
            completed = subprocess.run(
                self.train_command, env={**os.environ, **environment, OPT_ML_ENV: str(opt_ml)},
                stdout=log, stderr=subprocess.STDOUT,
            )
        except OSError as error:
            message = f"the training command {shlex.join(self.train_command)!r} could not start: {error}"
            raise TaskFailure(TASK_FAILED, message) from None
        return completed.returncode

    def check_model(self, name: str, container: Mapping[str, Any]) -> None:
        """Every model SageMaker accepts: without ``ModelDataUrl`` the server starts with an empty ``model/``."""

    @contextmanager
    def serve(
        self, name: str, container: Mapping[str, Any], opt_ml: Path, *, environment: Mapping[str, str], log_path: Path
    ) -> Iterator[ModelServer]:
        """The serving command, started for the ``with`` block and stopped (its whole process group) after it."""
        port = _free_port()
        settings = {**os.environ, **environment, **container.get("Environment", {})}
        settings.update({OPT_ML_ENV: str(opt_ml), PORT_ENV: str(port)})
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            try:
                process = subprocess.Popen(
                    self.serve_command, env=settings, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            except OSError as error:
                raise TaskFailure(
                    TASK_FAILED, f"the serving command {shlex.join(self.serve_command)!r} could not start: {error}"
                ) from None
            try:
                url = f"http://127.0.0.1:{port}"
                self._wait_until_ready(process, url, log_path, name)
                yield _HttpServer(url, self.invocation_seconds)
            finally:
                _stop(process)

    def _wait_until_ready(self, process: subprocess.Popen[bytes], url: str, log_path: Path, name: str) -> None:
        deadline = time.monotonic() + self.ready_seconds
        while True:
            if process.poll() is not None:
                raise TaskFailure(
                    TASK_FAILED,
                    f"the model server for {name!r} exited with code {process.returncode} before it was ready; "
                    f"its last lines ({log_path}):\n{_tail(log_path)}",
                )
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                raise TaskFailure(
                    TASK_FAILED,
                    f"the model server for {name!r} did not answer GET /ping with 200 "
                    f"within {self.ready_seconds:.0f} s; "
                    f"its last lines ({log_path}):\n{_tail(log_path)}",
                )
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes], grace_seconds: float = 10.0) -> None:
    """SIGTERM to the server's process group (a server may fork workers), SIGKILL after ``grace_seconds``."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    try:
        # Workers left behind by a server that exited on its own.
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def from_commands(train_command: str | None, serve_command: str | None) -> ModelRuntime:
    """The runtime ``scripts.run_local``'s options choose: :class:`ProcessRuntime` over the two commands (shell-style
    words, e.g. ``"python my_model/train.py"``), or :class:`InProcessRuntime` if neither is given.

    Raises InputError if only one is given, or one does not split into words (unbalanced quotes).
    """
    if train_command is None and serve_command is None:
        return InProcessRuntime()
    if train_command is None or serve_command is None:
        raise InputError("--model-train-command and --model-serve-command go together: give both, or neither")
    try:
        return ProcessRuntime(shlex.split(train_command), shlex.split(serve_command))
    except ValueError as error:
        raise InputError(f"--model-train-command/--model-serve-command: {error}") from None
