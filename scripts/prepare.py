"""``python -m scripts.prepare``: turn a text dataset, labeled or not, into the inputs of one execution.

The dataset is a CSV file, JSON Lines (a Ground Truth input or output manifest included) or plain
text with one record per line (see :mod:`scripts.datasets`). The output folder holds
``input.manifest`` (labeled records in Ground Truth output format, the rest as bare
``{"source": ...}``), ``class_labels.json``, ``instructions.template`` (the worker UI) and
``request.json`` (the execution input, naming each file by its URI under ``--bucket``/``--prefix``).

Two kinds of data:

- **every record labeled** (an answer key): only a stratified ``--labeled-fraction`` goes in
  labeled, ``answers.manifest`` holds every true label, and the Simulated workforce labels the
  human batches from it — to measure what active learning saves before paying anyone;
- **partly labeled or unlabeled** (real data): every given label goes in, there is no answer
  key, and people label the human batches — the Callback workforce (``python -m scripts.label``)
  by default, or Ground Truth.

Everything is checked and written to a temporary folder first; on any error nothing appears in
the output folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byoal import config_keys, hyperparameters, manifest, validation, workforces
from byoal import records as rec
from byoal.errors import InputError
from byoal.labels import label_category_document, parse_label_categories
from byoal.request import (
    MAX_PREFIX_LENGTH,
    RESERVED_ATTRIBUTES,
    validate_active_learning_config,
    validate_request,
)
from scripts import cli, datasets, execution_input, ground_truth, uci_news

REQUEST_FILE = "request.json"
OUTPUT_FILES = (*execution_input.INPUT_FILES.values(), REQUEST_FILE)
DEFAULT_JOB_NAME_PREFIX = "byoal"
DEFAULT_LABEL_ATTRIBUTE = "label"
DEFAULT_LABELED_FRACTION = 0.2
DEFAULT_TASK_DESCRIPTION = "Classify each text into one of the given categories."
DEFAULT_SEED = 42

ACTIVE_LEARNING_OPTIONS = {key.flag: key.name for key in config_keys.for_script(config_keys.PREPARE)}
"""Option -> ActiveLearningConfig key, for every key this command exposes (:mod:`byoal.config_keys`)."""
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


def build_parser() -> argparse.ArgumentParser:
    """The command's options; the ActiveLearningConfig ones come from :mod:`byoal.config_keys` (``PREPARE``)."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.prepare",
        description="Turn a labeled text dataset into an input manifest, answer key, label file, worker UI and "
        "execution input.",
    )
    data = parser.add_argument_group("dataset")
    data.add_argument(
        "--dataset",
        type=Path,
        help="CSV, JSON Lines (.jsonl/.manifest, e.g. a Ground Truth manifest) or text with one record per line "
        "(.txt), plain or .gz; or newsCorpora.csv / the UCI zip archive",
    )
    data.add_argument(
        "--download",
        action="store_true",
        help=f"fetch the UCI News Aggregator archive ({uci_news.DOWNLOAD_URL}) to --dataset "
        f"(default {uci_news.DEFAULT_ARCHIVE}) unless it is already there",
    )
    data.add_argument("--download-sha256", metavar="HEX", help="reject the archive unless it has this SHA-256")
    data.add_argument("--format", choices=datasets.FORMATS, default="auto", help="file format (default: from the file)")
    data.add_argument("--encoding", default="utf-8")
    data.add_argument(
        "--text-column",
        help="the column (JSON field) with the text (default: the first named one of "
        f"{', '.join(datasets.TEXT_COLUMNS)}; 'source' in JSON Lines)",
    )
    data.add_argument(
        "--label-column",
        help=f"the column with the labels, cells may be empty (default: the first named one of "
        f"{', '.join(datasets.LABEL_COLUMNS)}; in JSON Lines the field that has a '-metadata' companion)",
    )
    names = data.add_mutually_exclusive_group()
    names.add_argument(
        "--labels",
        nargs="+",
        metavar="NAME",
        help="the class names, in class order (default: the labels found in the data, sorted); needed when no "
        "record is labeled",
    )
    names.add_argument(
        "--label-names",
        nargs="+",
        metavar="CODE=NAME",
        help="class order and names, e.g. b=Business e=Entertainment (default: the seed's names for UCI codes, "
        "else the label values in sorted order)",
    )
    cleaning = data.add_mutually_exclusive_group()
    cleaning.add_argument(
        "--clean",
        dest="clean",
        action="store_true",
        default=None,
        help="remove quotes and punctuation as the seed notebook does (default for a fully labeled CSV or UCI file)",
    )
    cleaning.add_argument(
        "--no-clean",
        dest="clean",
        action="store_false",
        help="keep the text as is (default for JSON Lines, text files and data people will label)",
    )
    data.add_argument("--sample", type=int, metavar="N", help="use a seeded random sample of N records")
    data.add_argument(
        "--labeled-fraction",
        type=float,
        help=f"fully labeled data only: the share of records given labeled, the rest kept as the answer key "
        f"(default {DEFAULT_LABELED_FRACTION})",
    )
    data.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for sampling and the workflow's choices")

    output = parser.add_argument_group("output")
    output.add_argument("--output-dir", type=Path, required=True)
    output.add_argument(
        "--force", action="store_true", help="replace the files of a folder this command prepared before"
    )
    output.add_argument(
        "--bucket",
        default="byoal-local",
        help="bucket the request names (default: the offline "
        "runner's stand-in bucket; scripts.start moves it to the stack's)",
    )
    output.add_argument("--prefix", default="inputs", help="key prefix of the uploaded inputs")

    request = parser.add_argument_group("labeling request")
    request.add_argument("--job-name-prefix", help="prefix of every job name (default: from the dataset's file name)")
    request.add_argument(
        "--label-attribute",
        help="the label's key in the manifests (default: from the label column, else 'label')",
    )
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
    config_keys.add_options(
        learning,
        config_keys.PREPARE,
        skip=("Seed",),  # --seed above: it also seeds the sampling, and defaults to DEFAULT_SEED
        help={
            "Workforce": "who labels the human batches (default: Simulated, from answers.manifest, when every record "
            "is labeled; else Callback, people in the labeling page)",
            "InputLabelsAreRandomSample": "whether the dataset's own labels were drawn at random, so they may "
            "calibrate round 1 (InputLabelsAreRandomSample; default: true for a fully labeled dataset, whose "
            "pre-labels prepare draws at random, false otherwise)",
        },
    )
    return parser


def active_learning_config(args: argparse.Namespace, answer_key_uri: str) -> dict[str, Any]:
    """The ActiveLearningConfig keys the user set, each checked on its own so the error names its option."""
    config = config_keys.option_values(args, config_keys.PREPARE)
    for key, value in config.items():
        try:
            validate_active_learning_config({"AnswerKeyS3Uri": answer_key_uri, key: value})
        except InputError as error:
            raise InputError(f"{config_keys.REGISTRY[key].flag} {value}: {error}") from None
    return config


def _check_request(request: dict[str, Any]) -> None:
    try:
        validate_request(request)
    except InputError as error:
        hint = next((option for field, option in _REQUEST_FIELD_OPTIONS.items() if f"'{field}'" in str(error)), None)
        raise InputError(f"{hint}: {error}" if hint else str(error)) from None


def _check_output_dir(directory: Path, *, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"--output-dir {directory}: exists and is not a directory")
    if not directory.is_dir():
        return
    present = sorted(path.name for path in directory.iterdir())
    foreign = [name for name in present if name not in OUTPUT_FILES]
    if foreign:
        raise InputError(f"--output-dir {directory}: holds other files {foreign[:5]}; use an empty or new directory")
    if present and not force:
        raise InputError(
            f"--output-dir {directory}: already holds prepared inputs ({', '.join(present)}); pass --force to replace "
            "them, or use a new directory"
        )


def default_job_name_prefix(dataset: Path) -> str:
    """The dataset's file name as a job-name prefix: ``my_tickets.csv.gz`` -> ``my-tickets``."""
    name = dataset.name.removesuffix(".gz").removesuffix(".zip")
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", Path(name).stem).strip("-").lower()
    return slug[:MAX_PREFIX_LENGTH].strip("-") or DEFAULT_JOB_NAME_PREFIX


def default_label_attribute(label_column: str | None) -> str:
    """The label column's name as a label attribute (``CATEGORY`` -> ``category``), else ``label``."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", label_column or "").strip("-").lower()
    if not slug or slug in RESERVED_ATTRIBUTES or slug.endswith("-metadata"):
        return DEFAULT_LABEL_ATTRIBUTE
    return slug




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
        for name in set(OUTPUT_FILES) - set(contents):
            (directory / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_request(args: argparse.Namespace, *, answer_key: bool = True) -> dict[str, Any]:
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
        active_learning_config={
            # prepare draws the pre-labels of a fully labeled dataset at random itself
            **({"InputLabelsAreRandomSample": True} if answer_key else {}),
            **active_learning_config(args, files["ActiveLearningConfig.AnswerKeyS3Uri"] if answer_key else None),
        },
        content_classifiers=ground_truth.PUBLIC_CONTENT_CLASSIFIERS if args.workteam_arn is None else [],
        answer_key=answer_key,
    )
    _check_request(request)
    return request


@dataclass(frozen=True)
class Dataset:
    """The records to write, their class indices (None: unlabeled), which of them go in labeled, what was dropped.

    ``answer_key`` is true when every record has a label: then only ``labeled`` go in labeled and
    the rest become the answer key of the Simulated workforce.
    """

    examples: list[datasets.Example]
    classes: datasets.Classes
    labels: list[int | None]
    labeled: set[int]
    dropped: int
    answer_key: bool
    label_column: str | None


def read_dataset(args: argparse.Namespace) -> Dataset:
    """The dataset the options name, cleaned, sampled and split into labeled and answer-key records; InputError on
    a bad file, column, label or option."""
    names_by_code = datasets.parse_label_names(args.label_names) if args.label_names else None
    loaded = datasets.load_dataset(
        _dataset_path(args),
        text_column=args.text_column,
        label_column=args.label_column,
        file_format=args.format,
        encoding=args.encoding,
    )
    # The seed notebook's cleaning suits measuring on a labeled table; people label the text as it is.
    fully_labeled = loaded.labeled == len(loaded.examples)
    clean = args.clean if args.clean is not None else fully_labeled and loaded.file_format in ("csv", "uci-news")
    examples = datasets.usable_examples(loaded.examples, clean=clean)
    dropped = len(loaded.examples) - len(examples)
    if args.sample is not None:
        examples = datasets.sample_examples(examples, args.sample, seed=args.seed)
    classes = datasets.classes_for(examples, names_by_code, label_column=loaded.label_column, labels=args.labels)
    labels = [None if example.label is None else classes.index(example.label) for example in examples]
    answer_key = all(label is not None for label in labels)
    if answer_key:
        fraction = DEFAULT_LABELED_FRACTION if args.labeled_fraction is None else args.labeled_fraction
        labeled = datasets.choose_labeled(labels, num_classes=len(classes.codes), fraction=fraction, seed=args.seed)
    else:
        if args.labeled_fraction is not None:
            raise InputError(
                f"--labeled-fraction {args.labeled_fraction}: only for fully labeled data; here "
                f"{sum(label is not None for label in labels):,} of {len(labels):,} records have a label, and every "
                "one of them is kept"
            )
        labeled = {position for position, label in enumerate(labels) if label is not None}
    return Dataset(
        examples=examples,
        classes=classes,
        labels=labels,
        labeled=labeled,
        dropped=dropped,
        answer_key=answer_key,
        label_column=loaded.label_column,
    )


def follow_the_data(args: argparse.Namespace, data: Dataset) -> None:
    """Fill the options left unset from the data: job-name prefix, label attribute, workforce."""
    if args.job_name_prefix is None:
        args.job_name_prefix = default_job_name_prefix(args.dataset or uci_news.DEFAULT_ARCHIVE)
    if args.label_attribute is None:
        args.label_attribute = default_label_attribute(data.label_column)
    if args.workforce is None:
        args.workforce = workforces.SIMULATED.name if data.answer_key else workforces.CALLBACK.name
    if workforces.get(args.workforce).requires_answer_key and not data.answer_key:
        raise InputError(
            f"--workforce {args.workforce} labels the human batches from an answer key, but only "
            f"{len(data.labeled):,} of {len(data.examples):,} records have a label: use --workforce Callback (people "
            "label in python -m scripts.label) or GroundTruth, or label every record"
        )


def folder_contents(data: Dataset, request: dict[str, Any]) -> dict[str, Iterable[bytes]]:
    """File name -> the bytes of each file of the prepared folder, manifests line by line."""
    attribute = request["LabelAttributeName"]
    job_name = f"{request['LabelingJobNamePrefix']}-prepared"
    created = rec.iso_timestamp()

    def answer(position: int) -> dict[str, Any]:
        label = data.labels[position]
        assert label is not None
        metadata = rec.label_metadata(
            class_name=data.classes.names[label], confidence=1.0, human=True, job_name=job_name, creation_date=created
        )
        return {**unlabeled(position), attribute: label, rec.metadata_field(attribute): metadata}

    def unlabeled(position: int) -> dict[str, Any]:
        example = data.examples[position]
        return {rec.SOURCE_FIELD: example.text, **example.fields}

    positions = range(len(data.examples))
    example_by_class: dict[int, str] = {}
    for position in sorted(data.labeled):
        example_by_class.setdefault(data.labels[position], data.examples[position].text)
    template = ground_truth.worker_template(
        {name: example_by_class.get(index) for index, name in enumerate(data.classes.names)}
    )
    label_document = label_category_document(data.classes.names)
    contents: dict[str, Iterable[bytes]] = {
        execution_input.INPUT_MANIFEST: (
            manifest.dumps(answer(position) if position in data.labeled else unlabeled(position))
            for position in positions
        ),
        execution_input.LABEL_CATEGORIES: [_json_file(label_document)],
        execution_input.UI_TEMPLATE: [template.encode("utf-8")],
        REQUEST_FILE: [_json_file(request)],
    }
    if data.answer_key:
        contents[execution_input.ANSWER_KEY] = (manifest.dumps(answer(position)) for position in positions)
    return contents


def check_prepared(data: Dataset, request: dict[str, Any]) -> None:
    """The workflow's own validation pass (ValidateInput's) over what is about to be written, for the bundled model."""
    config = validate_request(request, hyperparameter_schema=hyperparameters.bundled_schema())
    labels = parse_label_categories(
        _json_file(label_category_document(data.classes.names)), uri=config["LabelCategoryConfigS3Uri"]
    )
    uri = config["InputManifestS3Uri"]
    lines = folder_contents(data, request)[execution_input.INPUT_MANIFEST]
    records = (
        (number, manifest.parse_line(line, uri=uri, number=number, strict=True)) for number, line in enumerate(lines, 1)
    )
    validation.check_manifest(records, uri=uri, config=config, labels=labels)


def _json_file(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


def prepare(args: argparse.Namespace) -> Dataset:
    """Check the options, read the dataset, write the output folder."""
    if args.labeled_fraction is not None and not 0 < args.labeled_fraction < 1:
        raise InputError(f"--labeled-fraction {args.labeled_fraction}: must be strictly between 0 and 1")
    if args.sample is not None and args.sample < 1:
        raise InputError(f"--sample {args.sample}: must be a positive number of records")
    _check_output_dir(args.output_dir, force=args.force)
    data = read_dataset(args)
    follow_the_data(args, data)
    request = build_request(args, answer_key=data.answer_key)
    check_prepared(data, request)
    _write_folder(args.output_dir, folder_contents(data, request))
    return data


def _report(args: argparse.Namespace, data: Dataset) -> None:
    total = len(data.examples)
    if data.answer_key:
        print(
            f"{total:,} records, all labeled: {len(data.labeled):,} go in labeled ({len(data.labeled) / total:.0%}, "
            f"stratified by class), the rest is the answer key -> {args.output_dir}"
        )
    else:
        unlabeled = total - len(data.labeled)
        print(f"{total:,} records, {len(data.labeled):,} labeled, {unlabeled:,} unlabeled -> {args.output_dir}")
    if data.dropped:
        print(f"  skipped {data.dropped:,} rows left without text")
    labeled_by_class = Counter(data.labels[position] for position in data.labeled)
    for index, name in enumerate(data.classes.names):
        print(f"  class {index} {name}: {labeled_by_class[index]:,} labeled")
    print(
        f"  label attribute '{args.label_attribute}', job-name prefix '{args.job_name_prefix}', "
        f"workforce {args.workforce}"
    )
    print(f"  files: {', '.join(sorted(path.name for path in args.output_dir.iterdir()))}")
    if workforces.get(args.workforce).waits_for_people:
        print(
            f"next: python -m scripts.run_local --inputs {args.output_dir} --workdir <run folder>, and while it waits "
            "for labels: python -m scripts.label --workdir <run folder>"
        )


def main(argv: list[str] | None = None) -> int:
    """Prepare the folder and print what it holds; exit code 0, or 2 with the error on stderr."""
    args = build_parser().parse_args(argv)

    def command() -> int:
        data = prepare(args)
        _report(args, data)
        return 0

    return cli.run(command)


if __name__ == "__main__":
    sys.exit(main())
