"""``python -m scripts.prepare``: turn a labeled text dataset into the inputs of one execution.

The output folder holds ``input.manifest`` (the labeled share in Ground Truth output format, the
rest as bare ``{"source": ...}``), ``answers.manifest`` (every record with its true label, same
order and text), ``class_labels.json``, ``instructions.template`` (the worker UI) and
``request.json`` (the execution input, naming each file by its URI under ``--bucket``/``--prefix``).

The labeled share is a stratified sample: each class contributes in proportion to its size, so
the labeled records have the dataset's class balance. Everything is checked and written to a
temporary folder first; on any error nothing appears in the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byoal import manifest
from byoal import records as rec
from byoal.errors import InputError
from byoal.labels import label_category_document
from byoal.request import DEFAULTS, STRATEGIES, WORKFORCES, validate_active_learning_config, validate_request
from scripts import cli, datasets, execution_input, ground_truth, uci_news

REQUEST_FILE = "request.json"
OUTPUT_FILES = (*execution_input.INPUT_FILES.values(), REQUEST_FILE)
DEFAULT_JOB_NAME_PREFIX = "byoal-news"
DEFAULT_LABEL_ATTRIBUTE = "category"
DEFAULT_TASK_DESCRIPTION = "Classify each text into one of the given categories."
DEFAULT_SEED = 42

# Option -> ActiveLearningConfig key, for the options that map one to one.
ACTIVE_LEARNING_OPTIONS = {
    "--strategy": "QueryStrategy",
    "--target-accuracy": "TargetAccuracy",
    "--batch-size": "HumanBatchSize",
    "--batch-share": "HumanBatchShare",
    "--seed-share": "SeedShare",
    "--validation-share": "ValidationShare",
    "--min-validation-records": "MinValidationRecords",
    "--max-human-labels": "MaxHumanLabels",
    "--max-human-share": "MaxHumanShare",
    "--max-rounds": "MaxRounds",
    "--annotator-error-rate": "AnnotatorErrorRate",
    "--callback-timeout": "CallbackTimeoutSeconds",
    "--fixed-margin-threshold": "FixedMarginThreshold",
    "--workforce": "Workforce",
    "--seed": "Seed",
    "--hyperparameter": "HyperParameters",
}
_REQUEST_FIELD_OPTIONS = {"LabelingJobNamePrefix": "--job-name-prefix", "LabelAttributeName": "--label-attribute"}


def input_files(request: dict[str, Any], directory: Path) -> dict[str, Path]:
    """URI -> the prepared file in ``directory`` that belongs there, for each input file the request names."""
    files = {}
    for field, name in execution_input.INPUT_FILES.items():
        uri = execution_input.lookup(request, field)
        if uri is None:
            continue
        path = Path(directory) / name
        if not path.is_file():
            raise InputError(f"'{field}' names {uri}, but its file {path} does not exist")
        files[uri] = path
    return files


def _default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _key_value(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _config_help(option: str) -> str:
    key = ACTIVE_LEARNING_OPTIONS[option]
    return f"{key} (default {DEFAULTS[key]})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.prepare",
        description="Turn a labeled text dataset into an input manifest, answer key, label file, worker UI and "
        "execution input.",
    )
    data = parser.add_argument_group("dataset")
    data.add_argument("--dataset", type=Path, help="CSV (plain or .gz), newsCorpora.csv, or the UCI zip archive")
    data.add_argument(
        "--download",
        action="store_true",
        help=f"fetch the UCI News Aggregator archive ({uci_news.DOWNLOAD_URL}) to --dataset "
        f"(default {uci_news.DEFAULT_ARCHIVE}) unless it is already there",
    )
    data.add_argument("--download-sha256", metavar="HEX", help="reject the archive unless it has this SHA-256")
    data.add_argument("--format", choices=datasets.FORMATS, default="auto", help="file format (default: from the file)")
    data.add_argument("--encoding", default="utf-8")
    data.add_argument("--text-column", default="TITLE")
    data.add_argument("--label-column", default="CATEGORY")
    data.add_argument(
        "--label-names",
        nargs="+",
        metavar="CODE=NAME",
        help="class order and names, e.g. b=Business e=Entertainment (default: the seed's names for UCI codes, "
        "else the label values in sorted order)",
    )
    data.add_argument(
        "--no-clean",
        dest="clean",
        action="store_false",
        help="keep the text as is (default: remove quotes and punctuation as the seed notebook does)",
    )
    data.add_argument("--sample", type=int, metavar="N", help="use a seeded random sample of N records")
    data.add_argument(
        "--labeled-fraction", type=float, default=0.2, help="share of records given labeled (default 0.2)"
    )
    data.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for sampling and the workflow's choices")

    output = parser.add_argument_group("output")
    output.add_argument("--output-dir", type=Path, required=True)
    output.add_argument(
        "--bucket",
        default="byoal-local",
        help="bucket the request names (default: the offline "
        "runner's stand-in bucket; scripts.start moves it to the stack's)",
    )
    output.add_argument("--prefix", default="inputs", help="key prefix of the uploaded inputs")

    request = parser.add_argument_group("labeling request")
    request.add_argument("--job-name-prefix", default=DEFAULT_JOB_NAME_PREFIX)
    request.add_argument("--label-attribute", default=DEFAULT_LABEL_ATTRIBUTE)
    request.add_argument("--role-arn", default=execution_input.PLACEHOLDER_ROLE_ARN)
    request.add_argument("--region", default=_default_region(), help="AWS region of the Ground Truth resources")
    request.add_argument("--workteam-arn", help="a private or vendor workteam (default: the public workforce)")
    request.add_argument("--price", default=str(ground_truth.DEFAULT_PRICE), help="USD per task, public workforce")
    request.add_argument("--task-description", default=DEFAULT_TASK_DESCRIPTION)
    request.add_argument("--workers-per-object", type=int, default=ground_truth.WORKERS_PER_OBJECT)
    request.add_argument("--task-time-limit", type=int, default=ground_truth.TASK_TIME_LIMIT_SECONDS, metavar="SECONDS")
    request.add_argument(
        "--task-availability", type=int, default=ground_truth.TASK_AVAILABILITY_SECONDS, metavar="SECONDS"
    )
    request.add_argument("--max-concurrent-tasks", type=int, default=ground_truth.MAX_CONCURRENT_TASKS)
    request.add_argument("--pre-annotation-lambda-arn", help="your own pre-annotation Lambda")
    request.add_argument("--consolidation-lambda-arn", help="your own annotation-consolidation Lambda")

    learning = parser.add_argument_group("active learning (ActiveLearningConfig; unset options take the defaults)")
    learning.add_argument(
        "--workforce",
        choices=WORKFORCES,
        default="Simulated",
        help="who labels the human batches (default Simulated: from answers.manifest, free)",
    )
    learning.add_argument("--strategy", choices=STRATEGIES, help=_config_help("--strategy"))
    for option in (
        "--target-accuracy",
        "--batch-share",
        "--seed-share",
        "--validation-share",
        "--max-human-share",
        "--annotator-error-rate",
        "--fixed-margin-threshold",
    ):
        learning.add_argument(option, type=float, help=_config_help(option))
    for option in (
        "--batch-size",
        "--min-validation-records",
        "--max-human-labels",
        "--max-rounds",
        "--callback-timeout",
    ):
        learning.add_argument(option, type=int, help=_config_help(option))
    learning.add_argument(
        "--hyperparameter",
        type=_key_value,
        action="append",
        metavar="NAME=VALUE",
        help="a model hyperparameter (repeatable)",
    )
    return parser


def _option_value(args: argparse.Namespace, option: str) -> Any:
    value = getattr(args, option.removeprefix("--").replace("-", "_"))
    return dict(value) if option == "--hyperparameter" and value is not None else value


def active_learning_config(args: argparse.Namespace, answer_key_uri: str) -> dict[str, Any]:
    """The ActiveLearningConfig keys the user set, each checked on its own so the error names its option."""
    config = {}
    for option, key in ACTIVE_LEARNING_OPTIONS.items():
        value = _option_value(args, option)
        if value is None:
            continue
        try:
            validate_active_learning_config({"AnswerKeyS3Uri": answer_key_uri, key: value})
        except InputError as error:
            raise InputError(f"{option} {value}: {error}") from None
        config[key] = value
    return config


def _check_request(request: dict[str, Any]) -> None:
    try:
        validate_request(request)
    except InputError as error:
        hint = next((option for field, option in _REQUEST_FIELD_OPTIONS.items() if f"'{field}'" in str(error)), None)
        raise InputError(f"{hint}: {error}" if hint else str(error)) from None


def _check_output_dir(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"--output-dir {directory}: exists and is not a directory")
    if directory.is_dir():
        foreign = sorted(path.name for path in directory.iterdir() if path.name not in OUTPUT_FILES)
        if foreign:
            raise InputError(
                f"--output-dir {directory}: holds other files {foreign[:5]}; use an empty or new directory"
            )


def _dataset_path(args: argparse.Namespace) -> Path:
    if not args.download:
        if args.dataset is None:
            raise InputError("--dataset is required (or --download for the UCI News Aggregator archive)")
        return args.dataset
    archive = args.dataset or uci_news.DEFAULT_ARCHIVE
    if archive.exists():
        uci_news.verify_archive(archive, expected_sha256=args.download_sha256)
    else:
        print(f"downloading {uci_news.DOWNLOAD_URL} to {archive}", file=sys.stderr)
        uci_news.download(archive, url=uci_news.DOWNLOAD_URL, expected_sha256=args.download_sha256)
    return archive


def _write_folder(directory: Path, contents: dict[str, Iterable[bytes]]) -> None:
    """Write every file into a temporary sibling folder, then move them into place."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the folder it becomes should not be
    try:
        for name, chunks in contents.items():
            with open(staging / name, "wb") as sink:
                sink.writelines(chunks)
        if not directory.exists():
            os.replace(staging, directory)
            return
        for name in contents:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_request(args: argparse.Namespace) -> dict[str, Any]:
    """The execution input the options describe, checked as the workflow will check it."""
    location = execution_input.inputs_location(args.bucket, args.prefix)
    files = execution_input.file_uris(location)
    task_config = ground_truth.human_task_config(
        region=args.region,
        ui_template_uri=files["HumanTaskConfig.UiConfig.UiTemplateS3Uri"],
        task_description=args.task_description,
        workteam_arn=args.workteam_arn,
        price_usd=args.price,
        pre_annotation_lambda_arn=args.pre_annotation_lambda_arn,
        consolidation_lambda_arn=args.consolidation_lambda_arn,
        workers_per_object=args.workers_per_object,
        task_time_limit_seconds=args.task_time_limit,
        task_availability_seconds=args.task_availability,
        max_concurrent_tasks=args.max_concurrent_tasks,
    )
    request = execution_input.build_request(
        location=location,
        job_name_prefix=args.job_name_prefix,
        label_attribute=args.label_attribute,
        role_arn=args.role_arn,
        human_task_config=task_config,
        active_learning_config={"InputLabelsAreRandomSample": True, **active_learning_config(args, files["ActiveLearningConfig.AnswerKeyS3Uri"])},
        content_classifiers=ground_truth.PUBLIC_CONTENT_CLASSIFIERS if args.workteam_arn is None else [],
    )
    _check_request(request)
    return request


@dataclass(frozen=True)
class Dataset:
    """The records to write, their class indices, which of them go in labeled, and what was dropped."""

    examples: list[datasets.Example]
    classes: datasets.Classes
    labels: list[int]
    labeled: set[int]
    dropped: int


def read_dataset(args: argparse.Namespace) -> Dataset:
    names_by_code = datasets.parse_label_names(args.label_names) if args.label_names else None
    loaded = datasets.load_examples(
        _dataset_path(args),
        text_column=args.text_column,
        label_column=args.label_column,
        file_format=args.format,
        encoding=args.encoding,
    )
    examples = datasets.usable_examples(loaded, clean=args.clean)
    dropped = len(loaded) - len(examples)
    if args.sample is not None:
        examples = datasets.sample_examples(examples, args.sample, seed=args.seed)
    classes = datasets.classes_for(examples, names_by_code, label_column=args.label_column)
    labels = [classes.index(example.label) for example in examples]
    labeled = datasets.choose_labeled(
        labels, num_classes=len(classes.codes), fraction=args.labeled_fraction, seed=args.seed
    )
    return Dataset(examples=examples, classes=classes, labels=labels, labeled=labeled, dropped=dropped)


def folder_contents(data: Dataset, request: dict[str, Any]) -> dict[str, Iterable[bytes]]:
    """File name -> the bytes of each file of the prepared folder, manifests line by line."""
    attribute = request["LabelAttributeName"]
    job_name = f"{request['LabelingJobNamePrefix']}-prepared"
    created = rec.iso_timestamp()

    def answer(position: int) -> dict[str, Any]:
        label = data.labels[position]
        metadata = rec.label_metadata(
            class_name=data.classes.names[label], confidence=1.0, human=True, job_name=job_name, creation_date=created
        )
        return {
            rec.SOURCE_FIELD: data.examples[position].text,
            attribute: label,
            rec.metadata_field(attribute): metadata,
        }

    def unlabeled(position: int) -> dict[str, Any]:
        return {rec.SOURCE_FIELD: data.examples[position].text}

    positions = range(len(data.examples))
    example_by_class: dict[int, str] = {}
    for position in sorted(data.labeled):
        example_by_class.setdefault(data.labels[position], data.examples[position].text)
    template = ground_truth.worker_template(
        {name: example_by_class.get(index) for index, name in enumerate(data.classes.names)}
    )
    label_document = label_category_document(data.classes.names)
    return {
        execution_input.INPUT_MANIFEST: (
            manifest.dumps(answer(position) if position in data.labeled else unlabeled(position))
            for position in positions
        ),
        execution_input.ANSWER_KEY: (manifest.dumps(answer(position)) for position in positions),
        execution_input.LABEL_CATEGORIES: [_json_file(label_document)],
        execution_input.UI_TEMPLATE: [template.encode("utf-8")],
        REQUEST_FILE: [_json_file(request)],
    }


def _json_file(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def prepare(args: argparse.Namespace) -> Dataset:
    """Check the options, read the dataset, write the output folder."""
    if not 0 < args.labeled_fraction < 1:
        raise InputError(f"--labeled-fraction {args.labeled_fraction}: must be strictly between 0 and 1")
    if args.sample is not None and args.sample < 1:
        raise InputError(f"--sample {args.sample}: must be a positive number of records")
    _check_output_dir(args.output_dir)
    request = build_request(args)
    data = read_dataset(args)
    _write_folder(args.output_dir, folder_contents(data, request))
    return data


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def command() -> int:
        data = prepare(args)
        print(
            f"{len(data.examples)} records, {len(data.labeled)} labeled "
            f"({args.labeled_fraction:.0%}, stratified by class) -> {args.output_dir}"
        )
        if data.dropped:
            print(f"  skipped {data.dropped} rows left without text")
        labeled_by_class = Counter(data.labels[position] for position in data.labeled)
        for index, name in enumerate(data.classes.names):
            print(f"  class {index} {name}: {labeled_by_class[index]} labeled")
        print(f"  files: {', '.join(OUTPUT_FILES)}")
        return 0

    return cli.run(command)


if __name__ == "__main__":
    sys.exit(main())
