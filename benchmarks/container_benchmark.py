"""Benchmark the bundled model container: training time, held-out accuracy, /invocations throughput.

Trains with ``python -m byoal_model.train`` on 8,000 labeled headlines (7,200 train + 800
validation, 5 epochs), scores a held-out 2,000, then starts the real gunicorn server
(``container/serve``) and posts MultiRecord bodies of 1,000 and 10,000 lines. Prints figures only.

    python benchmarks/container_benchmark.py [--data PATH] [--workers N] [--repeats N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[1]
CONTAINER = REPO / "container"
SAMPLE = REPO / "data" / "sample" / "uci_news_sample.csv.gz"
SHARED = Path("/work/shared/data/uci_news_dev.csv.gz")
CATEGORIES = ["b", "e", "m", "t"]
LABEL_NAMES = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]

sys.path[:0] = [str(REPO), str(CONTAINER)]

from benchmarks.active_learning.metrics import coverage_at_accuracy  # noqa: E402
from byoal_model.predictor import Predictor  # noqa: E402


def read_headlines(path: Path) -> list[tuple[str, int]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        return [(row["TITLE"], CATEGORIES.index(row["CATEGORY"])) for row in csv.DictReader(stream)]


def write_channel(directory: Path, rows: list[tuple[str, int]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "records.jsonl", "w", encoding="utf-8") as stream:
        for text, label in rows:
            stream.write(json.dumps({"source": text, "category": label}) + "\n")


def child_environment(opt_ml: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(CONTAINER), "OPT_ML_DIR": str(opt_ml), "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    bucket = np.minimum((confidence * bins).astype(int), bins - 1)
    return float(
        sum(
            (bucket == index).mean() * abs(correct[bucket == index].mean() - confidence[bucket == index].mean())
            for index in range(bins)
            if (bucket == index).any()
        )
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, timeout: float = 180.0) -> None:
    """Until /ping answers 200 several times in a row, so that every worker has loaded the model."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 10:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url}/ping did not answer 200 within {timeout} s")
        try:
            streak = streak + 1 if requests.get(f"{url}/ping", timeout=5).status_code == 200 else 0
        except requests.ConnectionError:
            streak = 0
        time.sleep(0.1 if streak else 0.5)


def throughput(url: str, texts: list[str], size: int, repeats: int) -> tuple[float, float]:
    """Median and best records per second for bodies of ``size`` lines."""
    lines = [json.dumps({"source": texts[index % len(texts)]}) for index in range(size)]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    headers = {"Content-Type": "application/jsonlines"}
    seconds = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        response = requests.post(f"{url}/invocations", data=body, headers=headers, timeout=120)
        seconds.append(time.perf_counter() - start)
        response.raise_for_status()
        returned = response.content.count(b"\n")
        if returned != size:
            raise RuntimeError(f"sent {size} lines, got {returned} back")
    timed = seconds[1:]  # the first request warms up the connection pool and the worker
    return size / statistics.median(timed), size / min(timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SAMPLE if SAMPLE.exists() else SHARED)
    parser.add_argument("--train-size", type=int, default=8000)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    rows = read_headlines(args.data)
    random.Random(0).shuffle(rows)
    if len(rows) < args.train_size + args.test_size:
        raise SystemExit(f"{args.data} has {len(rows)} rows; need {args.train_size + args.test_size}")
    labeled, held_out = rows[: args.train_size], rows[args.train_size : args.train_size + args.test_size]
    validation_size = args.train_size // 10
    print(f"data: {args.data} ({len(rows)} rows); cpus: {os.cpu_count()}")

    with tempfile.TemporaryDirectory(prefix="byoal-bench-") as scratch:
        opt_ml = Path(scratch)
        write_channel(opt_ml / "input" / "data" / "train", labeled[validation_size:])
        write_channel(opt_ml / "input" / "data" / "validation", labeled[:validation_size])
        (opt_ml / "input" / "config").mkdir(parents=True)
        (opt_ml / "input" / "config" / "hyperparameters.json").write_text(
            json.dumps({"epochs": str(args.epochs), "label_names": json.dumps(LABEL_NAMES)})
        )
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "byoal_model.train"],
            env=child_environment(opt_ml),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        train_seconds = time.perf_counter() - start
        metadata = json.loads((opt_ml / "model" / "metadata.json").read_text())
        print(
            f"training: {args.train_size} headlines ({args.train_size - validation_size} train + {validation_size} "
            f"validation), {metadata['epochs_run']} epochs: {train_seconds:.1f} s wall (process start to exit)"
        )

        predictor = Predictor.load(opt_ml / "model")
        texts, labels = [text for text, _ in held_out], np.array([label for _, label in held_out])
        predictor.predict_proba(texts[:10])  # traces the graph once
        start = time.perf_counter()
        probabilities = predictor.predict_proba(texts)
        predict_seconds = time.perf_counter() - start
        accuracy = float((probabilities.argmax(axis=1) == labels).mean())
        majority = np.bincount(labels).max() / len(labels)
        print(f"held-out accuracy: {accuracy:.4f} on {len(labels)} headlines (majority class {majority:.4f})")
        print(
            f"held-out confidence: coverage at 95% accuracy {coverage_at_accuracy(probabilities, labels, 0.95):.3f}, "
            f"expected calibration error {expected_calibration_error(probabilities, labels):.4f}"
        )
        print(f"in-process predict_proba: {len(texts) / predict_seconds:,.0f} records/s")

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, str(CONTAINER / "serve")],
            env=child_environment(opt_ml, SAGEMAKER_BIND_TO_PORT=str(port), MODEL_SERVER_WORKERS=str(args.workers)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            start = time.perf_counter()
            wait_until_ready(url)
            print(f"server: {args.workers} gunicorn workers ready in {time.perf_counter() - start:.1f} s")
            for size in (1000, 10000):
                median, best = throughput(url, texts, size, args.repeats)
                print(
                    f"/invocations MultiRecord {size:>6} lines: {median:,.0f} records/s median, "
                    f"{best:,.0f} best of {args.repeats}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
