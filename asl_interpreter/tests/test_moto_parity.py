"""The same control-flow definitions run locally and on moto's executing Step Functions backend.

Each case also states the expected result, so the two cannot agree on a wrong
answer unnoticed. Behaviour where moto 5.2.5 departs from the States Language
specification is listed at the bottom and tested locally only (see the other
test_asl_* modules):

- a Choice with no match and no Default: moto fails with States.Runtime,
  the spec requires States.NoChoiceMatched;
- a Choice Variable that matches nothing: moto treats the rule as false,
  AWS fails the execution with States.Runtime;
- ResultPath that cannot be applied (input is a string, or an intermediate
  field is not an object): moto returns the input or fails with
  States.Runtime, the spec requires States.ResultPathMatchFailure;
- States.Format with an array or object argument: moto renders it Java-style,
  the spec forbids it (States.IntrinsicFailure here);
- timestamps with fractional seconds or numeric offsets: moto only parses
  `YYYY-MM-DDTHH:MM:SSZ`;
- States.Format with escaped characters (\\' \\{ \\}): moto's parser cuts the
  string short and fails;
- States.Array with a null argument: moto drops the null;
- States.Runtime inside a Map or Parallel: moto lets `States.ALL` catch it,
  AWS documents that no Catcher handles States.Runtime;
- Wait states: moto really sleeps, so only zero-length waits are compared;
- Retry with a non-zero interval: moto really sleeps, so retries are tested
  locally with a fake clock;
- Task states: moto calls real (mocked) AWS services, which this project
  replaces with local resources, so Tasks are not compared.
"""

from __future__ import annotations

from typing import Any

import pytest

END = {"End": True}


def pass_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", **fields}


def single(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Only", "States": {"Only": state}}


def choice_machine(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Decide",
        "States": {
            "Decide": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": pass_state(Result="yes", End=True),
            "No": pass_state(Result="no", End=True),
        },
    }


SUCCEEDING_CASES = [
    ("pass-through", single(pass_state(**END)), {"a": 1}, {"a": 1}),
    (
        "pass-result-resultpath",
        single(pass_state(Result={"x": 0.5}, ResultPath="$.coords", **END)),
        {"georefOf": "Home"},
        {"georefOf": "Home", "coords": {"x": 0.5}},
    ),
    ("pass-resultpath-null", single(pass_state(Result=7, ResultPath=None, **END)), {"a": 1}, {"a": 1}),
    (
        "pass-resultpath-nested-creation",
        single(pass_state(Result=6, ResultPath="$.master.result.sum", **END)),
        {"master": {"detail": [1, 2, 3]}},
        {"master": {"detail": [1, 2, 3], "result": {"sum": 6}}},
    ),
    (
        "parameters-paths-and-context",
        single(
            pass_state(
                Parameters={
                    "flagged": True,
                    "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
                    "state.$": "$$.State.Name",
                    "execution.$": "$$.Execution.Name",
                    "executionArn.$": "$$.Execution.Id",
                    "machine.$": "$$.StateMachine.Name",
                    "input.$": "$$.Execution.Input.flagged",
                },
                **END,
            )
        ),
        {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]},
        {
            "flagged": True,
            "parts": {"first": 0, "last3": [30, 40, 50]},
            "state": "Only",
            "execution": "parity",
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:MACHINE:parity",
            "machine": "MACHINE",
            "input": 7,
        },
    ),
    (
        "input-parameters-result-output-order",
        single(
            pass_state(
                InputPath="$.numbers",
                Parameters={"sum_input.$": "$", "first.$": "$.val1"},
                ResultPath="$.numbers.payload",
                OutputPath="$.numbers",
                **END,
            )
        ),
        {"title": "Numbers", "numbers": {"val1": 3, "val2": 4}},
        {"val1": 3, "val2": 4, "payload": {"sum_input": {"val1": 3, "val2": 4}, "first": 3}},
    ),
    ("inputpath-null", single(pass_state(InputPath=None, **END)), {"a": 1}, {}),
    ("outputpath-null", single(pass_state(OutputPath=None, **END)), {"a": 1}, {}),
    (
        "indefinite-paths-give-arrays",
        single(
            pass_state(
                Parameters={
                    "star.$": "$.xs[*]",
                    "slice.$": "$.xs[0:1]",
                    "deep.$": "$..v",
                    "filtered.$": "$.items[?(@.v > 1)]",
                },
                **END,
            )
        ),
        {"xs": [10, 20], "items": [{"v": 1}, {"v": 2}]},
        {"star": [10, 20], "slice": [10], "deep": [1, 2], "filtered": [{"v": 2}]},
    ),
    ("inputpath-indefinite", single(pass_state(InputPath="$.xs[*]", **END)), {"xs": [10]}, [10]),
    (
        "succeed-input-output-path",
        single({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}),
        {"a": {"b": 2}},
        2,
    ),
    (
        "wait-zero-seconds",
        single({"Type": "Wait", "Seconds": 0, "OutputPath": "$.a", **END}),
        {"a": 1},
        1,
    ),
    ("wait-seconds-path", single({"Type": "Wait", "SecondsPath": "$.s", **END}), {"s": 0}, {"s": 0}),
    (
        "wait-past-timestamp",
        single({"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", **END}),
        {"a": 1},
        {"a": 1},
    ),
    (
        "wait-timestamp-path",
        single({"Type": "Wait", "TimestampPath": "$.t", **END}),
        {"t": "2001-01-01T00:00:00Z"},
        {"t": "2001-01-01T00:00:00Z"},
    ),
    (
        "parallel-branches-resultselector-resultpath",
        single(
            {
                "Type": "Parallel",
                "Parameters": {"n.$": "$.n"},
                "Branches": [
                    {"StartAt": "A", "States": {"A": pass_state(OutputPath="$.n", **END)}},
                    {"StartAt": "B", "States": {"B": pass_state(Result="b", **END)}},
                    {"StartAt": "C", "States": {"C": {"Type": "Succeed"}}},
                ],
                "ResultSelector": {"first.$": "$[0]", "all.$": "$"},
                "ResultPath": "$.out",
                **END,
            }
        ),
        {"n": 5},
        {"n": 5, "out": {"first": 5, "all": [5, "b", {"n": 5}]}},
    ),
    (
        "map-itemselector-context",
        single(
            {
                "Type": "Map",
                "InputPath": "$.detail",
                "ItemsPath": "$.shipped",
                "MaxConcurrency": 1,
                "ItemSelector": {
                    "index.$": "$$.Map.Item.Index",
                    "parcel.$": "$$.Map.Item.Value",
                    "courier.$": "$.partner",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Validate",
                    "States": {"Validate": pass_state(**END)},
                },
                "ResultPath": "$.detail.shipped",
                **END,
            }
        ),
        {"detail": {"partner": "UQS", "shipped": [{"prod": "R31"}, {"prod": "S39"}]}},
        {
            "detail": {
                "partner": "UQS",
                "shipped": [
                    {"index": 0, "parcel": {"prod": "R31"}, "courier": "UQS"},
                    {"index": 1, "parcel": {"prod": "S39"}, "courier": "UQS"},
                ],
            }
        },
    ),
    (
        "map-legacy-iterator-parameters",
        single(
            {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "Parameters": {"value.$": "$$.Map.Item.Value"},
                "Iterator": {"StartAt": "I", "States": {"I": pass_state(OutputPath="$.value", **END)}},
                "ResultSelector": {"values.$": "$"},
                **END,
            }
        ),
        {"xs": [1, 2, 3]},
        {"values": [1, 2, 3]},
    ),
    (
        "map-empty-items",
        single(
            {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "I", "States": {"I": pass_state(**END)}},
                **END,
            }
        ),
        [],
        [],
    ),
    (
        "catch-parallel-failure-resultpath",
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}],
                    "Catch": [
                        {"ErrorEquals": ["Other"], "Next": "Wrong"},
                        {"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Recovered"},
                    ],
                    **END,
                },
                "Wrong": pass_state(Result="wrong", **END),
                "Recovered": pass_state(**END),
            },
        },
        {"a": 1},
        {"a": 1, "error": {"Error": "Boom", "Cause": "why"}},
    ),
    (
        "catch-map-failure-states-all",
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "F",
                        "States": {"F": {"Type": "Fail", "Error": "ItemFailed", "Cause": "bad item"}},
                    },
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovered"}],
                    **END,
                },
                "Recovered": pass_state(**END),
            },
        },
        [1],
        {"Error": "ItemFailed", "Cause": "bad item"},
    ),
    (
        "retry-zero-attempts-then-catch",
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}],
                    "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 0}],
                    "Catch": [{"ErrorEquals": ["E"], "ResultPath": None, "Next": "Done"}],
                    **END,
                },
                "Done": pass_state(**END),
            },
        },
        {"kept": True},
        {"kept": True},
    ),
    (
        "choice-and-or-not-default-chain",
        {
            "StartAt": "Dispatch",
            "States": {
                "Dispatch": {
                    "Type": "Choice",
                    "Choices": [
                        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
                        {
                            "And": [
                                {"Variable": "$.value", "IsPresent": True},
                                {"Variable": "$.value", "IsNumeric": True},
                                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                                {"Variable": "$.value", "NumericLessThan": 30},
                            ],
                            "Next": "Twenties",
                        },
                        {
                            "Or": [
                                {"Variable": "$.rating", "NumericGreaterThanPath": "$.threshold"},
                                {"Variable": "$.flag", "BooleanEquals": True},
                            ],
                            "Next": "Audit",
                        },
                    ],
                    "Default": "Record",
                },
                "Public": pass_state(Result="public", **END),
                "Twenties": pass_state(Result="twenties", **END),
                "Audit": pass_state(Result="audit", **END),
                "Record": pass_state(Result="record", **END),
            },
        },
        {"type": "Private", "value": 35, "rating": 3, "threshold": 5, "flag": True},
        "audit",
    ),
]

INTRINSIC_CASES = [
    (
        "format",
        "States.Format('Hello, {} is {} {}', $.name, $.n, $.b)",
        {"name": "Arnav", "n": 1.5, "b": True},
        "Hello, Arnav is 1.5 true",
    ),
    ("format-template-path", "States.Format($.template, $.name)", {"template": "Hi {}.", "name": "X"}, "Hi X."),
    ("string-to-json", "States.StringToJson($.s)", {"s": '{"number": 20}'}, {"number": 20}),
    ("json-to-string", "States.JsonToString($.o)", {"o": {"name": "Foo", "year": 2020}}, '{"name":"Foo","year":2020}'),
    ("array", "States.Array('Foo', 2020, $.o, true)", {"o": {"r": 1}}, ["Foo", 2020, {"r": 1}, True]),
    (
        "array-partition",
        "States.ArrayPartition($.a, 4)",
        {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]},
        [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
    ),
    ("array-contains", "States.ArrayContains($.a, $.x)", {"a": [1, 2, 3], "x": 2}, True),
    ("array-range", "States.ArrayRange(1, 9, 2)", {}, [1, 3, 5, 7, 9]),
    ("array-get-item", "States.ArrayGetItem($.a, $.i)", {"a": [1, 2, 3, 4, 5, 6], "i": 5}, 6),
    ("array-length", "States.ArrayLength($.a)", {"a": [1, 2, 3]}, 3),
    ("array-unique", "States.ArrayUnique($.a)", {"a": [1, 2, 3, 3, 3, 4]}, [1, 2, 3, 4]),
    ("base64-encode", "States.Base64Encode($.s)", {"s": "Data to encode"}, "RGF0YSB0byBlbmNvZGU="),
    ("base64-decode", "States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}, "Data to encode"),
    ("hash", "States.Hash($.d, 'SHA-1')", {"d": "input data"}, "aaff4a450a104cd177d28d18d74485e8cae074b7"),
    (
        "json-merge-shallow",
        "States.JsonMerge($.j1, $.j2, false)",
        {"j1": {"a": {"a1": 1}, "b": 2}, "j2": {"a": {"a3": 1}, "c": 3}},
        {"a": {"a3": 1}, "b": 2, "c": 3},
    ),
    ("math-add", "States.MathAdd($.v, -1)", {"v": 111}, 110),
    (
        "string-split",
        "States.StringSplit($.s, '.+,=')",
        {"s": "This.is+a,test=string"},
        ["This", "is", "a", "test", "string"],
    ),
    ("string-split-drops-empty", "States.StringSplit($.s, ',')", {"s": ", , ,"}, [" ", " "]),
    (
        "nested",
        "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), '.'), 0)",
        {"arn": "arn:aws:imagebuilder:x/recipe/name.v1/1"},
        "name",
    ),
]

FAILING_CASES = [
    (
        "fail-error-cause",
        single({"Type": "Fail", "Error": "ErrorA", "Cause": "Kaiju attack"}),
        {},
        "ErrorA",
        "Kaiju attack",
    ),
    (
        "fail-error-path-cause-path",
        single({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}),
        {"e": "Dynamic", "c": "from input"},
        "Dynamic",
        "from input",
    ),
    (
        "parallel-branch-error-propagates",
        single(
            {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Ok", "States": {"Ok": pass_state(**END)}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Branch", "Cause": "b1"}}},
                ],
                **END,
            }
        ),
        {},
        "Branch",
        "b1",
    ),
    (
        "parameters-path-not-found",
        single(pass_state(Parameters={"x.$": "$.missing"}, **END)),
        {"a": 1},
        "States.Runtime",
        None,
    ),
    ("inputpath-not-found", single(pass_state(InputPath="$.missing", **END)), {"a": 1}, "States.Runtime", None),
    ("outputpath-not-found", single(pass_state(OutputPath="$.missing", **END)), {"a": 1}, "States.Runtime", None),
]


def with_machine_name(expected: Any, machine_name: str) -> Any:
    if isinstance(expected, dict):
        return {key: with_machine_name(value, machine_name) for key, value in expected.items()}
    if isinstance(expected, str):
        return expected.replace("MACHINE", machine_name)
    return expected


@pytest.mark.parametrize(
    "definition, input, expected", [case[1:] for case in SUCCEEDING_CASES], ids=[case[0] for case in SUCCEEDING_CASES]
)
def test_succeeding_definitions_match_moto(parity, definition, input, expected):
    local, moto = parity(definition, input)

    assert local == moto
    assert local.status == "SUCCEEDED"
    if isinstance(expected, dict) and "machine" in expected:
        expected = with_machine_name(expected, local.output["machine"])
    assert local.output == expected


@pytest.mark.parametrize(
    "expression, input, expected", [case[1:] for case in INTRINSIC_CASES], ids=[case[0] for case in INTRINSIC_CASES]
)
def test_intrinsic_functions_match_moto(parity, expression, input, expected):
    local, moto = parity(single(pass_state(Parameters={"value.$": expression}, **END)), input)

    assert local == moto
    assert local.output == {"value": expected}


@pytest.mark.parametrize(
    "definition, input, error, cause", [case[1:] for case in FAILING_CASES], ids=[case[0] for case in FAILING_CASES]
)
def test_failing_definitions_match_moto(parity, definition, input, error, cause):
    local, moto = parity(definition, input)

    assert (local.status, local.error) == (moto.status, moto.error) == ("FAILED", error)
    if cause is not None:
        assert local.cause == moto.cause == cause


def test_parameters_path_failure_cause_matches_moto(parity):
    local, moto = parity(single(pass_state(Parameters={"x.$": "$.missing"}, **END)), {"a": 1})

    expected = "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    assert local.cause == expected
    assert moto.cause.endswith(expected.replace('{"a":1}', '{"a": 1}'))


@pytest.mark.parametrize(
    "rule, input, expected",
    [
        ({"Variable": "$.v", "StringEquals": "abc"}, {"v": "abc"}, "yes"),
        ({"Variable": "$.v", "StringEquals": "abc"}, {"v": 1}, "no"),
        ({"Variable": "$.v", "StringEqualsPath": "$.w"}, {"v": "a", "w": "a"}, "yes"),
        ({"Variable": "$.v", "StringLessThan": "b"}, {"v": "a"}, "yes"),
        ({"Variable": "$.v", "StringLessThanPath": "$.w"}, {"v": "b", "w": "a"}, "no"),
        ({"Variable": "$.v", "StringGreaterThan": "a"}, {"v": "b"}, "yes"),
        ({"Variable": "$.v", "StringGreaterThanPath": "$.w"}, {"v": "b", "w": "a"}, "yes"),
        ({"Variable": "$.v", "StringLessThanEquals": "a"}, {"v": "a"}, "yes"),
        ({"Variable": "$.v", "StringLessThanEqualsPath": "$.w"}, {"v": "b", "w": "a"}, "no"),
        ({"Variable": "$.v", "StringGreaterThanEquals": "b"}, {"v": "b"}, "yes"),
        ({"Variable": "$.v", "StringGreaterThanEqualsPath": "$.w"}, {"v": "a", "w": "b"}, "no"),
        ({"Variable": "$.v", "StringMatches": "log-*.txt"}, {"v": "log-2024.txt"}, "yes"),
        ({"Variable": "$.v", "StringMatches": "log-\\*.txt"}, {"v": "log-2024.txt"}, "no"),
        ({"Variable": "$.v", "NumericEquals": 1}, {"v": 1.0}, "yes"),
        ({"Variable": "$.v", "NumericEquals": 1}, {"v": "1"}, "no"),
        ({"Variable": "$.v", "NumericEqualsPath": "$.w"}, {"v": 2, "w": 2}, "yes"),
        ({"Variable": "$.v", "NumericLessThan": 2}, {"v": 1}, "yes"),
        ({"Variable": "$.v", "NumericLessThanPath": "$.w"}, {"v": 3, "w": 2}, "no"),
        ({"Variable": "$.v", "NumericGreaterThan": 2}, {"v": 2}, "no"),
        ({"Variable": "$.v", "NumericGreaterThanPath": "$.w"}, {"v": 3, "w": 2}, "yes"),
        ({"Variable": "$.v", "NumericLessThanEquals": 2}, {"v": 2}, "yes"),
        ({"Variable": "$.v", "NumericLessThanEqualsPath": "$.w"}, {"v": 3, "w": 2}, "no"),
        ({"Variable": "$.v", "NumericGreaterThanEquals": 2.5}, {"v": 3}, "yes"),
        ({"Variable": "$.v", "NumericGreaterThanEqualsPath": "$.w"}, {"v": 1, "w": 2}, "no"),
        ({"Variable": "$.v", "BooleanEquals": False}, {"v": False}, "yes"),
        ({"Variable": "$.v", "BooleanEquals": True}, {"v": 1}, "no"),
        ({"Variable": "$.v", "BooleanEqualsPath": "$.w"}, {"v": True, "w": True}, "yes"),
        ({"Variable": "$.v", "TimestampEquals": "2024-01-01T00:00:00Z"}, {"v": "2024-01-01T00:00:00Z"}, "yes"),
        ({"Variable": "$.v", "TimestampEquals": "2024-01-01T00:00:00Z"}, {"v": "yesterday"}, "no"),
        (
            {"Variable": "$.v", "TimestampEqualsPath": "$.w"},
            {"v": "2024-01-01T00:00:00Z", "w": "2024-01-01T00:00:00Z"},
            "yes",
        ),
        ({"Variable": "$.v", "TimestampLessThan": "2024-01-01T00:00:01Z"}, {"v": "2024-01-01T00:00:00Z"}, "yes"),
        (
            {"Variable": "$.v", "TimestampLessThanPath": "$.w"},
            {"v": "2024-01-02T00:00:00Z", "w": "2024-01-01T00:00:00Z"},
            "no",
        ),
        ({"Variable": "$.v", "TimestampGreaterThan": "2024-01-01T00:00:00Z"}, {"v": "2024-06-01T00:00:00Z"}, "yes"),
        (
            {"Variable": "$.v", "TimestampGreaterThanPath": "$.w"},
            {"v": "2024-01-02T00:00:00Z", "w": "2024-01-01T00:00:00Z"},
            "yes",
        ),
        ({"Variable": "$.v", "TimestampLessThanEquals": "2024-01-01T00:00:00Z"}, {"v": "2024-01-01T00:00:00Z"}, "yes"),
        (
            {"Variable": "$.v", "TimestampLessThanEqualsPath": "$.w"},
            {"v": "2024-01-02T00:00:00Z", "w": "2024-01-01T00:00:00Z"},
            "no",
        ),
        (
            {"Variable": "$.v", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"},
            {"v": "2023-12-31T23:59:59Z"},
            "no",
        ),
        (
            {"Variable": "$.v", "TimestampGreaterThanEqualsPath": "$.w"},
            {"v": "2024-01-01T00:00:00Z", "w": "2024-01-01T00:00:00Z"},
            "yes",
        ),
        ({"Variable": "$.v", "IsNull": True}, {"v": None}, "yes"),
        ({"Variable": "$.v", "IsNull": False}, {"v": None}, "no"),
        ({"Variable": "$.v", "IsPresent": True}, {"v": None}, "yes"),
        ({"Variable": "$.v", "IsPresent": False}, {"w": 1}, "yes"),
        ({"Variable": "$.v", "IsNumeric": True}, {"v": 1.5}, "yes"),
        ({"Variable": "$.v", "IsNumeric": True}, {"v": True}, "no"),
        ({"Variable": "$.v", "IsString": True}, {"v": "s"}, "yes"),
        ({"Variable": "$.v", "IsString": False}, {"v": 1}, "yes"),
        ({"Variable": "$.v", "IsBoolean": True}, {"v": False}, "yes"),
        ({"Variable": "$.v", "IsBoolean": True}, {"v": 0}, "no"),
        ({"Variable": "$.v", "IsTimestamp": True}, {"v": "2024-01-01T00:00:00Z"}, "yes"),
        ({"Variable": "$.v", "IsTimestamp": True}, {"v": "2024-01-01"}, "no"),
        ({"Variable": "$$.Execution.Name", "StringEquals": "parity"}, {}, "yes"),
    ],
)
def test_choice_operators_match_moto(parity, rule, input, expected):
    local, moto = parity(choice_machine(rule), input)

    assert local == moto
    assert local.output == expected


def test_state_transitions_match_moto(parity):
    counting_loop = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.count", "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.count", "NumericGreaterThanEqualsPath": "$.limit", "Next": "Done"}],
                "Default": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": 0, "Next": "Increment"},
            "Increment": {
                "Type": "Pass",
                "Parameters": {"value.$": "States.MathAdd($.count, 1)"},
                "ResultPath": "$.step",
                "Next": "Store",
            },
            "Store": {
                "Type": "Pass",
                "Parameters": {"count.$": "$.step.value", "limit.$": "$.limit"},
                "Next": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    }

    local, moto = parity(counting_loop, {"limit": 2})

    assert local == moto
    assert local.output == {"count": 2, "limit": 2}
    expected_path = ("Init", *("Check", "Pause", "Increment", "Store") * 2, "Check", "Done")
    assert local.visited == moto.visited == expected_path
