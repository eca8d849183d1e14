"""The model directory: the model file plus ``metadata.json``, published together or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MODEL_FILE = "model.keras"
LINEAR_MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
MODEL_FILES = (LINEAR_MODEL_FILE, MODEL_FILE)
"""One of them holds the model: ``model.joblib`` for ``minilm-tfidf``, ``model.keras`` for ``keras-scratch``."""


@contextmanager
def staged_files(model_dir: Path) -> Iterator[Path]:
    """A scratch folder inside ``model_dir`` whose files move into it only if the block succeeds.

    ``metadata.json`` moves last, so its presence marks a complete model.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    # Inside model_dir, not /tmp: os.replace only moves files atomically within one file system.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        yield staging
        staged = sorted(staging.iterdir(), key=lambda path: path.name == METADATA_FILE)
        for path in staged:
            os.replace(path, model_dir / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_metadata(directory: Path, metadata: dict[str, Any]) -> None:
    """Write ``metadata`` (JSON-serializable) to ``<directory>/metadata.json``, indented."""
    (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")


def read_metadata(model_dir: Path) -> dict[str, Any]:
    """``<model_dir>/metadata.json``, parsed; raises :class:`OSError` when missing, ``JSONDecodeError`` if not JSON."""
    return json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))


def is_complete(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds ``metadata.json`` and one of :data:`MODEL_FILES`."""
    return (model_dir / METADATA_FILE).is_file() and any((model_dir / name).is_file() for name in MODEL_FILES)
