"""Helpers for the container tests: /opt/ml trees, the train and serve processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
CONTAINER = REPO / "container"
LABEL_NAMES = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def channel_records(rows: list[tuple[str, int]], attribute: str = "category") -> list[dict[str, Any]]:
    return [{"source": text, attribute: label} for text, label in rows]


def make_opt_ml(
    root: Path,
    *,
    train: list[tuple[str, int]],
    validation: list[tuple[str, int]],
    hyperparameters: dict[str, Any] | None = None,
) -> Path:
    """An /opt/ml tree with one file per channel and the given hyperparameters.json."""
    write_jsonl(root / "input" / "data" / "train" / "train.jsonl", channel_records(train))
    write_jsonl(root / "input" / "data" / "validation" / "validation.jsonl", channel_records(validation))
    config = root / "input" / "config" / "hyperparameters.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(hyperparameters or {}), encoding="utf-8")
    return root


def container_environment(opt_ml: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(CONTAINER),
        "OPT_ML_DIR": str(opt_ml),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **extra,
    }


def run_train(opt_ml: Path, command: list[str] | None = None) -> subprocess.CompletedProcess:
    """Training as the offline runner starts it: ``python -m byoal_model.train``."""
    return subprocess.run(
        command or [sys.executable, "-m", "byoal_model.train"],
        env=container_environment(opt_ml),
        capture_output=True,
        text=True,
        timeout=600,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_status(url: str, accepted: set[int], *, timeout: float, streak: int = 1) -> int:
    """Poll until ``url`` answers one of ``accepted`` ``streak`` times in a row; return that status."""
    deadline, seen = time.monotonic() + timeout, 0
    while True:
        try:
            status = requests.get(url, timeout=5).status_code
        except requests.ConnectionError:
            status = None
        seen = seen + 1 if status in accepted else 0
        if seen >= streak:
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer {sorted(accepted)} within {timeout} s (last: {status})")
        time.sleep(0.05 if seen else 0.25)
