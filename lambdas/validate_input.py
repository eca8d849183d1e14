"""Step: check the execution input, then copy the input manifest into the run's working area.

The checks run in sequence — request (with ``GroundTruth``, also the labeling jobs' request it
makes), label-category file, input manifest (every line, and the dataset's size), answer key
(matched against the input's records, so after them) — and each raises an InputError naming the
field or line; only when all have passed is anything written, so bad input fails here before any
job starts. ``model`` (``{"algorithm", "image"}``, from the state machine's definition) says which
model will train, so its hyperparameter schema can be checked.

The run folder is then claimed for the execution (``execution.json``, written only if absent): a
retry or redrive of the same execution finds its own claim, and any other execution that would
land in the folder is refused, so no execution ever reads another's round files.
"""

from __future__ import annotations

import json
import math
from typing import Any

from byoal import answer_key, embeddings, hyperparameters, layout, manifest, validation, workforces
from byoal.errors import InputError
from byoal.labels import load_label_categories
from byoal.request import validate_request
from byoal.step_contracts import Model, Run, ValidateInputEvent, ValidateInputResult
from byoal.storage import ObjectExists, Storage, StorageError, read_bytes, storage_from_environment
from lambdas.prepare_human_batch import labeling_job_request

MANIFEST_FIELD = "InputConfig.DataSource.S3DataSource.ManifestS3Uri"


def check_request(request: dict[str, Any], model: Model) -> dict[str, Any]:
    """The normalized configuration of the execution input ``request`` (InputError naming the field); its
    ``HyperParameters`` checked against ``model``'s schema, ``PrecomputeEmbeddings`` resolved to true or false."""
    schema = hyperparameters.published_schema(model.algorithm, model.image)
    config = validate_request(request, hyperparameter_schema=schema)
    config[embeddings.CONFIG_KEY] = embeddings.precompute_embeddings(
        config, algorithm=model.algorithm, image=model.image
    )
    return config


def check_input_manifest(storage: Storage, config: dict[str, Any], labels: list[str]) -> validation.ManifestSummary:
    """Every line of the input manifest checked (validation.check_manifest); InputError naming the line."""
    uri = config["InputManifestS3Uri"]
    if not storage.exists(uri):
        raise InputError(f"'{MANIFEST_FIELD}': object not found: {uri}")
    try:
        return validation.check_manifest(
            manifest.read_numbered_records(storage, uri, strict=True), uri=uri, config=config, labels=labels
        )
    except StorageError as error:
        raise InputError(f"'{MANIFEST_FIELD}': {error}") from None


def check_answer_key(storage: Storage, config: dict[str, Any], labels: list[str]) -> None:
    """The answer key, when the run names one (required with ``Simulated``): the input's records, with known classes."""
    if config["AnswerKeyS3Uri"]:
        answer_key.check_answer_key(
            storage,
            config["AnswerKeyS3Uri"],
            config["InputManifestS3Uri"],
            label_attribute=config["LabelAttributeName"],
            num_classes=len(labels),
            required=workforces.get(config["Workforce"]).requires_answer_key,
        )


def check_labeling_job_request(request: dict[str, Any], config: dict[str, Any], *, run: str, root: str) -> None:
    """With ``GroundTruth``, the CreateLabelingJob request every human batch will send, checked against the
    service's published shape (types, lengths, ranges) with botocore, so a bad ``HumanTaskConfig`` fails here."""
    if not workforces.get(config["Workforce"]).labeling_job:
        return
    from botocore.session import get_session
    from botocore.validate import ParamValidator

    job_name = layout.job_name(run, 0, "human")
    sample = labeling_job_request(
        request, config, job_name=job_name, input_manifest=layout.labeling_job_input(root, job_name), root=root
    )
    shape = get_session().get_service_model("sagemaker").operation_model("CreateLabelingJob").input_shape
    report = ParamValidator().validate(sample, shape)
    if report.has_errors():
        problems = "; ".join(line.strip() for line in report.generate_report().splitlines() if line.strip())
        raise InputError(f"the labeling jobs' request (CreateLabelingJob) would be refused: {problems}")


def claim_run_folder(storage: Storage, root: str, execution_id: str) -> None:
    """Mark the run folder as this execution's; InputError if another execution owns it."""
    marker = layout.execution_marker(root)
    try:
        with storage.open_write(marker, if_absent=True) as sink:
            sink.write(json.dumps({"execution_id": execution_id}).encode("utf-8"))
    except ObjectExists:
        owner = json.loads(read_bytes(storage, marker))["execution_id"]
        if owner != execution_id:
            raise InputError(
                f"the run folder {root} belongs to execution {owner}; start this one under another name "
                "(or redrive that one)"
            ) from None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """ValidateInputEvent -> ValidateInputResult (request, normalized config, run); InputError naming the field
    or line of the first problem, before anything is written."""
    parsed = ValidateInputEvent.from_event(event)
    storage = storage_from_environment()
    config = check_request(parsed.request, parsed.model)
    run = layout.run_id(config["LabelingJobNamePrefix"], parsed.execution_name)
    root = layout.run_root(config["S3OutputPath"], run)
    check_labeling_job_request(parsed.request, config, run=run, root=root)
    labels = load_label_categories(storage, config["LabelCategoryConfigS3Uri"])
    summary = check_input_manifest(storage, config, labels)
    check_answer_key(storage, config, labels)
    claim_run_folder(storage, root, parsed.execution_id or parsed.execution_name)

    copy_uri = layout.input_copy(root)
    with storage.open_read(config["InputManifestS3Uri"]) as stream, storage.open_write(copy_uri) as sink:
        while chunk := stream.read(1024 * 1024):
            sink.write(chunk)

    config.update(
        Labels=labels,
        RecordCount=summary.records,
        HumanBatchSize=config["HumanBatchSize"] or max(1, math.ceil(config["HumanBatchShare"] * summary.records)),
    )
    return ValidateInputResult(
        request=parsed.request,
        config=config,
        run=Run(id=run, root=root, input_manifest=copy_uri, final_manifest=layout.final_manifest(root)),
    ).to_result()
