"""``python -m scripts.start --redrive``: RedriveExecution for a stopped execution.

Any other execution is refused with Step Functions' reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from scripts import aws_stack, start

ARN = "arn:aws:states:eu-west-1:123456789012:execution:ActiveLearningLoop-dev:run-1"
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:ActiveLearningLoop-dev"
STARTED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def sfn(monkeypatch):
    client = boto3.client("stepfunctions", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(aws_stack, "client", lambda service, region: client)
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def described(status: str, redrive_status: str, **extra) -> dict:
    return {"executionArn": ARN, "stateMachineArn": MACHINE, "status": status, "startDate": STARTED,
            "redriveStatus": redrive_status, "redriveCount": 0, **extra}


def test_a_failed_execution_is_redriven_from_where_it_stopped(sfn, capsys):
    sfn.add_response("describe_execution", described("FAILED", "REDRIVABLE"), {"executionArn": ARN})
    sfn.add_response(
        "redrive_execution", {"redriveDate": datetime(2026, 11, 29, 10, 0, tzinfo=UTC)}, {"executionArn": ARN}
    )

    assert start.main(["--redrive", ARN]) == 0

    printed = capsys.readouterr().out
    assert (
        f"redriven {ARN} (redrive 1, 2026-11-29 10:00:00 UTC): "
        "it continues from the state where it failed, with its input" in printed
    )
    assert f"#/v2/executions/details/{ARN}" in printed


@pytest.mark.parametrize(
    "status, reason",
    [
        ("SUCCEEDED", "Execution is SUCCEEDED and cannot be redriven."),
        ("FAILED", "Execution redrivable period exceeded."),
    ],
)
def test_an_execution_that_cannot_be_redriven_is_refused_with_the_reason(sfn, capsys, status, reason):
    sfn.add_response(
        "describe_execution", described(status, "NOT_REDRIVABLE", redriveStatusReason=reason), {"executionArn": ARN}
    )

    assert start.main(["--redrive", ARN]) == 2

    assert f"error: --redrive {ARN}: the execution cannot be redriven: {reason}" in capsys.readouterr().err


def test_redrive_and_input_dir_are_one_or_the_other(capsys, tmp_path):
    with pytest.raises(SystemExit):
        start.main(["--redrive", ARN, "--input-dir", str(tmp_path)])
    assert "not allowed with argument" in capsys.readouterr().err
