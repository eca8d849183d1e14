"""The labeling page on AWS (moto): the batch a running execution waits for, answered with SendTaskSuccess."""

from __future__ import annotations

from byoal import layout, manifest
from byoal.storage import S3Storage
from scripts import label, labeling

from .test_aws_commands import waiting_batch  # noqa: F401 - the fixture


def test_the_page_labels_a_running_executions_batch_and_resumes_it_once(waiting_batch, tmp_path):  # noqa: F811
    batches = labeling.AwsBatches(region=None, stack_name="Byoal-dev", execution_arn=None)
    assert batches.pending() == [waiting_batch["pending"]]
    session = label.LabelingSession(batches, tmp_path / "answers")
    app = label.create_app(session)
    client = app.test_client()  # moto intercepts the requests library, so no real HTTP here
    state = client.get("/api/batch").get_json()["batch"]
    assert [record["id"] for record in state["records"]] == [record["byoal-id"] for record in waiting_batch["batch"]]
    assert state["labels"][0] == "Business"
    assert state["instructions"]["question"] == "Which category does this text belong to?"
    batches.sfn = waiting_batch["lambda"]  # records SendTaskSuccess instead of calling Step Functions
    headers = {label.TOKEN_HEADER: app.config["TOKEN"]}
    for record in state["records"]:
        truth = waiting_batch["answers"][record["id"]]["category"]
        response = client.post(
            "/api/answer", json={"job": state["job"], "id": record["id"], "label": truth}, headers=headers
        )
        assert response.status_code == 200
    first = client.post("/api/submit", json={"job": state["job"]}, headers=headers)
    second = client.post("/api/submit", json={"job": state["job"]}, headers=headers)
    assert first.status_code == 200 and first.get_json()["labeled"] == 6
    assert second.status_code == 409
    assert waiting_batch["lambda"].tokens == ["token-1"], "SendTaskSuccess once"
    output = list(
        manifest.read_records(S3Storage(), layout.labeling_job_output(waiting_batch["root"], waiting_batch["job"]))
    )
    assert [record["category"] for record in output] == [
        waiting_batch["answers"][record["byoal-id"]]["category"] for record in waiting_batch["batch"]
    ]
    assert all(record["category-metadata"]["class-name"] for record in output)
