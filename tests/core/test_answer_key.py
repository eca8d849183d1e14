"""The answer key is checked at the first step: same records, same order or matched by id, known classes."""

from __future__ import annotations

import pytest

from byoal.errors import InputError
from lambdas import validate_input

from .conftest import BUCKET

RECORDS = [
    {"source": "alpha"},
    {"source": 'be "ta"'},
    {"source": "gamma"},
    {"source": "delta"},
]  # the fewest a run takes


def answers(*labels: int) -> list[dict]:
    return [{**record, "category": label} for record, label in zip(RECORDS, labels, strict=False)]


def written(storage) -> set[str]:
    return {uri for uri in storage.list(f"s3://{BUCKET}/") if "/output/" in uri}


def test_a_key_in_input_order_or_matched_by_id_is_accepted(storage, put_inputs):
    validate_input.handler({"request": put_inputs(RECORDS, answers(0, 1, 2, 1)), "execution_name": "e"})
    by_id = [{**answer, "byoal-id": position} for position, answer in enumerate(answers(0, 1, 2, 1))][::-1]
    validate_input.handler({"request": put_inputs(RECORDS, by_id), "execution_name": "e"})


BAD_KEYS = [
    (
        "shorter",
        answers(0, 1, 2),
        "has no answer for s3://byoal-test/inputs/input.manifest line 4 \\(record id 3\\); it holds 3 answers",
    ),
    (
        "longer",
        [*answers(0, 1, 2, 1), {"source": "epsilon", "category": 1}],
        "holds 5 answers for the input's 4 records",
    ),
    (
        "out of order",
        [answers(0, 1, 2, 1)[index] for index in (1, 0, 2, 3)],
        "line 1: its 'source' differs from s3://byoal-test/inputs/input.manifest line 1 \\(record id 0\\)",
    ),
    (
        "unknown class",
        answers(0, 4, 2, 1),
        "answers.manifest line 2: label 'category' = 4 is outside the label file's 4 classes",
    ),
    ("not a class index", answers(0, "Business", 2, 1), "line 2: label 'category' must be an integer class index"),
    ("unlabeled answer", [*answers(0, 1, 2), RECORDS[3]], "line 4: no label 'category'"),
    (
        "two answers for one id",
        [{**RECORDS[0], "category": 0, "byoal-id": 0}, {**RECORDS[1], "category": 0, "byoal-id": 0}],
        "line 2: a second answer for record id 0 \\(first on line 1\\)",
    ),
    (
        "ids of other records",
        [{**answer, "byoal-id": 10 + position} for position, answer in enumerate(answers(0, 1, 2, 1))],
        "has no answer for .* line 1 \\(record id 0\\)",
    ),
]


@pytest.mark.parametrize("case, key, message", BAD_KEYS, ids=[case for case, _, _ in BAD_KEYS])
def test_a_bad_answer_key_fails_the_first_step_naming_the_line_and_writes_nothing(
    storage, put_inputs, case, key, message
):
    request = put_inputs(RECORDS, key)
    with pytest.raises(InputError, match=message):
        validate_input.handler({"request": request, "execution_name": "e"})
    assert written(storage) == set()
