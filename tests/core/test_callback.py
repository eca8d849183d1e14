"""The Callback workforce: the batch waits with its task token; a labeled file resumes the execution."""

from __future__ import annotations

import json

import pytest

from byoal import manifest
from byoal.errors import InputError
from byoal.step_contracts import CallbackPending
from byoal.storage import read_bytes
from lambdas import assign_ids, callback_batch, callback_resume, prepare_human_batch, validate_input

from .conftest import BUCKET


class RecordingResumer:
    def __init__(self):
        self.calls = []

    def send_task_success(self, *, taskToken, output):
        self.calls.append((taskToken, json.loads(output)))


@pytest.fixture
def pending(storage, put_inputs):
    request = put_inputs([{"source": "a"}, {"source": 'b "q"'}, {"source": "c"}, {"source": "d"}], Workforce="Callback")
    del request["ActiveLearningConfig"]["AnswerKeyS3Uri"]
    start = validate_input.handler({"request": request, "execution_name": "e"})
    state = {**start, "working": assign_ids.handler({"run": start["run"]})}
    selection = f"s3://{BUCKET}/sel.manifest"
    manifest.write_records(storage, selection, [{"byoal-id": 1}, {"byoal-id": 2}])
    batch = prepare_human_batch.handler({**state, "selection": {"manifest": selection, "count": 2, "round": 0}})
    result = callback_batch.handler({**state, "human_batch": batch, "task_token": "token-secret-123"})
    return result["pending"], batch


def test_a_labeled_manifest_resumes_the_execution_with_ground_truth_output(storage, pending):
    uri, batch = pending
    assert json.loads(read_bytes(storage, uri))["task_token"] == "token-secret-123"
    labeled = f"s3://{BUCKET}/labeled.manifest"
    manifest.write_records(
        storage, labeled, [{"byoal-id": 2, "category": 3}, {"byoal-id": 1, "category": 0, "source": 'b "q"'}]
    )
    resumer = RecordingResumer()
    result = callback_resume.handler({"pending": uri, "labeled_manifest": labeled}, resumer=resumer)
    assert result == {"job_name": batch["job_name"], "labeled": 2, "of": 2}
    assert resumer.calls == [("token-secret-123", {"output_manifest": batch["output_manifest"]})]
    output = list(manifest.read_records(storage, batch["output_manifest"]))
    assert [(r["byoal-id"], r["category"], r["source"]) for r in output] == [(1, 0, 'b "q"'), (2, 3, "c")]
    assert output[1]["category-metadata"]["class-name"] == "Science and Technology"
    assert output[1]["category-metadata"]["human-annotated"] == "yes"


@pytest.mark.parametrize(
    "lines, message",
    [
        ([{"byoal-id": 0, "category": 1}], "line 1: 'byoal-id' 0 is not a record of batch"),
        ([{"byoal-id": 1, "category": 9}], "line 1: label 'category' = 9 is outside"),
        ([{"byoal-id": 1, "category": 1}, {"byoal-id": 1, "category": 2}], "line 2: record id 1 is labeled twice"),
    ],
)
def test_a_bad_labeled_manifest_is_refused_without_resuming(storage, pending, lines, message):
    uri, batch = pending
    labeled = f"s3://{BUCKET}/labeled.manifest"
    manifest.write_records(storage, labeled, lines)
    resumer = RecordingResumer()
    with pytest.raises(InputError, match=message):
        callback_resume.handler({"pending": uri, "labeled_manifest": labeled}, resumer=resumer)
    assert resumer.calls == [] and not storage.exists(batch["output_manifest"])


def test_a_second_submission_for_a_labeled_batch_is_refused_and_changes_nothing(storage, pending):
    uri, batch = pending
    first, second = f"s3://{BUCKET}/first.manifest", f"s3://{BUCKET}/second.manifest"
    manifest.write_records(storage, first, [{"byoal-id": 1, "category": 0}, {"byoal-id": 2, "category": 3}])
    manifest.write_records(storage, second, [{"byoal-id": 1, "category": 2}, {"byoal-id": 2, "category": 2}])
    resumer = RecordingResumer()
    callback_resume.handler({"pending": uri, "labeled_manifest": first}, resumer=resumer)
    stored = read_bytes(storage, batch["output_manifest"])

    with pytest.raises(InputError, match=f"batch {batch['job_name']} already has its labels .* accepted once"):
        callback_resume.handler({"pending": uri, "labeled_manifest": second}, resumer=resumer)

    assert read_bytes(storage, batch["output_manifest"]) == stored
    assert len(resumer.calls) == 1


def test_labels_written_by_a_racing_submission_win_and_the_other_is_refused(storage, pending):
    uri, batch = pending
    labeled = f"s3://{BUCKET}/labeled.manifest"
    manifest.write_records(storage, labeled, [{"byoal-id": 1, "category": 0}])
    real_exists = storage.exists
    manifest.write_records(storage, batch["output_manifest"], [{"byoal-id": 1, "category": 1}])
    # The other submission wrote between this one's check and its write: the conditional write catches it.
    storage.exists = lambda candidate: False if candidate == batch["output_manifest"] else real_exists(candidate)
    try:
        with pytest.raises(InputError, match="already has its labels"):
            callback_resume.store_labels(
                storage, callback_resume.read_pending(storage, uri), [{"byoal-id": 1, "category": 0}]
            )
    finally:
        del storage.exists
    assert [r["category"] for r in manifest.read_records(storage, batch["output_manifest"])] == [1]


def test_offline_a_second_submission_is_refused_by_the_command_and_changes_nothing(storage, pending, tmp_path, capsys):
    from byoal.storage import LocalStorage
    from scripts import local_callback

    if not isinstance(storage, LocalStorage):
        pytest.skip("the offline command works on a local work directory")
    uri, batch = pending
    labeled = tmp_path / "labels.jsonl"
    labeled.write_text('{"byoal-id": 1, "category": 0}\n{"byoal-id": 2, "category": 3}\n')
    command = ["--workdir", str(tmp_path), "--pending", uri, "--labeled", str(labeled)]
    assert local_callback.main(command) == 0
    assert json.loads(capsys.readouterr().out) == {"job_name": batch["job_name"], "labeled": 2, "of": 2}
    stored, tokens = read_bytes(storage, batch["output_manifest"]), sorted((tmp_path / "task-tokens").iterdir())
    submitted = {path: path.read_bytes() for path in (tmp_path / "s3").rglob("submitted/*")}

    labeled.write_text('{"byoal-id": 1, "category": 2}\n')
    assert local_callback.main(command) == 2

    assert "already has its labels" in capsys.readouterr().err
    assert read_bytes(storage, batch["output_manifest"]) == stored
    assert sorted((tmp_path / "task-tokens").iterdir()) == tokens
    assert {path: path.read_bytes() for path in (tmp_path / "s3").rglob("submitted/*")} == submitted


def test_a_timed_out_task_keeps_the_labels_and_a_redriven_task_takes_them_without_asking(
    storage, pending, tmp_path, monkeypatch
):
    from botocore.exceptions import ClientError

    uri, batch = pending
    labeled = f"s3://{BUCKET}/labeled.manifest"
    manifest.write_records(storage, labeled, [{"byoal-id": 1, "category": 0}, {"byoal-id": 2, "category": 3}])

    class TimedOut:
        def send_task_success(self, *, taskToken, output):
            raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "Task Timed Out"}}, "SendTaskSuccess")

    with pytest.raises(InputError, match="no longer waits for them \\(TaskTimedOut\\): redrive it"):
        callback_resume.handler({"pending": uri, "labeled_manifest": labeled}, resumer=TimedOut())
    assert storage.exists(batch["output_manifest"])

    monkeypatch.setenv(callback_resume.LOCAL_TOKEN_DIR_ENV, str(tmp_path / "tokens"))
    state = {
        "config": {"LabelAttributeName": "category", "Labels": ["a", "b", "c", "d"]},
        "run": {"id": "news", "root": uri.split("labeling-jobs/")[0]},
    }
    result = callback_batch.handler({**state, "human_batch": batch, "task_token": "token-after-redrive"})

    assert result["labeled_before"] is True
    answer = json.loads((tmp_path / "tokens" / "token-after-redrive.json").read_text())
    assert answer == {"output_manifest": batch["output_manifest"]}


def test_on_s3_the_labels_are_a_conditional_write_and_a_412_refuses_the_batch():
    import boto3
    from botocore.stub import ANY, Stubber

    from byoal.storage import S3Storage

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    pending = CallbackPending(
        task_token="t", job_name="news-r001-human", input_manifest=f"s3://{BUCKET}/labeling-jobs/j/input.manifest",
        output_manifest=f"s3://{BUCKET}/labeling-jobs/j/output.manifest", label_attribute="category", labels=["a", "b"],
    )
    expected = {"Bucket": BUCKET, "Key": "labeling-jobs/j/output.manifest", "Body": ANY, "IfNoneMatch": "*"}
    with Stubber(client) as stub:
        stub.add_response("put_object", {"ETag": '"1"'}, expected)
        stub.add_client_error(
            "put_object",
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            expected_params=expected,
        )
        callback_resume.store_labels(S3Storage(client), pending, [{"byoal-id": 1, "category": 0}])
        with pytest.raises(InputError, match="batch news-r001-human already has its labels"):
            callback_resume.store_labels(S3Storage(client), pending, [{"byoal-id": 1, "category": 2}])
        stub.assert_no_pending_responses()
