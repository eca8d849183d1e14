"""Intrinsic functions: the argument parser, every States.* function, and their failures."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

import pytest

from asl_interpreter.errors import StatesError
from asl_interpreter.intrinsic_functions import evaluate_intrinsic, validate_invocation
from asl_interpreter.intrinsic_parser import (
    IntrinsicSyntaxError,
    Invocation,
    Literal,
    PathArgument,
    parse_intrinsic,
)

END = {"End": True}


def evaluate(expression: str, data: Any = None, context: Any = None, seed: int = 0) -> Any:
    invocation = parse_intrinsic(expression)
    validate_invocation(invocation)
    return evaluate_intrinsic(invocation, data, context or {}, random.Random(seed))


def intrinsic_failure(expression: str, data: Any = None) -> str:
    with pytest.raises(StatesError) as raised:
        evaluate(expression, data)
    assert raised.value.error == "States.IntrinsicFailure"
    return str(raised.value.cause)


class TestParser:
    def test_arguments_of_every_kind(self):
        invocation = parse_intrinsic(
            "States.Array('text', -12, 3.5e2, true, false, null, $.a[0], $$.Execution.Id, States.UUID())"
        )

        assert invocation == Invocation(
            "States.Array",
            (
                Literal("text"),
                Literal(-12),
                Literal(350.0),
                Literal(True),
                Literal(False),
                Literal(None),
                PathArgument("$.a[0]"),
                PathArgument("$$.Execution.Id"),
                Invocation("States.UUID", ()),
            ),
        )

    def test_escapes_in_strings(self):
        literal = parse_intrinsic(r"States.Array('it\'s \{x\} \\ {}')").arguments[0]

        assert literal == Literal("it's {x} \\ {}", placeholders=(11,))

    def test_whitespace_between_tokens_is_ignored(self):
        assert parse_intrinsic("  States.Array ( 1 ,  $.a  )  ") == Invocation(
            "States.Array", (Literal(1), PathArgument("$.a"))
        )

    def test_paths_may_contain_commas_and_parentheses_inside_brackets(self):
        invocation = parse_intrinsic("States.Array($['a,b'], $.items[?(@.v > 1)])")

        assert invocation.arguments == (PathArgument("$['a,b']"), PathArgument("$.items[?(@.v > 1)]"))

    @pytest.mark.parametrize(
        "text, problem",
        [
            ("States.Array('a\\b')", "open escape"),
            ("States.Array('a\\')", "unterminated"),
            ("States.Array('a{b')", "must be escaped"),
            ("States.Array('a}b')", "must be escaped"),
            ("States.Array('abc)", "unterminated"),
            ("States.Array(1 2)", "expected ',' or ')'"),
            ("States.Array(1) tail", "after the closing"),
            ("States.Array(", "expected an argument"),
            ("States.Array($.a[)", "not a valid JSONPath"),
            ("'just a string'", "function name"),
            ("States.Array(01)", "expected ',' or ')'"),
            ("States.Array(" * 11 + ")" * 11, "nested at most 10"),
        ],
    )
    def test_malformed_invocations_are_rejected(self, text, problem):
        with pytest.raises(IntrinsicSyntaxError, match=re.escape(problem)):
            parse_intrinsic(text)

    def test_ten_levels_of_nesting_are_allowed(self):
        expected: list[Any] = []
        for _ in range(9):
            expected = [expected]

        assert evaluate("States.Array(" * 10 + ")" * 10) == expected

    @pytest.mark.parametrize(
        "text, problem",
        [
            ("States.Nope()", "Unknown intrinsic function"),
            ("States.ArrayLength()", "takes 1 argument"),
            ("States.MathRandom(1)", "takes 2 to 3"),
            ("States.Format()", "at least 1"),
            ("States.Array(States.Hash('a'))", "States.Hash takes 2"),
            ("States.JsonToString(States.Array())", "must be a Path"),
        ],
    )
    def test_unknown_functions_and_wrong_argument_counts_are_rejected(self, text, problem):
        with pytest.raises(IntrinsicSyntaxError, match=re.escape(problem)):
            validate_invocation(parse_intrinsic(text))


class TestFormat:
    def test_values_use_their_natural_string_form(self):
        data = {"s": "str", "i": 2020, "f": 1.5, "t": True, "n": None}

        assert evaluate("States.Format('{} {} {} {} {}', $.s, $.i, $.f, $.t, $.n)", data) == "str 2020 1.5 true null"

    def test_escaped_braces_are_not_placeholders(self):
        assert evaluate(r"States.Format('\{{}\} and \{\}', 'x')") == "{x} and {}"

    def test_template_from_a_path_uses_every_pair_of_braces(self):
        assert evaluate("States.Format($.t, 1, 2)", {"t": "{}-{}"}) == "1-2"

    def test_argument_count_must_match_the_placeholders(self):
        assert "placeholder" in intrinsic_failure("States.Format('{} {}', 1)")

    def test_objects_and_arrays_are_written_as_aws_writes_them(self):
        # Recorded on AWS (LocalStack's test_format_2): an object argument renders as a Java map.
        data = {"o": {"Arg1": 1, "Arg2": []}, "a": [1, "x", None, {"k": True}]}

        assert (
            evaluate("States.Format('fst={} snd={}.', $.o, $.a)", data)
            == "fst={Arg1=1, Arg2=[]} snd=[1, x, null, {k=true}]."
        )

    def test_template_must_be_a_string(self):
        assert "template" in intrinsic_failure("States.Format(1)")


class TestJson:
    def test_string_to_json(self):
        assert evaluate("States.StringToJson($.s)", {"s": '{"number": 20}'}) == {"number": 20}

    @pytest.mark.parametrize("text", ["{not json", "NaN"])
    def test_string_to_json_rejects_invalid_text(self, text):
        intrinsic_failure("States.StringToJson($.s)", {"s": text})

    @pytest.mark.parametrize("text", ["", " ", "\n\t", "null"])
    def test_string_to_json_of_a_blank_string_is_null(self, text):
        # Recorded on AWS (LocalStack's test_string_to_json): "" and " " give null.
        assert evaluate("States.StringToJson($.s)", {"s": text}) is None

    def test_json_to_string_is_compact(self):
        assert evaluate("States.JsonToString($.o)", {"o": {"name": "Foo", "list": [1, 2]}}) == (
            '{"name":"Foo","list":[1,2]}'
        )

    def test_json_merge_shallow_replaces_nested_objects(self):
        data = {"a": {"x": {"p": 1}, "b": 2}, "b": {"x": {"q": 3}, "c": 3}}

        assert evaluate("States.JsonMerge($.a, $.b, false)", data) == {"x": {"q": 3}, "b": 2, "c": 3}

    def test_json_merge_deep_merges_nested_objects(self):
        data = {"a": {"x": {"p": 1, "r": {"s": 1}}}, "b": {"x": {"q": 3, "r": {"t": 2}}}}

        assert evaluate("States.JsonMerge($.a, $.b, true)", data) == {"x": {"p": 1, "q": 3, "r": {"s": 1, "t": 2}}}

    @pytest.mark.parametrize("expression", ["States.JsonMerge($.a, 1, false)", "States.JsonMerge($.a, $.a, 'no')"])
    def test_json_merge_rejects_bad_arguments(self, expression):
        intrinsic_failure(expression, {"a": {}})


class TestArrays:
    def test_array_keeps_order_and_nulls(self):
        assert evaluate("States.Array('Foo', 2020, $.o, null)", {"o": {"r": 1}}) == ["Foo", 2020, {"r": 1}, None]

    def test_array_partition(self):
        assert evaluate("States.ArrayPartition($.a, 2)", {"a": [1, 2, 3]}) == [[1, 2], [3]]
        assert evaluate("States.ArrayPartition($.a, 2)", {"a": []}) == []

    @pytest.mark.parametrize("size", ["0", "-1", "1.5", "'2'"])
    def test_array_partition_rejects_a_bad_chunk_size(self, size):
        intrinsic_failure(f"States.ArrayPartition($.a, {size})", {"a": [1]})

    def test_array_contains_uses_json_equality(self):
        data = {"a": [1, {"k": [True]}, "x"]}

        assert evaluate("States.ArrayContains($.a, $.v)", {**data, "v": {"k": [True]}}) is True
        assert evaluate("States.ArrayContains($.a, true)", data) is False
        assert evaluate("States.ArrayContains($.a, 1.0)", data) is True

    @pytest.mark.parametrize(
        "arguments, expected",
        [("1, 9, 2", [1, 3, 5, 7, 9]), ("1, 10, 2", [1, 3, 5, 7, 9]), ("5, 1, -2", [5, 3, 1]), ("1, 0, 1", [])],
    )
    def test_array_range_includes_the_last_element_when_reached(self, arguments, expected):
        assert evaluate(f"States.ArrayRange({arguments})") == expected

    @pytest.mark.parametrize("arguments", ["1, 5, 0", "1, 1001, 1", "1.5, 3, 1"])
    def test_array_range_rejects_a_zero_step_too_many_items_and_non_integers(self, arguments):
        intrinsic_failure(f"States.ArrayRange({arguments})")

    def test_array_range_allows_exactly_1000_items(self):
        assert len(evaluate("States.ArrayRange(1, 1000, 1)")) == 1000

    def test_array_get_item(self):
        assert evaluate("States.ArrayGetItem($.a, 1)", {"a": ["x", "y"]}) == "y"
        assert "out of bounds" in intrinsic_failure("States.ArrayGetItem($.a, 2)", {"a": ["x", "y"]})
        intrinsic_failure("States.ArrayGetItem($.a, -1)", {"a": ["x", "y"]})

    def test_array_length_and_unique(self):
        data = {"a": [1, 1.0, True, "1", [1], [1], {"a": 1}, {"a": 1}]}

        assert evaluate("States.ArrayLength($.a)", data) == 8
        assert evaluate("States.ArrayUnique($.a)", data) == [1, True, "1", [1], {"a": 1}]

    @pytest.mark.parametrize(
        "function",
        [
            "ArrayLength($.s)",
            "ArrayUnique($.s)",
            "ArrayPartition($.s, 1)",
            "ArrayGetItem($.s, 0)",
            "ArrayContains($.s, 1)",
        ],
    )
    def test_array_functions_reject_non_arrays(self, function):
        intrinsic_failure(f"States.{function}", {"s": "abc"})


class TestEncodingAndHashing:
    def test_base64_round_trip_of_unicode(self):
        encoded = evaluate("States.Base64Encode($.s)", {"s": "Data to encode é"})

        assert encoded == "RGF0YSB0byBlbmNvZGUgw6k="
        assert evaluate("States.Base64Decode($.s)", {"s": encoded}) == "Data to encode é"

    def test_base64_decode_rejects_invalid_input(self):
        intrinsic_failure("States.Base64Decode('not base64!')")

    def test_base64_limits_input_to_10000_characters(self):
        assert evaluate("States.Base64Encode($.s)", {"s": "a" * 10_000})
        assert "10000" in intrinsic_failure("States.Base64Encode($.s)", {"s": "a" * 10_001})

    def test_hash_matches_the_documented_example(self):
        assert evaluate("States.Hash($.d, 'SHA-1')", {"d": "input data"}) == "aaff4a450a104cd177d28d18d74485e8cae074b7"

    @pytest.mark.parametrize(
        "algorithm, hashlib_name",
        [("MD5", "md5"), ("SHA-1", "sha1"), ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512")],
    )
    def test_hash_algorithms(self, algorithm, hashlib_name):
        expected = hashlib.new(hashlib_name, "données".encode()).hexdigest()

        assert evaluate(f"States.Hash($.d, '{algorithm}')", {"d": "données"}) == expected

    def test_hash_of_non_string_data_hashes_its_json_text(self):
        assert evaluate("States.Hash($.d, 'MD5')", {"d": {"a": [1, 2]}}) == hashlib.md5(b'{"a":[1,2]}').hexdigest()

    def test_hash_rejects_an_unknown_algorithm(self):
        assert "SHA-3" in intrinsic_failure("States.Hash('x', 'SHA-3')")


class TestMathAndStrings:
    def test_math_add(self):
        assert evaluate("States.MathAdd(111, -1)") == 110

    def test_math_add_rounds_non_integers_like_aws(self):
        assert evaluate("States.MathAdd(1.5, 2.4)") == 4
        assert evaluate("States.MathAdd(-1.5, 0)") == -1

    def test_math_add_rejects_non_numbers(self):
        intrinsic_failure("States.MathAdd('1', 2)")
        intrinsic_failure("States.MathAdd(true, 2)")

    def test_math_random_stays_within_bounds(self):
        values = {evaluate("States.MathRandom(1, 3)", seed=seed) for seed in range(60)}

        assert values == {1, 2, 3}

    def test_math_random_with_a_seed_is_repeatable(self):
        first = evaluate("States.MathRandom(1, 1000000, 7)", seed=1)

        assert all(evaluate("States.MathRandom(1, 1000000, 7)", seed=other) == first for other in range(5))

    def test_math_random_rejects_start_after_end(self):
        intrinsic_failure("States.MathRandom(5, 1)")

    @pytest.mark.parametrize(
        "text, delimiter, expected",
        [
            ("1,2,3", ",", ["1", "2", "3"]),
            ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
            (",,,,", ",", []),
            ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
        ],
    )
    def test_string_split_splits_on_every_delimiter_character_and_drops_empty_pieces(self, text, delimiter, expected):
        assert evaluate("States.StringSplit($.t, $.d)", {"t": text, "d": delimiter}) == expected

    def test_uuid_is_a_random_version_4_uuid(self):
        first, second = evaluate("States.UUID()"), evaluate("States.UUID()")

        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
        assert first != second


def test_nested_invocations_and_context_paths(run_asl):
    definition = {
        "StartAt": "Only",
        "States": {
            "Only": {
                "Type": "Pass",
                "Parameters": {
                    "id.$": "States.Format('{}/{}', $$.Execution.Name, "
                    "States.ArrayGetItem(States.StringSplit($.arn, '/'), 1))"
                },
                **END,
            }
        },
    }

    result = run_asl(definition, {"arn": "a/b/c"}, execution_name="run-1")

    assert result.output == {"id": "run-1/b"}


def test_an_intrinsic_failure_fails_the_state_and_can_be_caught(run_asl):
    definition = {
        "StartAt": "Compute",
        "States": {
            "Compute": {
                "Type": "Task",
                "Resource": "arn:unused",
                "Parameters": {"item.$": "States.ArrayGetItem($.list, 5)"},
                "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.error", "Next": "Handled"}],
                **END,
            },
            "Handled": {"Type": "Succeed"},
        },
    }

    result = run_asl(definition, {"list": [1]})

    assert result.status == "SUCCEEDED"
    assert result.output["error"]["Error"] == "States.IntrinsicFailure"
    assert "States.ArrayGetItem" in result.output["error"]["Cause"]


def test_a_path_argument_matching_nothing_fails_with_states_runtime(run_asl):
    definition = {
        "StartAt": "Only",
        "States": {"Only": {"Type": "Pass", "Parameters": {"x.$": "States.Array($.missing)"}, **END}},
    }

    result = run_asl(definition, {})

    assert (result.error, result.failed_state) == ("States.Runtime", "Only")
    assert "'$.missing'" in result.cause
