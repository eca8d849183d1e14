"""The Ground Truth part of the request: Lambda ARNs per region, prices, the worker template."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import botocore.session
import pytest

from byoal.errors import InputError
from scripts import ground_truth


def documented_accounts(shape: str, member: str, function: str) -> dict[str, str]:
    """Region -> account of a built-in Lambda, as botocore's SageMaker service model documents it."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    documentation = model.shape_for(shape).members[member].documentation
    return dict(re.findall(rf"arn:aws:lambda:([a-z0-9-]+):(\d{{12}}):function:{function}\b", documentation))


def test_lambda_table_is_the_documented_one():
    pre = documented_accounts("HumanTaskConfig", "PreHumanTaskLambdaArn", ground_truth.PRE_ANNOTATION_FUNCTION)
    acs = documented_accounts(
        "AnnotationConsolidationConfig", "AnnotationConsolidationLambdaArn", ground_truth.CONSOLIDATION_FUNCTION
    )
    assert pre == acs == ground_truth.BUILTIN_LAMBDA_ACCOUNTS


def test_seed_regions_keep_their_accounts():
    seed = {
        "us-west-2": "081040173940",
        "us-east-1": "432418664414",
        "us-east-2": "266458841044",
        "eu-west-1": "568282634449",
        "ap-northeast-1": "477331159723",
    }
    assert seed.items() <= ground_truth.BUILTIN_LAMBDA_ACCOUNTS.items()
    assert ground_truth.builtin_lambda_arns("eu-west-1") == (
        "arn:aws:lambda:eu-west-1:568282634449:function:PRE-TextMultiClass",
        "arn:aws:lambda:eu-west-1:568282634449:function:ACS-TextMultiClass",
    )


def test_region_without_lambdas_is_named():
    with pytest.raises(InputError, match=r"--region eu-north-1: Ground Truth publishes no built-in"):
        ground_truth.builtin_lambda_arns("eu-north-1")


def test_documented_prices_are_the_allowed_ones():
    documentation = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .shape_for("PublicWorkforceTaskPrice")
        .documentation
    )
    section = documentation.split("text classification, and custom tasks")[1].split("Use one of")[0]
    assert tuple(re.findall(r"\d+\.\d{3}", section)) == tuple(str(p) for p in ground_truth.TEXT_CLASSIFICATION_PRICES)


@pytest.mark.parametrize(
    "price, amount",
    [
        ("0.012", {"Dollars": 0, "Cents": 1, "TenthFractionsOfACent": 2}),
        ("0.36", {"Dollars": 0, "Cents": 36, "TenthFractionsOfACent": 0}),
        ("1.080", {"Dollars": 1, "Cents": 8, "TenthFractionsOfACent": 0}),
    ],
)
def test_price_in_dollars_cents_and_tenths(price, amount):
    assert ground_truth.task_price(price) == {"AmountInUsd": amount}


@pytest.mark.parametrize("price", ["0.013", "free", "2.400"])
def test_other_prices_are_refused(price):
    with pytest.raises(InputError, match=f"--price {price}: the public workforce pays one of 0.012"):
        ground_truth.task_price(price)


def test_private_workteam_has_no_price():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/my-team"
    config = ground_truth.human_task_config(
        region="us-east-1", ui_template_uri="s3://b/t", task_description="d", workteam_arn=arn
    )
    assert config["WorkteamArn"] == arn
    assert "PublicWorkforceTaskPrice" not in config


@pytest.mark.parametrize(
    "options, message",
    [
        ({"workteam_arn": "my-team"}, "--workteam-arn: not a SageMaker workteam ARN"),
        ({"pre_annotation_lambda_arn": "arn:aws:lambda:eu-north-1:123456789012:function:pre"}, "go together"),
        ({"workers_per_object": 10}, "--workers-per-object 10: must be between 1 and 9"),
        ({"task_availability_seconds": 50000}, "--task-availability 50000: must be between 60 and 43200"),
    ],
)
def test_task_options_are_checked(options, message):
    with pytest.raises(InputError, match=message):
        ground_truth.human_task_config(region="us-east-1", ui_template_uri="s3://b/t", task_description="d", **options)


def test_own_lambdas_serve_a_region_without_built_in_ones():
    config = ground_truth.human_task_config(
        region="eu-north-1",
        ui_template_uri="s3://b/t",
        task_description="d",
        pre_annotation_lambda_arn="arn:aws:lambda:eu-north-1:123456789012:function:pre",
        consolidation_lambda_arn="arn:aws:lambda:eu-north-1:123456789012:function:acs",
    )
    assert config["PreHumanTaskLambdaArn"].endswith(":function:pre")
    assert config["WorkteamArn"] == "arn:aws:sagemaker:eu-north-1:394669845002:workteam/public-crowd/default"


class TagChecker(HTMLParser):
    """Records elements and text; fails on an end tag that does not close the innermost open element."""

    VOID = {"br", "img", "input", "meta", "link", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.attributes: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        self.attributes.setdefault(tag, dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack:
            self.text[self.stack[-1]] = self.text.get(self.stack[-1], "") + data


def test_worker_template_is_balanced_crowd_html_with_escaped_text():
    template = ground_truth.worker_template(
        {
            "Business": "<b>Stocks</b> & {{ task.input.secret }} {% raw %}",
            "Health & Medicine": None,
        }
    )
    checker = TagChecker()
    checker.feed(template)
    checker.close()
    assert checker.stack == []
    classifier = checker.attributes["crowd-classifier"]
    assert classifier["name"] == "crowd-classifier"
    assert classifier["categories"] == "{{ task.input.labels | to_json | escape }}"
    assert checker.text["classification-target"] == "{{ task.input.taskObject | escape }}"
    assert "skip_autoescape" not in template
    assert "<b>Stocks" not in template and "&lt;b&gt;Stocks&lt;/b&gt; &amp;" in template
    assert "{{ task.input.secret" not in template and "{%" not in template.split("<short-instructions>")[1]
    assert "Health &amp; Medicine" in template
