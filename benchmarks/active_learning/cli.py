"""``python -m benchmarks.active_learning``: labels saved at a guaranteed accuracy, against the baselines.

Prepares the dataset once (20 % pre-labeled, stratified; Simulated workforce), then runs the
whole workflow offline through ``scripts.run_local`` for each configuration: the product's
default (margin selection, calibrated auto-labeling at 0.95) and random selection over several
seeds, least-confidence and entropy selection, and the AWS sample's rule (margin > 0.5, a random
10 % of the dataset to humans per round) — all under the same human-label budget — plus labeling
everything by hand, computed. Prints a table, writes ``active_learning.json`` and the plots.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.active_learning import configurations as configs
from benchmarks.active_learning import guarantee, learning_curve, results, writers
from benchmarks.active_learning.runs import REPO, BenchmarkError, prepare_inputs, read_jsonl, run_configuration
from byoal.errors import InputError

SAMPLE = REPO / "data" / "sample" / "uci_news_sample.csv.gz"
DEFAULT_OUT = REPO / "runs" / "benchmarks" / "active-learning"
TARGET = 0.95


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's command-line options (``argv`` None: ``sys.argv``)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.active_learning",
        description="Labels saved at a guaranteed accuracy, against the baselines.",
    )
    parser.add_argument(
        "--dataset", type=Path, default=SAMPLE, help="any dataset scripts.prepare reads (default: the bundled sample)"
    )
    parser.add_argument("--text-column", default="TITLE")
    parser.add_argument("--label-column", default="CATEGORY")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the default and of random selection (default 3)")
    parser.add_argument(
        "--budget-share",
        type=float,
        default=configs.DEFAULT_BUDGET_SHARE,
        help="MaxHumanShare of the compared runs, the pre-labeled 20%% included (default 0.3)",
    )
    parser.add_argument(
        "--unbudgeted", action="store_true", help="also run the default, random and the reference rule without a budget"
    )
    parser.add_argument(
        "--learning-curve", action="store_true", help="also run margin vs random on the data minus a held-out slice"
    )
    parser.add_argument(
        "--held-out", type=int, default=2000, help="records held out for the learning curve (default 2000)"
    )
    parser.add_argument(
        "--curve-seeds", type=int, default=1, help="seeds per strategy for the learning curve (default 1)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these configurations (e.g. default reference)"
    )
    parser.add_argument(
        "--guarantee", action="store_true",
        help="instead: measure each round's auto-label accuracy on the bundled sample (several seeds, and with "
        "annotator errors 0.1), Banking77 and skewed pre-labels",
    )
    parser.add_argument(
        "--model", action="append", metavar="NAME[=KEY=VALUE,...]",
        help="with --guarantee: a model to run, by training hyperparameters (repeatable; default: the bundled one)",
    )
    parser.add_argument(
        "--suites", nargs="+", choices=[suite.name for suite in guarantee.SUITES],
        help="with --guarantee: only these suites",
    )
    parser.add_argument(
        "--sample", type=int, help="with --guarantee: a random subsample of this many records per dataset"
    )
    parser.add_argument(
        "--banking77", type=Path, default=guarantee.BANKING77,
        help="with --guarantee: the Banking77 training CSV (default ../shared/data/banking77_train.csv.gz)",
    )
    parser.add_argument("--max-rounds", type=int, help="with --guarantee: at most this many rounds per run")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT.relative_to(REPO)})"
    )
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    """The machine the figures were measured on: CPU model, core count, Python and TensorFlow/Keras versions."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    versions = {}
    for package in ("tensorflow-cpu", "tensorflow", "keras"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {"nproc": os.cpu_count(), "cpu": cpu, "gpu": "none used", "python": platform.python_version(), **versions}


def pre_labeled(input_manifest: Path, label_attribute: str) -> int:
    """Records of the input manifest that arrive labeled."""
    return sum(1 for record in read_jsonl(input_manifest) if label_attribute in record)


def _fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    return directory


def _prepare_arguments(arguments: argparse.Namespace) -> list[str]:
    return ["--text-column", arguments.text_column, "--label-column", arguments.label_column]


def _run_all(selected: list[configs.Configuration], inputs: Path, runs_dir: Path) -> list[dict[str, Any]]:
    finished = []
    for number, configuration in enumerate(selected, start=1):
        print(f"[{number}/{len(selected)}] {configuration.run_id}: {configuration.description}", flush=True)
        result = run_configuration(configuration, inputs, runs_dir)
        print(
            f"    model {result['model_share']:.1%} at {result['model_accuracy']} accuracy, humans "
            f"{result['human_share']:.1%} (+{result['unlabeled']:,} unlabeled), {result['rounds']} rounds, "
            f"{result['wall_seconds']:.0f} s",
            flush=True,
        )
        finished.append(result)
    return finished


def _select(candidates: list[configs.Configuration], only: list[str] | None) -> list[configs.Configuration]:
    return [configuration for configuration in candidates if only is None or configuration.name in only]


def _learning_curve(arguments: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The curve's runs and its points (one per round of each run)."""
    curve_dir = _fresh(arguments.out / "curve")
    held_out = learning_curve.split_dataset(
        arguments.dataset,
        curve_dir / "dataset.csv.gz",
        size=arguments.held_out,
        text_column=arguments.text_column,
        label_column=arguments.label_column,
    )
    prepare_inputs(curve_dir / "dataset.csv.gz", curve_dir / "inputs", _prepare_arguments(arguments))
    runs = _run_all(
        configs.learning_curve_configurations(seeds=arguments.curve_seeds), curve_dir / "inputs", curve_dir / "runs"
    )
    return runs, [point for run in runs for point in learning_curve.curve_points(run, held_out, target=TARGET)]


def benchmark(arguments: argparse.Namespace) -> dict[str, Any]:
    """Prepare the inputs once, run every configuration and return the results document (runs, aggregates, timings)."""
    started = time.monotonic()
    inputs = _fresh(arguments.out / "inputs")
    request = prepare_inputs(arguments.dataset, inputs, _prepare_arguments(arguments))
    records = sum(1 for _ in read_jsonl(inputs / "answers.manifest"))
    candidates = configs.comparison_configurations(
        records=records, seeds=arguments.seeds, budget_share=arguments.budget_share
    )
    if arguments.unbudgeted:
        candidates += configs.unbudgeted_configurations(records=records)
    runs = _run_all(_select(candidates, arguments.only), inputs, _fresh(arguments.out / "runs"))
    rows = results.aggregate([*runs, results.manual_baseline(records)])
    document = {
        "command": "python -m benchmarks.active_learning " + " ".join(sys.argv[1:]),
        "dataset": str(arguments.dataset),
        "records": records,
        "pre_labeled": pre_labeled(inputs / "input.manifest", request["LabelAttributeName"]),
        "budget_share": arguments.budget_share,
        "active_learning_config": request.get("ActiveLearningConfig", {}),
        "machine": machine(),
        "rows": rows,
        "checks": results.checks(rows, target=TARGET),
        "runs": runs,
    }
    if arguments.learning_curve:
        curve_runs, document["learning_curve"] = _learning_curve(arguments)
        document["curve_rows"] = results.aggregate(curve_runs)
        document["curve_runs"] = curve_runs
    document["benchmark_seconds"] = round(time.monotonic() - started)
    return document


def write_outputs(document: dict[str, Any], out: Path) -> None:
    """Write the results JSON and the plots (rounds; the learning curve when measured) into ``out``."""
    writers.write_json(out / "active_learning.json", document)
    writers.plot_rounds(document["runs"], out / "active_learning_rounds.png", target=TARGET)
    if document.get("learning_curve"):
        writers.plot_learning_curve(document["learning_curve"], out / "learning_curve.png", target=TARGET)


def guarantee_benchmark(arguments: argparse.Namespace) -> int:
    """Run the guarantee suites (``--guarantee``), write guarantee.json and the plot, print the table and checks.

    Exit code 0 (the checks are reported, not enforced)."""
    started = time.monotonic()
    models = [guarantee.parse_model(text) for text in arguments.model or ["bundled"]]
    suites = [
        suite for suite in guarantee.with_dataset(guarantee.SUITES, "banking77", arguments.banking77)
        if arguments.suites is None or suite.name in arguments.suites
    ]
    runs = guarantee.run_suites(
        suites, models, seeds=arguments.seeds, out=arguments.out, sample=arguments.sample,
        max_rounds=arguments.max_rounds, budget_share=arguments.budget_share,
    )
    rows = guarantee.summary_rows(runs)
    document = {
        "command": "python -m benchmarks.active_learning " + " ".join(sys.argv[1:]),
        "target_accuracy": TARGET,
        "risk_tolerance": guarantee.DEFAULTS["RiskTolerance"],
        "min_round_labels": guarantee.MIN_ROUND_LABELS,
        "budget_share": arguments.budget_share,
        "sample": arguments.sample,
        "machine": machine(),
        "rows": rows,
        "checks": guarantee.checks(rows, target=TARGET, risk_tolerance=guarantee.DEFAULTS["RiskTolerance"]),
        "runs": runs,
        "benchmark_seconds": round(time.monotonic() - started),
    }
    writers.write_json(arguments.out / "guarantee.json", document)
    guarantee.plot(runs, arguments.out / "guarantee_rounds.png", target=TARGET)
    print()
    print(guarantee.markdown_table(rows))
    print()
    print(writers.checks_text(document["checks"]))
    print(f"\n{document['benchmark_seconds']} s in all; outputs in {arguments.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark the options ask for and print its tables; exit code 0, or 1 with the error on stderr."""
    arguments = parse_arguments(argv)
    if arguments.guarantee:
        try:
            return guarantee_benchmark(arguments)
        except (BenchmarkError, InputError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    try:
        document = benchmark(arguments)
    except (BenchmarkError, InputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_outputs(document, arguments.out)
    print()
    print(writers.markdown_table(document["rows"]))
    print()
    print(writers.checks_text(document["checks"]))
    if document.get("learning_curve"):
        print()
        print(writers.markdown_table(document["curve_rows"]))
        print()
        print(writers.curve_table(document["learning_curve"]))
    print(f"\n{document['benchmark_seconds']} s in all; outputs in {arguments.out}")
    return 0
