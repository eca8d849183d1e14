"""Where a run keeps its objects under ``OutputConfig.S3OutputPath`` (see docs/storage-layout.md).

::

    <S3OutputPath><run-id>/
        execution.json                            the execution that owns the folder
        input/input.manifest                      the validated copy of the input manifest
        working/with-ids.manifest                 the input with a record id on every line
        embeddings/input/records.jsonl            every record as {"byoal-id", "source"}, working-manifest order
        embeddings/output/records.jsonl.out       the embed transform's output: {"byoal-id", "SageMakerOutput":
                                                  {"byoal-embedding": ...}} per record, in the same order
        rounds/<NNN>/...                          one folder per round (000 is the seed batch)
        labeling-jobs/<job-name>/...              one folder per human-labeling job
        final/output.manifest                     the result: every input record exactly once
"""

from __future__ import annotations

import hashlib
import re

from byoal.storage import join_uri


def run_id(prefix: str, execution_name: str) -> str:
    """Stable for one execution, distinct between executions, short enough for SageMaker job names."""
    digest = hashlib.sha256(execution_name.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{digest}"


def run_root(output_path: str, run: str) -> str:
    return join_uri(output_path, run) + "/"


def execution_marker(root: str) -> str:
    return join_uri(root, "execution.json")


def input_copy(root: str) -> str:
    return join_uri(root, "input/input.manifest")


def working_with_ids(root: str) -> str:
    return join_uri(root, "working/with-ids.manifest")


def embeddings_folder(root: str) -> str:
    """The run's sentence embeddings, computed once before the first round (byoal.embeddings)."""
    return join_uri(root, "embeddings") + "/"


def embeddings_input(root: str) -> str:
    return join_uri(embeddings_folder(root), "input/records.jsonl")


def embeddings_output(root: str) -> str:
    """Where the embed transform job writes its output: SageMaker names it after the input file, plus ``.out``."""
    return join_uri(embeddings_folder(root), "output/records.jsonl.out")


def final_manifest(root: str) -> str:
    return join_uri(root, "final/output.manifest")


def round_folder(root: str, round_number: int) -> str:
    return join_uri(root, f"rounds/{round_number:03d}") + "/"


def round_file(root: str, round_number: int, name: str) -> str:
    return join_uri(round_folder(root, round_number), name)


def rounds_prefix(root: str) -> str:
    return join_uri(root, "rounds") + "/"


def labeling_jobs_folder(root: str) -> str:
    return join_uri(root, "labeling-jobs") + "/"


def labeling_job_folder(root: str, job_name: str) -> str:
    return join_uri(labeling_jobs_folder(root), job_name) + "/"


def labeling_job_output(root: str, job_name: str) -> str:
    """Where Ground Truth writes a job's output manifest; the other workforces write there too."""
    return join_uri(labeling_job_folder(root, job_name), "manifests/output/output.manifest")


def job_name(run: str, round_number: int, step: str, attempt: int = 0) -> str:
    """The name of a round's job; ``attempt`` (the loop's redrive count) keeps a redriven round's
    SageMaker jobs apart from the first attempt's, as SageMaker requires unique job names."""
    return f"{run}-r{round_number:03d}-{step}" + (f"-{attempt}" if attempt else "")


def job_round(name: str, step: str) -> int | None:
    """The round number in a name that ``job_name`` made for ``step``; None for any other name."""
    match = re.search(rf"-r(\d{{3,}})-{re.escape(step)}$", name)
    return int(match.group(1)) if match else None
