"""Step: turn a selection of record ids into a human-labeling job's input manifest and request.

The same batch serves all three workforces; for Ground Truth the step also builds the
CreateLabelingJob request from the execution input's ``HumanTaskConfig``. The batch's calibration
records (selection lines with ``byoal-calibration``) are labeled like the others; the job's folder
lists them (``layout.labeling_job_calibration``: id and the round that drew them), which the merge
reads to flag them in the working manifest.
"""

from __future__ import annotations

from typing import Any

from byoal import layout, manifest, workforces
from byoal import records as rec
from byoal.step_contracts import LabelingJobRequest, PrepareHumanBatchEvent, PrepareHumanBatchResult
from byoal.storage import storage_from_environment


def labeling_job_request(
    request: dict[str, Any], config: dict[str, Any], *, job_name: str, input_manifest: str, root: str
) -> dict[str, Any]:
    """The CreateLabelingJob request for one batch: the execution input's role, ``HumanTaskConfig``,
    ``DataAttributes`` and ``KmsKeyId``, with this batch's job name and input and the run's job folder."""
    input_config: dict[str, Any] = {"DataSource": {"S3DataSource": {"ManifestS3Uri": input_manifest}}}
    if "DataAttributes" in request.get("InputConfig", {}):
        input_config["DataAttributes"] = request["InputConfig"]["DataAttributes"]
    output_config = {"S3OutputPath": layout.labeling_jobs_folder(root)}
    if "KmsKeyId" in request.get("OutputConfig", {}):
        output_config["KmsKeyId"] = request["OutputConfig"]["KmsKeyId"]
    return {
        "LabelingJobName": job_name,
        "LabelAttributeName": config["LabelAttributeName"],
        "InputConfig": input_config,
        "OutputConfig": output_config,
        "RoleArn": request["RoleArn"],
        "LabelCategoryConfigS3Uri": config["LabelCategoryConfigS3Uri"],
        "HumanTaskConfig": request["HumanTaskConfig"],
    }


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """PrepareHumanBatchEvent -> PrepareHumanBatchResult (the batch, with its CreateLabelingJob request for
    Ground Truth)."""
    parsed = PrepareHumanBatchEvent.from_event(event)
    storage = storage_from_environment()
    config, root, selection = parsed.config, parsed.run.root, parsed.selection
    wanted: set[int] = set()
    calibration: dict[int, int] = {}
    for record in manifest.read_records(storage, selection.manifest):
        wanted.add(rec.record_id(record))
        if rec.is_calibration(record):
            calibration[rec.record_id(record)] = rec.calibration_round(record)
    job_name = layout.job_name(parsed.run.id, selection.round, "human")
    input_manifest = layout.labeling_job_input(root, job_name)
    calibration_manifest = layout.labeling_job_calibration(root, job_name)
    manifest.write_records(
        storage, calibration_manifest,
        ({rec.ID_FIELD: identity, rec.CALIBRATION_FIELD: drawn} for identity, drawn in sorted(calibration.items())),
    )
    batch = (
        {rec.SOURCE_FIELD: record[rec.SOURCE_FIELD], rec.ID_FIELD: rec.record_id(record)}
        for record in manifest.read_records(storage, parsed.working.manifest)
        if rec.record_id(record) in wanted
    )
    count = manifest.write_records(storage, input_manifest, batch)
    request = None
    if workforces.get(config["Workforce"]).labeling_job:
        request = LabelingJobRequest(**labeling_job_request(
            parsed.request, config, job_name=job_name, input_manifest=input_manifest, root=root
        ))
    return PrepareHumanBatchResult(
        job_name=job_name,
        round=selection.round,
        count=count,
        calibration=len(calibration),
        calibration_manifest=calibration_manifest,
        input_manifest=input_manifest,
        output_manifest=layout.labeling_job_output(root, job_name),
        labeling_job_request=request,
    ).to_result()
