"""The batch transform's InputFilter and OutputFilter offline (local_runner.sagemaker.select_fields): the JSONPath
operators SageMaker documents, applied to JSON records, and a clear refusal of the rest."""

from __future__ import annotations

import pytest

from asl_interpreter import TaskFailure
from local_runner.sagemaker import select_fields

RECORD = {"byoal-id": 7, "source": "Stocks rally", "SageMakerOutput": {"label": 1, "probabilities": [0.2, 0.8]},
          "tags": ["a", "b", "c"]}  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$", RECORD),
        ("$.source", "Stocks rally"),
        ("$.byoal-id", 7),
        ("$['source']", "Stocks rally"),
        ("$['byoal-id','SageMakerOutput']", {"byoal-id": 7, "SageMakerOutput": RECORD["SageMakerOutput"]}),
        ("$['SageMakerOutput', 'missing', 'byoal-id']", {"SageMakerOutput": RECORD["SageMakerOutput"], "byoal-id": 7}),
        ("$.SageMakerOutput.label", 1),
        ("$.SageMakerOutput['label','probabilities']", RECORD["SageMakerOutput"]),
        ("$.tags[0]", "a"),
        ("$.tags[1:]", ["b", "c"]),
        ("$.tags[*]", ["a", "b", "c"]),
        ("$.SageMakerOutput.probabilities[0,1]", [0.2, 0.8]),
    ],
)
def test_the_filters_select_as_sagemaker_does(expression, expected):
    assert select_fields(RECORD, expression, field="OutputFilter") == expected


@pytest.mark.parametrize("expression", ["$..label", "$.tags[?(@ == 'a')]", "source", "$.tags.`len`", "$[", "@.source"])
def test_other_jsonpath_is_refused_naming_the_filter(expression):
    with pytest.raises(TaskFailure, match=r"InputFilter .* is not a JSONPath SageMaker's batch transform takes"):
        select_fields(RECORD, expression, field="InputFilter")


def test_a_path_to_a_field_the_record_lacks_fails_naming_the_record():
    with pytest.raises(TaskFailure, match=r"InputFilter '\$.text' matches nothing in line 3 of s3://b/in.jsonl"):
        select_fields(RECORD, "$.text", field="InputFilter", where="line 3 of s3://b/in.jsonl")
