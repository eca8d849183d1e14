"""The Callback workforce: the batch waits with its task token; a labeled file resumes the execution."""

from __future__ import annotations

import json

import pytest

from byoal import manifest
from byoal.errors import InputError
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
    manifest.write_records(storage, labeled, [{"byoal-id": 2, "category": 3}, {"byoal-id": 1, "category": 0, "source": 'b "q"'}])
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
