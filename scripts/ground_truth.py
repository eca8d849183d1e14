"""The Ground Truth part of the request: workforce, price, task limits, built-in Lambdas, worker UI.

Defaults follow the seed notebook (AWS sample "Bring your own model for SageMaker labeling
workflows with active learning"): one worker per text, 5 minutes per task, tasks available for
6 hours, 200 tasks at a time, and $0.012 per task on the public workforce.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from byoal.errors import InputError

# The account that publishes Ground Truth's built-in PRE-/ACS- Lambdas in each region, as listed in
# the SageMaker API reference (HumanTaskConfig.PreHumanTaskLambdaArn and
# AnnotationConsolidationConfig.AnnotationConsolidationLambdaArn); the seed notebook knew five.
BUILTIN_LAMBDA_ACCOUNTS = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "ca-central-1": "918755190332",
    "eu-west-1": "568282634449",
    "eu-west-2": "487402164563",
    "eu-central-1": "203001061592",
    "ap-northeast-1": "477331159723",
    "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007",
    "ap-southeast-1": "377565633583",
    "ap-southeast-2": "454466003867",
}
PRE_ANNOTATION_FUNCTION = "PRE-TextMultiClass"
CONSOLIDATION_FUNCTION = "ACS-TextMultiClass"
PUBLIC_WORKFORCE_ACCOUNT = "394669845002"

# The prices the API reference allows for text classification on the public workforce (USD per task).
TEXT_CLASSIFICATION_PRICES = tuple(
    Decimal(price)
    for price in (
        "0.012",
        "0.024",
        "0.036",
        "0.048",
        "0.060",
        "0.072",
        "0.120",
        "0.240",
        "0.360",
        "0.480",
        "0.600",
        "0.720",
        "0.840",
        "0.960",
        "1.080",
        "1.200",
    )
)
DEFAULT_PRICE = Decimal("0.012")
WORKERS_PER_OBJECT = 1
TASK_TIME_LIMIT_SECONDS = 300
TASK_AVAILABILITY_SECONDS = 6 * 3600
PUBLIC_MAX_AVAILABILITY_SECONDS = 12 * 3600
PRIVATE_MAX_AVAILABILITY_SECONDS = 30 * 24 * 3600
MAX_TASK_TIME_LIMIT_SECONDS = 8 * 3600
MAX_CONCURRENT_TASKS = 200
TASK_KEYWORDS = ["text", "classification", "humans"]
# Mechanical Turk workers may only see content declared free of personal data and adult content.
PUBLIC_CONTENT_CLASSIFIERS = ["FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"]

_WORKTEAM_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:workteam/.+$")
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z\-]*:lambda:[a-z0-9\-]+:[0-9]{12}:function:.+$")


def public_workteam_arn(region: str) -> str:
    """The work team ARN of Ground Truth's public (Amazon Mechanical Turk) workforce in ``region``.

    The account and name are fixed by AWS, as the Ground Truth documentation gives them.
    """
    return f"arn:aws:sagemaker:{region}:{PUBLIC_WORKFORCE_ACCOUNT}:workteam/public-crowd/default"


def builtin_lambda_arns(region: str) -> tuple[str, str]:
    """(pre-annotation, annotation-consolidation) Lambda ARNs for built-in text classification."""
    account = BUILTIN_LAMBDA_ACCOUNTS.get(region)
    if account is None:
        raise InputError(
            f"--region {region}: Ground Truth publishes no built-in text-classification Lambdas there; use one of "
            f"{sorted(BUILTIN_LAMBDA_ACCOUNTS)}, or name your own with --pre-annotation-lambda-arn and "
            "--consolidation-lambda-arn"
        )
    return (
        f"arn:aws:lambda:{region}:{account}:function:{PRE_ANNOTATION_FUNCTION}",
        f"arn:aws:lambda:{region}:{account}:function:{CONSOLIDATION_FUNCTION}",
    )


def task_price(amount_usd: str) -> dict[str, Any]:
    """``PublicWorkforceTaskPrice`` for one of the allowed text-classification prices."""
    try:
        amount = Decimal(amount_usd)
    except InvalidOperation:
        amount = None
    if amount not in TEXT_CLASSIFICATION_PRICES:
        allowed = ", ".join(str(price) for price in TEXT_CLASSIFICATION_PRICES)
        raise InputError(
            f"--price {amount_usd}: the public workforce pays one of {allowed} USD per text-classification task"
        )
    tenths_of_cents = int(amount * 1000)
    return {
        "AmountInUsd": {
            "Dollars": tenths_of_cents // 1000,
            "Cents": tenths_of_cents % 1000 // 10,
            "TenthFractionsOfACent": tenths_of_cents % 10,
        }
    }


def human_task_config(
    *,
    region: str,
    ui_template_uri: str,
    task_description: str,
    workteam_arn: str | None = None,
    price_usd: str = str(DEFAULT_PRICE),
    pre_annotation_lambda_arn: str | None = None,
    consolidation_lambda_arn: str | None = None,
    workers_per_object: int = WORKERS_PER_OBJECT,
    task_time_limit_seconds: int = TASK_TIME_LIMIT_SECONDS,
    task_availability_seconds: int = TASK_AVAILABILITY_SECONDS,
    max_concurrent_tasks: int = MAX_CONCURRENT_TASKS,
) -> dict[str, Any]:
    """``HumanTaskConfig`` for built-in text classification: the public workforce unless a workteam is given."""
    if (pre_annotation_lambda_arn is None) != (consolidation_lambda_arn is None):
        raise InputError("--pre-annotation-lambda-arn and --consolidation-lambda-arn go together: give both or neither")
    if pre_annotation_lambda_arn is None:
        pre_annotation_lambda_arn, consolidation_lambda_arn = builtin_lambda_arns(region)
    for option, arn in (
        ("--pre-annotation-lambda-arn", pre_annotation_lambda_arn),
        ("--consolidation-lambda-arn", consolidation_lambda_arn),
    ):
        if not _LAMBDA_ARN.match(arn):
            raise InputError(f"{option}: not a Lambda function ARN: {arn!r}")
    if workteam_arn is not None and not _WORKTEAM_ARN.match(workteam_arn):
        raise InputError(f"--workteam-arn: not a SageMaker workteam ARN: {workteam_arn!r}")
    max_availability = PUBLIC_MAX_AVAILABILITY_SECONDS if workteam_arn is None else PRIVATE_MAX_AVAILABILITY_SECONDS
    for option, value, low, high in (
        ("--workers-per-object", workers_per_object, 1, 9),
        ("--task-time-limit", task_time_limit_seconds, 30, MAX_TASK_TIME_LIMIT_SECONDS),
        ("--task-availability", task_availability_seconds, 60, max_availability),
        ("--max-concurrent-tasks", max_concurrent_tasks, 1, 5000),
    ):
        if not low <= value <= high:
            raise InputError(f"{option} {value}: must be between {low} and {high}")
    if not 1 <= len(task_description) <= 128:
        raise InputError("--task-description: must be 1 to 128 characters")
    config: dict[str, Any] = {
        "WorkteamArn": workteam_arn or public_workteam_arn(region),
        "UiConfig": {"UiTemplateS3Uri": ui_template_uri},
        "PreHumanTaskLambdaArn": pre_annotation_lambda_arn,
        "TaskKeywords": TASK_KEYWORDS,
        "TaskTitle": task_description,
        "TaskDescription": task_description,
        "NumberOfHumanWorkersPerDataObject": workers_per_object,
        "TaskTimeLimitInSeconds": task_time_limit_seconds,
        "TaskAvailabilityLifetimeInSeconds": task_availability_seconds,
        "MaxConcurrentTaskCount": max_concurrent_tasks,
        "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": consolidation_lambda_arn},
    }
    if workteam_arn is None:
        config["PublicWorkforceTaskPrice"] = task_price(price_usd)
    return config


def _inert_html(text: str) -> str:
    """Text shown as is: HTML-escaped, and braces as entities so Liquid never reads it as a tag."""
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def worker_template(examples_by_class: dict[str, str | None]) -> str:
    """The crowd-html worker UI for built-in text classification, with one example text per class.

    The record text comes from the pre-annotation Lambda as ``task.input.taskObject`` and is
    printed with ``| escape``: a headline never becomes markup. Examples are escaped here.
    """
    examples = "\n".join(
        f"      <p><strong>{_inert_html(name)}</strong>"
        + (f": {_inert_html(text)}" if text is not None else "")
        + "</p>"
        for name, text in examples_by_class.items()
    )
    return f"""<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-classifier
    name="crowd-classifier"
    categories="{{{{ task.input.labels | to_json | escape }}}}"
    header="Which category does this text belong to?"
  >
    <classification-target>{{{{ task.input.taskObject | escape }}}}</classification-target>
    <full-instructions header="Classification instructions">
      <ol>
        <li><strong>Read</strong> the text carefully.</li>
        <li><strong>Compare</strong> it with the example of each category.</li>
        <li><strong>Choose</strong> the one category that fits the text best.</li>
      </ol>
    </full-instructions>
    <short-instructions>
      <p>Choose the category that fits the text best. An example of each:</p>
{examples}
    </short-instructions>
  </crowd-classifier>
</crowd-form>
"""
