"""Choice states: rule evaluation beyond what moto can check (see test_asl_moto_parity)."""

from __future__ import annotations

from typing import Any

import pytest

from asl_interpreter.choice import rule_matches

END = {"End": True}


def choice_machine(*rules: dict[str, Any], default: bool = True, **choice_fields: Any) -> dict[str, Any]:
    states: dict[str, Any] = {
        "Decide": {
            "Type": "Choice",
            "Choices": [{**rule, "Next": f"Rule{index}"} for index, rule in enumerate(rules)],
            **choice_fields,
        },
        **{f"Rule{index}": {"Type": "Pass", "Result": f"rule {index}", **END} for index in range(len(rules))},
    }
    if default:
        states["Decide"]["Default"] = "Fallback"
        states["Fallback"] = {"Type": "Pass", "Result": "default", **END}
    return {"StartAt": "Decide", "States": states}


def decide(run_asl, rule: dict[str, Any], input: Any) -> Any:
    return run_asl(choice_machine(rule), input).output


def test_the_first_matching_rule_wins(run_asl):
    definition = choice_machine(
        {"Variable": "$.v", "NumericGreaterThan": 10},
        {"Variable": "$.v", "NumericGreaterThan": 1},
        {"Variable": "$.v", "NumericGreaterThan": 0},
    )

    assert run_asl(definition, {"v": 5}).output == "rule 1"


def test_no_match_without_default_fails_with_no_choice_matched(run_asl):
    result = run_asl(choice_machine({"Variable": "$.v", "IsNull": True}, default=False), {"v": 1})

    assert (result.status, result.error, result.failed_state) == ("FAILED", "States.NoChoiceMatched", "Decide")


def test_a_variable_matching_nothing_fails_with_states_runtime(run_asl):
    result = run_asl(choice_machine({"Variable": "$.missing", "StringEquals": "x"}), {})

    assert (result.error, result.failed_state) == ("States.Runtime", "Decide")
    assert "'$.missing'" in result.cause


@pytest.mark.parametrize("operator", ["IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"])
def test_type_tests_on_a_missing_variable_fail_too(run_asl, operator):
    assert run_asl(choice_machine({"Variable": "$.missing", operator: False}), {}).error == "States.Runtime"


@pytest.mark.parametrize("expected, output", [(False, "rule 0"), (True, "default")])
def test_is_present_never_fails_on_a_missing_variable(run_asl, expected, output):
    assert decide(run_asl, {"Variable": "$.missing", "IsPresent": expected}, {}) == output


def test_a_path_operand_matching_nothing_fails_with_states_runtime(run_asl):
    result = run_asl(choice_machine({"Variable": "$.v", "NumericEqualsPath": "$.missing"}), {"v": 1})

    assert result.error == "States.Runtime"


def test_and_or_stop_evaluating_once_the_answer_is_known(run_asl):
    stops_or = {"Or": [{"Variable": "$.v", "IsPresent": True}, {"Variable": "$.missing", "IsNull": True}]}
    stops_and = {"And": [{"Variable": "$.v", "IsNull": True}, {"Variable": "$.missing", "IsNull": True}]}

    assert decide(run_asl, stops_or, {"v": 1}) == "rule 0"
    assert decide(run_asl, stops_and, {"v": 1}) == "default"


def test_not_inverts_its_rule(run_asl):
    rule = {"Not": {"Not": {"Variable": "$.v", "StringEquals": "a"}}}

    assert decide(run_asl, rule, {"v": "a"}) == "rule 0"
    assert decide(run_asl, rule, {"v": "b"}) == "default"


@pytest.mark.parametrize(
    "operator, operand, value, matches",
    [
        ("TimestampEquals", "2024-01-01T01:00:00+01:00", "2024-01-01T00:00:00Z", True),
        ("TimestampEquals", "2024-01-01T00:00:00.500Z", "2024-01-01T00:00:00.5Z", True),
        ("TimestampLessThan", "2024-01-01T00:00:00.001Z", "2024-01-01T00:00:00Z", True),
        ("TimestampGreaterThan", "2024-01-01T00:00:00Z", "2023-12-31T23:30:00-01:00", True),
        ("TimestampEquals", "2024-01-01T00:00:00Z", "2024-01-01t00:00:00z", False),
        ("TimestampEquals", "2024-01-01T00:00:00Z", "2024-02-30T00:00:00Z", False),
        ("TimestampLessThanEquals", "2024-01-01T00:00:00Z", 1704067200, False),
    ],
)
def test_timestamps_compare_as_instants_and_must_be_rfc3339(run_asl, operator, operand, value, matches):
    assert decide(run_asl, {"Variable": "$.v", operator: operand}, {"v": value}) == ("rule 0" if matches else "default")


@pytest.mark.parametrize(
    "value, matches",
    [("2024-01-01T00:00:00Z", True), ("2024-01-01T00:00:00.123456789+05:30", True), ("2024-01-01", False), (0, False)],
)
def test_is_timestamp(run_asl, value, matches):
    assert decide(run_asl, {"Variable": "$.v", "IsTimestamp": True}, {"v": value}) == (
        "rule 0" if matches else "default"
    )


def test_string_comparisons_use_utf16_code_units_like_java():
    # U+FF5E sorts after U+1F600 in UTF-16 (0xFF5E > 0xD83D) but before it by code point.
    rule = {"Variable": "$.v", "StringGreaterThan": "\U0001f600"}

    assert rule_matches(rule, {"v": "\uff5e"}, {}) is True


@pytest.mark.parametrize(
    "pattern, value, matches",
    [
        ("foo*.log", "foo23.log", True),
        ("*.log", "zebra.log", True),
        ("foo*.*", "foobar.zebra", True),
        ("foo*.log", "foo23.txt", False),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a\\\\b", "a\\b", True),
        ("a.c", "abc", False),
        ("*", "multi\nline", True),
    ],
)
def test_string_matches_wildcards_and_escapes(run_asl, pattern, value, matches):
    assert decide(run_asl, {"Variable": "$.v", "StringMatches": pattern}, {"v": value}) == (
        "rule 0" if matches else "default"
    )


def test_choice_applies_inputpath_before_the_rules_and_outputpath_after(run_asl):
    definition = choice_machine({"Variable": "$.v", "NumericEquals": 1}, InputPath="$.inner", OutputPath="$.v")
    definition["States"]["Rule0"] = {"Type": "Pass", **END}

    assert run_asl(definition, {"inner": {"v": 1}}).output == 1


def test_numbers_compare_across_int_and_float_but_not_with_booleans(run_asl):
    assert decide(run_asl, {"Variable": "$.v", "NumericEquals": 1.0}, {"v": 1}) == "rule 0"
    assert decide(run_asl, {"Variable": "$.v", "NumericEquals": 1}, {"v": True}) == "default"
    assert decide(run_asl, {"Variable": "$.v", "BooleanEquals": True}, {"v": 1}) == "default"
