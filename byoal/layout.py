"""Where a run keeps its objects under ``OutputConfig.S3OutputPath``: every stored object is named here, once.

The run folder is ``<S3OutputPath><run-id>/``; docs/storage-layout.md lists every object and prefix below
it with what writes and reads it, and ``tests/core/test_layout.py`` checks that list against the functions
in :data:`OBJECTS`. In outline::

    <S3OutputPath><run-id>/
        execution.json          the execution that owns the folder
        input/  working/        the validated input copy, and the input with a record id on every line
        embeddings/             every record's sentence embedding, computed once before the first round
        rounds/<NNN>/           one folder per round (000 is the seed batch)
        labeling-jobs/<job>/    one folder per human-labeling job
        final/output.manifest   the result: every input record exactly once

Every function returns an ``s3://`` URI; a name ending in ``/`` is a prefix (a folder). Round numbers
are written with at least three digits (``rounds/007/``), so a listing sorts them in order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from byoal.storage import join_uri

OBJECTS: list[Callable[..., str]] = []
"""Every function below that names a stored object or prefix, in the order docs/storage-layout.md lists them."""

ROUNDS = "rounds"
LABELING_JOBS = "labeling-jobs"
CALLBACK_PENDING_FILE = "callback.json"
"""The Callback workforce's pending file in a labeling job's folder (task token and batch; see
lambdas/callback_batch.py)."""


def _named(function: Callable[..., str]) -> Callable[..., str]:
    OBJECTS.append(function)
    return function


def run_id(prefix: str, execution_name: str) -> str:
    """Stable for one execution, distinct between executions, short enough for SageMaker job names.

    ``<LabelingJobNamePrefix>-<first 8 hex digits of the execution name's SHA-256>``.
    """
    digest = hashlib.sha256(execution_name.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{digest}"


def run_root(output_path: str, run: str) -> str:
    """The run folder ``<output_path><run>/``."""
    return join_uri(output_path, run) + "/"


@_named
def execution_marker(root: str) -> str:
    """``{"execution_id"}`` of the execution that claimed the run folder (written only if absent)."""
    return join_uri(root, "execution.json")


@_named
def input_copy(root: str) -> str:
    """The validated copy of the input manifest."""
    return join_uri(root, "input/input.manifest")


@_named
def working_with_ids(root: str) -> str:
    """The input with a ``byoal-id`` on every line: the first working manifest."""
    return join_uri(root, "working/with-ids.manifest")


@_named
def embeddings_folder(root: str) -> str:
    """The run's sentence embeddings, computed once before the first round (byoal.embeddings)."""
    return join_uri(root, "embeddings") + "/"


@_named
def embeddings_input_prefix(root: str) -> str:
    """The embed transform job's input prefix."""
    return join_uri(embeddings_folder(root), "input") + "/"


@_named
def embeddings_input(root: str) -> str:
    """Every record as ``{"byoal-id", "source"}``, in working-manifest order."""
    return join_uri(embeddings_input_prefix(root), "records.jsonl")


@_named
def embeddings_output_prefix(root: str) -> str:
    """The embed transform job's output prefix."""
    return join_uri(embeddings_folder(root), "output") + "/"


@_named
def embeddings_output(root: str) -> str:
    """Where the embed transform job writes its output: SageMaker names it after the input file, plus ``.out``.

    One ``{"byoal-id", "SageMakerOutput": {"byoal-embedding": [...]}}`` line per record, in input order.
    """
    return join_uri(embeddings_output_prefix(root), "records.jsonl.out")


@_named
def rounds_prefix(root: str) -> str:
    """The folder of all rounds."""
    return join_uri(root, ROUNDS) + "/"


@_named
def round_folder(root: str, round_number: int) -> str:
    """One round's folder, ``rounds/<NNN>/``; round 0 is the seed batch."""
    return join_uri(rounds_prefix(root), f"{round_number:03d}") + "/"


def _round_file(root: str, round_number: int, name: str) -> str:
    return join_uri(round_folder(root, round_number), name)


@_named
def selection(root: str, round_number: int) -> str:
    """The ids chosen for humans in a round (``byoal-calibration`` on the calibration draws)."""
    return _round_file(root, round_number, "selection.manifest")


@_named
def autolabels(root: str, round_number: int) -> str:
    """The round's model labels: id, position in the working manifest the round read, class, confidence."""
    return _round_file(root, round_number, "autolabels.manifest")


@_named
def calibration_screened(root: str, round_number: int) -> str:
    """The calibration ids the round's rules take out of the pool (later rounds do not test on them)."""
    return _round_file(root, round_number, "calibration-screened.manifest")


@_named
def working_with_calibration(root: str, round_number: int) -> str:
    """Round 1's working manifest with part of the input labels held out as calibration records."""
    return _round_file(root, round_number, "working-calibration.manifest")


@_named
def working_after_human_labels(root: str, round_number: int) -> str:
    """The working manifest after the round's human labels were merged."""
    return _round_file(root, round_number, "working-human.manifest")


@_named
def working_after_model_labels(root: str, round_number: int) -> str:
    """The working manifest after the round's model labels were merged."""
    return _round_file(root, round_number, "working-model.manifest")


@_named
def active_learning_stats(root: str, round_number: int) -> str:
    """The round's statistics from the active-learning step (byoal.round_stats)."""
    return _round_file(root, round_number, "active-learning.json")


@_named
def human_label_stats(root: str, round_number: int) -> str:
    """The round's statistics from merging its human labels (byoal.round_stats)."""
    return _round_file(root, round_number, "human-labels.json")


@_named
def training_channel_folder(root: str, round_number: int, channel: str) -> str:
    """A training channel's folder (``train`` or ``validation``), what a bring-your-own container reads."""
    return join_uri(round_folder(root, round_number), "training", channel) + "/"


@_named
def training_channel_manifest(root: str, round_number: int, channel: str) -> str:
    """A training channel's one file, ``<channel>.manifest`` (what BlazingText reads as an augmented manifest)."""
    return join_uri(training_channel_folder(root, round_number, channel), f"{channel}.manifest")


@_named
def model_output_prefix(root: str, round_number: int) -> str:
    """The training job's ``S3OutputPath``; SageMaker writes ``<job-name>/output/model.tar.gz`` below it."""
    return join_uri(round_folder(root, round_number), "model") + "/"


@_named
def transform_input_prefix(root: str, round_number: int) -> str:
    """The round's batch-transform input prefix."""
    return join_uri(round_folder(root, round_number), "transform/input") + "/"


@_named
def transform_input(root: str, round_number: int) -> str:
    """The records the round's model predicts, one per line."""
    return join_uri(transform_input_prefix(root, round_number), "records.jsonl")


@_named
def transform_output_prefix(root: str, round_number: int) -> str:
    """The round's batch-transform output prefix (``records.jsonl.out`` below it, written by SageMaker)."""
    return join_uri(round_folder(root, round_number), "transform/output") + "/"


@_named
def labeling_jobs_folder(root: str) -> str:
    """The folder of all human-labeling jobs: Ground Truth's ``OutputConfig.S3OutputPath``."""
    return join_uri(root, LABELING_JOBS) + "/"


@_named
def labeling_job_folder(root: str, job_name: str) -> str:
    """One human-labeling job's folder."""
    return join_uri(labeling_jobs_folder(root), job_name) + "/"


@_named
def labeling_job_input(root: str, job_name: str) -> str:
    """The batch sent to humans: ``{"source", "byoal-id"}`` per record."""
    return join_uri(labeling_job_folder(root, job_name), "input.manifest")


@_named
def labeling_job_calibration(root: str, job_name: str) -> str:
    """The batch's calibration records: id and the round that drew them."""
    return join_uri(labeling_job_folder(root, job_name), "calibration.manifest")


@_named
def callback_pending(root: str, job_name: str) -> str:
    """A Callback batch's pending file: task token, batch manifests, label attribute and classes."""
    return join_uri(labeling_job_folder(root, job_name), CALLBACK_PENDING_FILE)


@_named
def callback_submission(root: str, job_name: str) -> str:
    """Where ``scripts.callback submit`` and the labeling page upload a labeled local file."""
    return join_uri(labeling_job_folder(root, job_name), "callback-labeled.manifest")


@_named
def offline_submission(root: str, job_name: str, file_name: str) -> str:
    """Where ``scripts.local_callback`` copies a labeled local file (its own name) before handing it over."""
    return join_uri(labeling_job_folder(root, job_name), "submitted", file_name)


@_named
def labeling_job_output(root: str, job_name: str) -> str:
    """Where Ground Truth writes a job's output manifest; the other workforces write there too."""
    return join_uri(labeling_job_folder(root, job_name), "manifests/output/output.manifest")


@_named
def final_manifest(root: str) -> str:
    """The result: every input record exactly once, in input order."""
    return join_uri(root, "final/output.manifest")


def labeling_job_of(uri: str) -> tuple[str, str]:
    """``(run root, job name)`` of an object in a labeling job's folder; ValueError for any other URI."""
    root, marker, rest = uri.partition(f"/{LABELING_JOBS}/")
    job_name = rest.split("/", 1)[0]
    if not marker or not job_name or "/" not in rest:
        raise ValueError(f"not an object in a labeling job's folder: {uri!r}")
    return root + "/", job_name


def job_name(run: str, round_number: int, step: str, attempt: int = 0) -> str:
    """The name of a round's job; ``attempt`` (the loop's redrive count) keeps a redriven round's
    SageMaker jobs apart from the first attempt's, as SageMaker requires unique job names."""
    return f"{run}-r{round_number:03d}-{step}" + (f"-{attempt}" if attempt else "")


def job_round(name: str, step: str) -> int | None:
    """The round number in a name that ``job_name`` made for ``step``; None for any other name."""
    match = re.search(rf"-r(\d{{3,}})-{re.escape(step)}$", name)
    return int(match.group(1)) if match else None
