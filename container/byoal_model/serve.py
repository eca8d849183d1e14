"""``serve``: the SageMaker inference server, Flask under gunicorn.

* ``GET /ping``: 200 once this worker has loaded the model, 503 until then.
* ``POST /invocations``: ``application/jsonlines`` (also ``application/jsonl``,
  ``application/x-jsonlines``) gets one output line per input line, in order;
  ``application/json`` gets one JSON object for one record. Other types get 415, a malformed
  record 400 naming its line, a request before the model is loaded 503.
* ``GET /execution-parameters``: the batch-transform settings this server wants.

Settings come from ``MODEL_SERVER_WORKERS`` (default: CPU count), ``MODEL_SERVER_TIMEOUT``
(seconds, default 60) and ``SAGEMAKER_BIND_TO_PORT`` (default 8080); the model from ``$OPT_ML_DIR/model``.

``BYOAL_SERVE_MODE=embed`` (a transform job's ``Environment``) serves the sentence encoder instead
of a model: each output line is the record's ``byoal-embedding`` (predictor.EmbeddingService), and
no model directory is needed; ``BYOAL_ENCODER_PATH`` names an encoder folder other than the bundled one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from gunicorn.app.base import BaseApplication

from byoal_model import artifacts
from byoal_model.paths import MlPaths
from byoal_model.records import BadRecordError, encode_json

if TYPE_CHECKING:
    from byoal_model.predictor import EmbeddingService, Predictor

JSONLINES_TYPES = frozenset({"application/jsonlines", "application/jsonl", "application/x-jsonlines"})
JSON_TYPE = "application/json"
MAX_PAYLOAD_MB = 6
MODEL_POLL_SECONDS = 1.0
SERVE_MODE_ENV = "BYOAL_SERVE_MODE"
ENCODER_PATH_ENV = "BYOAL_ENCODER_PATH"
SERVE_MODES = ("predict", "embed")

log = logging.getLogger("byoal_model.serve")


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn's worker count and request timeout (seconds), the port, and the serving mode with its encoder."""

    workers: int
    timeout: int
    port: int
    mode: str = "predict"
    encoder_path: str = ""

    @classmethod
    def from_environment(cls) -> ServerSettings:
        """Read the variables in the module doc; exits (``SystemExit``) for an unknown ``BYOAL_SERVE_MODE``.

        A non-integer ``MODEL_SERVER_WORKERS``, ``MODEL_SERVER_TIMEOUT`` or port raises :class:`ValueError`.
        """
        mode = os.environ.get(SERVE_MODE_ENV) or "predict"
        if mode not in SERVE_MODES:
            raise SystemExit(f"{SERVE_MODE_ENV} is {mode!r}; expected one of {', '.join(SERVE_MODES)}")
        return cls(
            workers=int(os.environ.get("MODEL_SERVER_WORKERS") or os.cpu_count() or 1),
            timeout=int(os.environ.get("MODEL_SERVER_TIMEOUT") or 60),
            port=int(os.environ.get("SAGEMAKER_BIND_TO_PORT") or 8080),
            mode=mode,
            encoder_path=os.environ.get(ENCODER_PATH_ENV, ""),
        )


class ModelSlot:
    """A worker's predictor, filled in by a background thread so ``/ping`` answers while it loads."""

    def __init__(self, predictor: Predictor | EmbeddingService | None = None):
        self.predictor = predictor

    def load_in_background(self, model_dir: Path) -> threading.Thread:
        """Start (and return) a daemon thread that waits for a complete model in ``model_dir`` and loads it.

        A model that fails to load is logged and leaves the slot empty, so ``/ping`` stays 503.
        """
        thread = threading.Thread(target=self._load, args=(model_dir,), name="model-loader", daemon=True)
        thread.start()
        return thread

    def load_encoder_in_background(self, encoder_path: str) -> threading.Thread:
        """Start (and return) a daemon thread that loads the encoder (``""``: the bundled one) for ``embed`` mode."""
        thread = threading.Thread(target=self._load_encoder, args=(encoder_path,), name="encoder-loader", daemon=True)
        thread.start()
        return thread

    def _load_encoder(self, encoder_path: str) -> None:
        from byoal_model.predictor import EmbeddingService

        try:
            service = EmbeddingService.load(encoder_path)
        except Exception:
            log.exception("could not load the encoder; /ping stays 503")
            return
        self.predictor = service
        log.info("encoder loaded (%s): serving embeddings", service.embedder.encoder.encoder_id)

    def _load(self, model_dir: Path) -> None:
        # SageMaker unpacks the model before starting the container; waiting also serves a model
        # directory that is filled after start-up (metadata.json is written last).
        if not artifacts.is_complete(model_dir):
            log.warning("waiting for a model in %s", model_dir)
            while not artifacts.is_complete(model_dir):
                time.sleep(MODEL_POLL_SECONDS)
        # Imported here, in the worker, so the gunicorn master never starts TensorFlow or ONNX Runtime before forking.
        from byoal_model.predictor import Predictor

        try:
            predictor = Predictor.load(model_dir)
            # The first call traces the TensorFlow graph (Keras model); do it before /ping reports ready.
            predictor.predict_texts([""])
        except Exception:
            log.exception("could not load the model in %s; /ping stays 503", model_dir)
            return
        self.predictor = predictor
        log.info("model loaded from %s (%d classes)", model_dir, predictor.num_classes)


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def create_app(slot: ModelSlot, max_concurrent_transforms: int) -> Flask:
    """The Flask app with the three routes of the module doc, predicting with whatever ``slot`` holds.

    ``/execution-parameters`` answers ``max_concurrent_transforms``, ``MULTI_RECORD`` and 6 MB payloads.
    """
    app = Flask("byoal_model")

    @app.get("/ping")
    def ping() -> tuple[str, int]:
        return ("", 200) if slot.predictor is not None else ("", 503)

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return jsonify(
            MaxConcurrentTransforms=max_concurrent_transforms,
            BatchStrategy="MULTI_RECORD",
            MaxPayloadInMB=MAX_PAYLOAD_MB,
        )

    @app.post("/invocations")
    def invocations() -> Any:
        content_type = request.mimetype
        if content_type not in JSONLINES_TYPES and content_type != JSON_TYPE:
            accepted = ", ".join(sorted(JSONLINES_TYPES | {JSON_TYPE}))
            shown = repr(content_type) if content_type else "(none)"
            return _error(415, f"unsupported content type {shown}; use one of {accepted}")
        predictor = slot.predictor
        if predictor is None:
            return _error(503, "the model is not loaded (yet)")
        try:
            if content_type == JSON_TYPE:
                prediction = predictor.predict_json(request.get_data())
                return Response(encode_json(prediction), mimetype=JSON_TYPE)
            return Response(predictor.predict_jsonlines(request.get_data()), mimetype="application/jsonlines")
        except BadRecordError as error:
            return _error(400, str(error))

    return app


class GunicornServer(BaseApplication):
    """gunicorn with sync workers, configured from :class:`ServerSettings`; each worker loads its own model."""

    def __init__(self, settings: ServerSettings, model_dir: Path):
        self.settings = settings
        self.model_dir = model_dir
        super().__init__()

    def load_config(self) -> None:
        """Bind ``0.0.0.0:<port>`` with the settings' workers and timeout, sync workers, no control socket."""
        options = {
            "bind": f"0.0.0.0:{self.settings.port}",
            "workers": self.settings.workers,
            "timeout": self.settings.timeout,
            "worker_class": "sync",
            # Off so that several servers on one machine (tests, benchmarks) do not share one socket path.
            "control_socket_disable": True,
        }
        for name, value in options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        """The worker's app, its model (or encoder) loading in the background."""
        # Called in each worker after the fork: every worker loads its own model.
        slot = ModelSlot()
        if self.settings.mode == "embed":
            slot.load_encoder_in_background(self.settings.encoder_path)
        else:
            slot.load_in_background(self.model_dir)
        return create_app(slot, max_concurrent_transforms=self.settings.workers)


def main() -> None:
    """Serve until gunicorn is stopped; the model comes from ``$OPT_ML_DIR/model`` (default ``/opt/ml/model``)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(message)s")
    settings = ServerSettings.from_environment()
    model_dir = MlPaths.from_environment().model_dir
    served = "the sentence encoder (embed mode)" if settings.mode == "embed" else str(model_dir)
    log.info("serving %s on port %d with %d workers", served, settings.port, settings.workers)
    GunicornServer(settings, model_dir).run()


if __name__ == "__main__":
    main()
