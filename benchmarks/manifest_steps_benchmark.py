"""Stream a generated 1,000,000-record manifest through the validate, count, merge and export steps.

Runs the real Lambda handlers on local storage, each step in a fresh process so that its peak
memory is its own, and prints records/s and peak resident memory per step.

    python -m benchmarks.manifest_steps_benchmark [--records 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from byoal import manifest  # noqa: E402
from byoal import records as rec  # noqa: E402
from byoal.storage import LOCAL_ROOT_ENV, LocalStorage  # noqa: E402

BUCKET = "bench"
ROOT = f"s3://{BUCKET}/output/run/"
LABELS = ["Business", "Entertainment", "Health & Medicine", "Science and Technology"]
CONFIG = {"LabelAttributeName": "category", "Labels": LABELS, "SeedShare": 0.1, "MaxHumanShare": 1.0,
          "MaxHumanLabels": None, "MaxRounds": 10, "HumanBatchSize": 5000}
HEADLINES = [
    'Fed\'s Yellen says "rates stay low" as jobs data disappoints',
    "Apple, Samsung resume patent fight \\ new filings in California",
    "Ebola outbreak: WHO warns of spread across West Africa",
    "Kim Kardashian and Kanye West wed in Florence — report",
]


def generate(storage: LocalStorage, total: int) -> dict[str, str]:
    """A working manifest (10 % human-labeled), the round's auto-labels (60 %), a human batch (5,000).

    ``total`` records in all; returns the URIs of the four manifests written, under :data:`ROOT`.
    """
    working, autolabels = ROOT + "working/with-ids.manifest", ROOT + "rounds/001/autolabels.manifest"
    human_in, human_out = ROOT + "labeling-jobs/job/input.manifest", ROOT + "labeling-jobs/job/output.manifest"
    human = {"class-name": "Business", "confidence": 1.0, "human-annotated": "yes", "type": rec.LABEL_TYPE,
             "job-name": "labeling-job/seed", "creation-date": "2026-11-27T10:00:00.000000"}

    def records():
        for i in range(total):
            record = {"source": f"{HEADLINES[i % 4]} #{i}", "byoal-id": i, "publisher": "Reuters"}
            if i % 10 == 0:
                record.update(category=i % 4, **{"category-metadata": human})
            yield record

    manifest.write_records(storage, working, records())
    manifest.write_records(storage, autolabels, (
        {"byoal-id": i, "byoal-position": i, "category": i % 4, "confidence": round(0.95 + (i % 500) / 10_000, 4)}
        for i in range(total) if i % 10 in (1, 2, 3, 4, 5, 6)
    ))
    batch = [i for i in range(total) if i % 10 == 7][:5000]
    manifest.write_records(storage, human_in, ({"source": f"{HEADLINES[i % 4]} #{i}", "byoal-id": i} for i in batch))
    manifest.write_records(
        storage, human_out, ({"byoal-id": i, "category": 1, "category-metadata": human} for i in batch)
    )
    return {"working": working, "autolabels": autolabels, "human_in": human_in, "human_out": human_out}


def run_step(step: str, uris: dict[str, str], results: multiprocessing.queues.Queue[tuple[float, float]]) -> None:
    """Run one step's handler on the manifests at ``uris``; put (seconds, this process's peak RSS in MB) on ``results``.

    Meant to run in a fresh process, so that the peak memory is the step's alone.
    """
    from byoal.labels import label_category_document
    from byoal.storage import storage_from_environment, write_bytes
    from lambdas import count_records, export_manifest, merge_labels, validate_input

    state = {"config": CONFIG, "run": {"id": "run", "root": ROOT, "final_manifest": ROOT + "final/output.manifest"},
             "working": {"manifest": uris["working"]}}
    if step == "validate input":
        labels_uri = f"s3://{BUCKET}/inputs/class_labels.json"
        write_bytes(storage_from_environment(), labels_uri, json.dumps(label_category_document(LABELS)).encode())
        request = {
            "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": uris["working"]}}},
            "OutputConfig": {"S3OutputPath": f"s3://{BUCKET}/validated/"}, "LabelCategoryConfigS3Uri": labels_uri,
            "LabelingJobNamePrefix": "bench", "LabelAttributeName": "category",
            "ActiveLearningConfig": {"Workforce": "Callback"},
        }
    started = time.perf_counter()
    if step == "validate input":
        validate_input.handler({"request": request, "execution_name": "bench"})
    elif step == "count":
        count_records.handler(state)
    elif step == "merge model labels":
        autolabels = {"manifest": uris["autolabels"], "round": 1, "job_name": "run-r001-auto",
                      "creation_date": "2026-11-27T10:00:00.000000"}
        merge_labels.handler({**state, "kind": "model", "autolabels": autolabels})
    elif step == "merge human labels":
        batch = {"job_name": "job", "round": 1, "count": 5000, "input_manifest": uris["human_in"]}
        human_labels = {"output_manifest": uris["human_out"]}
        merge_labels.handler({**state, "kind": "human", "human_batch": batch, "human_labels": human_labels})
    elif step == "export":
        export_manifest.handler(state)
    elapsed = time.perf_counter() - started
    results.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main(argv: list[str] | None = None) -> int:
    """Generate the manifests, then time each step in its own spawned process and print a table; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, help="where to write the generated manifests (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="byoal-bench-"))
    os.environ[LOCAL_ROOT_ENV] = str(workdir)
    storage = LocalStorage(workdir)
    started = time.perf_counter()
    uris = generate(storage, args.records)
    size = Path(storage.path(uris["working"])).stat().st_size / 1e6
    seconds = time.perf_counter() - started
    print(f"generated {args.records:,} records ({size:.0f} MB working manifest) in {seconds:.1f} s")
    print(f"{'step':<22}{'seconds':>9}{'records/s':>12}{'peak MB':>9}")
    context = multiprocessing.get_context("spawn")
    for step in ("validate input", "count", "merge model labels", "merge human labels", "export"):
        results = context.Queue()
        process = context.Process(target=run_step, args=(step, uris, results))
        process.start()
        elapsed, peak = results.get()
        process.join()
        print(f"{step:<22}{elapsed:>9.1f}{args.records / elapsed:>12,.0f}{peak:>9.0f}")
    if args.workdir is None:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
